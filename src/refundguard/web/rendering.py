"""Jinja2 templates of the pages and the helpers that render them in the request's language.

The pages share the report's partials (``refundguard/report/templates/_*.html``) with the standalone HTML report
and the PDF; the loader looks in the pages' own templates first, then in the report's.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader

from refundguard import __version__
from refundguard.messages import Context, render
from refundguard.messages.render import format_time
from refundguard.report.templating import BASIS_TEXT, LEVEL_TEXT, report_css
from refundguard.web.errors import PageError
from refundguard.web.i18n import pick_lang, remember_lang, translator

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates")),
                                     PackageLoader("refundguard.report", "templates")])
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True

#: URL prefix of the claim service's pages (the local mode serves from the root).
SERVICE_PREFIX = "/ui"


def zone_of(request: Request, tenant: str | None = None) -> Any:
    """The zone the request's pages show times in: the tenant's (``[service.display]``), or the local mode's."""
    display = getattr(getattr(request.app.state, "config", None), "display", None)
    if display is not None:
        return display.zone(tenant)
    return getattr(request.app.state, "timezone", None) or UTC


def page(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200,
         tenant: str | None = None) -> HTMLResponse:
    """Render template ``name`` with the language helpers, remembering an explicit ``?lang=``.

    Times are shown with ``when(value)`` in the tenant's zone with its offset; sentences of the catalogue with
    ``say(key, **params)``."""
    lang = pick_lang(request)
    service = request.url.path.startswith(SERVICE_PREFIX + "/") or request.url.path == SERVICE_PREFIX
    tz = zone_of(request, tenant)
    words = Context(lang=lang, tz=tz)

    def when(value: Any) -> str:
        return format_time(value, tz) if value is not None else "—"

    def say(key: str, **params: Any) -> str:
        return render(key, params, words)

    ctx: dict[str, Any] = {"lang": lang, "t": translator(lang), "version": __version__, "level_text": LEVEL_TEXT,
                           "basis_text": BASIS_TEXT, "when": when, "say": say, "tz": tz,
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
    """The pages' one stylesheet: web.css, then the report partials' report.css."""
    css = (HERE / "static" / "web.css").read_text("utf-8") + "\n" + report_css()
    return Response(css.encode("utf-8"), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


def script(name: str) -> Response:
    """A script of the pages (served from this origin: the pages' CSP allows no inline script)."""
    return Response((HERE / "static" / name).read_bytes(), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=3600"})
