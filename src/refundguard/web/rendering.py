"""Jinja2 templates of the pages and the helpers that render them in the request's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from refundguard import __version__
from refundguard.report.templating import BASIS_TEXT, LEVEL_TEXT
from refundguard.web.errors import PageError
from refundguard.web.i18n import pick_lang, remember_lang, translator

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True

#: URL prefix of the claim service's pages (the local mode serves from the root).
SERVICE_PREFIX = "/ui"


def page(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HTMLResponse:
    """Render template ``name`` with the language helpers, remembering an explicit ``?lang=``."""
    lang = pick_lang(request)
    service = request.url.path.startswith(SERVICE_PREFIX + "/") or request.url.path == SERVICE_PREFIX
    ctx: dict[str, Any] = {"lang": lang, "t": translator(lang), "version": __version__, "level_text": LEVEL_TEXT,
                           "basis_text": BASIS_TEXT,
                           "nav": "service" if service else "local",
                           "css_url": f"{SERVICE_PREFIX}/static/web.css" if service else "/static/web.css",
                           # the CSRF token of the request's session (service) or form cookie (local mode)
                           "csrf_token": getattr(request.state, "csrf_token", "")}
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    remember_lang(request, response)
    return response


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    return page(request, "error.html", {"error": exc}, status=exc.status)


def stylesheet() -> Response:
    """The pages' one stylesheet."""
    return Response((HERE / "static" / "web.css").read_bytes(), media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600"})
