"""Server-rendered pages: the single-merchant local mode and the reviewer/merchant pages of the claim service.

``refundguard.web.local.create_local_app()`` needs only the engine. ``refundguard.web.router`` (the pages of the
claim service) is imported lazily so that the local mode works without the service's dependencies.
"""

from __future__ import annotations

from typing import Any

__all__ = ["router"]


def __getattr__(name: str) -> Any:
    if name == "router":
        from refundguard.web.pages import router

        return router
    raise AttributeError(f"module 'refundguard.web' has no attribute {name!r}")
