"""Interactive API docs that work offline: Swagger UI at ``/docs`` and ReDoc at ``/redoc``.

FastAPI's own pages load their scripts from a CDN, so they are blank without a network. The same pages are built
with FastAPI's ``get_swagger_ui_html``/``get_redoc_html`` here, pointing at the Swagger UI and ReDoc files that the
``fastapi-offline`` package ships (MIT; Swagger UI is Apache-2.0, ReDoc MIT), served from ``/docs/assets/``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}
#: the docs pages run the viewers' scripts from this origin only, plus their own inline start-up script by its
#: hash (``{scripts}``); the viewers set inline styles, so styles may be inline
DOCS_CSP = ("default-src 'none'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _with_csp(page: HTMLResponse) -> HTMLResponse:
    """``page`` with the docs policy, allowing exactly the inline scripts it holds (by SHA-256)."""
    body = bytes(page.body).decode("utf-8")
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m.encode('utf-8')).digest()).decode()}'"
                      for m in _INLINE_SCRIPT.findall(body))
    page.headers["Content-Security-Policy"] = DOCS_CSP.format(scripts=hashes)
    return page


def _asset(name: str) -> bytes:
    return resources.files("fastapi_offline").joinpath("static", name).read_bytes()


def mount_docs(app: FastAPI, *, prefix: str = "/docs") -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and the viewers' files (create the app with
    ``docs_url=None, redoc_url=None``)."""
    title = app.title
    openapi_url = app.openapi_url or "/openapi.json"
    assets = f"{prefix}/assets"

    @app.get(f"{assets}/{{name}}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404)
        return Response(_asset(name), media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})

    @app.get(prefix, include_in_schema=False)
    def swagger() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=openapi_url, title=f"{title} — API",
                                   oauth2_redirect_url=f"{prefix}/oauth2-redirect",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{assets}/favicon.png")
        return _with_csp(page)

    @app.get(f"{prefix}/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return _with_csp(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url=openapi_url, title=f"{title} — API",
                              redoc_js_url=f"{assets}/redoc.standalone.js", redoc_favicon_url=f"{assets}/favicon.png",
                              with_google_fonts=False)
        return _with_csp(page)
