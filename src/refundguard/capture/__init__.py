"""Live capture: when the evidence cannot decide, the buyer proves the damage live, from several angles, with a
one-time code, through the page ``/capture/<token>``.

- :mod:`~refundguard.capture.service` — requests, the one session, frames, completion, expiry;
- :mod:`~refundguard.capture.links` — signed single-use links, one-time codes, session nonces;
- :mod:`~refundguard.capture.signing` / :mod:`~refundguard.capture.verify` — the C2PA-signed session record;
- :mod:`~refundguard.capture.prefetch` — each shot analysed as it arrives;
- :mod:`~refundguard.capture.routes` (JSON API), :mod:`~refundguard.capture.buyer` (the buyer's page),
  :mod:`~refundguard.capture.pages` (the case page's request form).

The checks on a session are the ``live`` check (:mod:`refundguard.checks.live`) and every other check on each live
shot (:mod:`refundguard.passes`). :data:`router` holds every capture route.
"""

from __future__ import annotations

from typing import Any

__all__ = ["router"]


def __getattr__(name: str) -> Any:
    if name == "router":
        from fastapi import APIRouter

        from refundguard.capture.buyer import router as buyer
        from refundguard.capture.pages import router as pages
        from refundguard.capture.routes import router as api

        combined = APIRouter()
        for sub in (api, buyer, pages):
            combined.include_router(sub)
        return combined
    raise AttributeError(f"module 'refundguard.capture' has no attribute {name!r}")
