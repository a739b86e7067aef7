"""Browser security headers on every response (a route's own value wins where it set one).

Pages get a strict Content-Security-Policy: no scripts at all, styles and images from this origin (images also
as ``data:`` URIs, which the reports use), forms only to this origin, never framed. The interactive API
docs (``/docs``, ``/redoc``) serve their viewers from this origin (:mod:`refundguard.service.docs`, which also
allows each page's inline start-up script by its hash); nothing is loaded from a CDN.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

PAGE_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; frame-ancestors 'none'; "
            "base-uri 'none'")
#: the ledger's buyer page keeps its styles in the page (its own template); scripts stay forbidden there too
LEDGER_PAGE_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/redoc")
STATIC_PATHS = ("/static/", "/ui/static/")

COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


class SecurityHeaders:
    """ASGI middleware adding the headers above (and HSTS on https, ``Cache-Control: no-store`` off static files)."""

    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int = 0) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_s}; includeSubDomains".encode() if hsts_max_age_s > 0 else None

    def _extra(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else LEDGER_PAGE_CSP if path.startswith("/ledger/") else PAGE_CSP
        extra = [*COMMON, (b"content-security-policy", csp.encode())]
        if not path.startswith(STATIC_PATHS):
            extra.append((b"cache-control", b"no-store"))
        if self.hsts is not None and scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", self.hsts))
        return extra

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._extra(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
