"""The buyer's endpoints: ``/v1/ledger/me`` (JSON) and ``/ledger/me`` (a page), with the platform's access token.

The token comes as ``Authorization: Bearer bt_…`` or, for the page's link, as ``?token=``: the page then moves it
into an HttpOnly, SameSite=Strict cookie and redirects to a URL without it, so that it does not stay in the
browser's history or the server's access log. What the buyer sees is everything the ledger holds on them here:
identifiers (as kinds and pseudonyms), this platform's adjudications, entries from every member, appeals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from refundguard.ledger import appeals, buyers
from refundguard.ledger.routes.common import ledger_of
from refundguard.service.auth.deps import DbSession
from refundguard.service.errors import DomainError

router = APIRouter(prefix="/v1/ledger/me", tags=["ledger buyer"])
pages = APIRouter(prefix="/ledger", tags=["ledger buyer"], include_in_schema=False)
templates = Environment(loader=PackageLoader("refundguard.ledger", "templates"),
                        autoescape=select_autoescape(["html"]))


COOKIE = "rg_buyer"


def _token(request: Request, token: str | None = None) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return token or request.cookies.get(COOKIE)


def _buyer(request: Request, token: str | None = None) -> tuple[str, str]:
    return ledger_of(request).links.read(_token(request, token))


def _form_token(link_token: str) -> str:
    """The page forms' CSRF token: bound to the buyer's HttpOnly link cookie, which another site cannot read."""
    return hashlib.sha256(b"refundguard ledger buyer form\0" + link_token.encode("utf-8")).hexdigest()[:43]


@router.get("")
def holdings(request: Request, session: DbSession, token: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    """What the ledger holds on you."""
    tenant, buyer_id = _buyer(request, token)
    return buyers.holdings(session, ledger_of(request), tenant=tenant, buyer_id=buyer_id)


class AppealIn(BaseModel):
    """Name your adjudication (``adjudication_id``) or an entry (``issuer`` and ``entry_id``), and say why."""

    model_config = ConfigDict(extra="forbid")

    adjudication_id: Annotated[str, Field(max_length=32)] | None = None
    issuer: Annotated[str, Field(max_length=64)] | None = None
    entry_id: Annotated[str, Field(max_length=32)] | None = None
    statement: Annotated[str, Field(min_length=1, max_length=5000)]


@router.post("/appeals", status_code=201)
def appeal(body: AppealIn, request: Request, session: DbSession) -> dict[str, Any]:
    """Appeal: the entry leaves every answer until its issuer resolves the appeal."""
    tenant, buyer_id = _buyer(request)
    row = appeals.file_appeal(session, ledger_of(request), tenant=tenant, buyer_id=buyer_id, statement=body.statement,
                              adjudication_id=body.adjudication_id, issuer=body.issuer, entry_id=body.entry_id)
    session.commit()
    return {"appeal_id": row.id, "status": row.status}


@router.get("/export")
def export(request: Request, session: DbSession, token: Annotated[str | None, Query()] = None) -> Response:
    """Everything the ledger holds on you, as a JSON file."""
    tenant, buyer_id = _buyer(request, token)
    data = buyers.holdings(session, ledger_of(request), tenant=tenant, buyer_id=buyer_id)
    return Response(json.dumps(data, ensure_ascii=False, indent=2, default=str), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="refundguard-ledger-export.json"'})


@router.post("/erase")
def erase(request: Request, session: DbSession) -> dict[str, Any]:
    """Erase what is past its retention; what still stands is kept, with its end date."""
    tenant, buyer_id = _buyer(request)
    out = buyers.erase(session, ledger_of(request), tenant=tenant, buyer_id=buyer_id)
    session.commit()
    return out


@pages.get("/me", response_class=HTMLResponse)
def page(request: Request, session: DbSession, token: Annotated[str | None, Query(max_length=600)] = None,
         message: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The buyer's page: what is held, appeal forms, export."""
    try:
        tenant, buyer_id = _buyer(request, token)
    except DomainError as exc:
        html = templates.get_template("buyer.html").render(error=exc, data=None, message=None)
        response: Response = HTMLResponse(html, status_code=exc.status)
        response.delete_cookie(COOKIE, path="/")
        return response
    if token:  # from the link: keep it in a cookie, not in the address
        response = RedirectResponse("/ledger/me" + (f"?message={quote(message)}" if message else ""), status_code=303)
        response.set_cookie(COOKIE, token, max_age=int(ledger_of(request).config.buyer_link_hours * 3600),
                            httponly=True, samesite="strict", path="/", secure=request.url.scheme == "https")
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    data = buyers.holdings(session, ledger_of(request), tenant=tenant, buyer_id=buyer_id)
    html = templates.get_template("buyer.html").render(error=None, data=data, message=message,
                                                       csrf_token=_form_token(request.cookies.get(COOKIE, "")))
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@pages.post("/me/appeal")
def page_appeal(request: Request, session: DbSession, statement: Annotated[str, Form(min_length=1, max_length=5000)],
                adjudication_id: Annotated[str | None, Form(max_length=32)] = None,
                issuer: Annotated[str | None, Form(max_length=64)] = None,
                entry_id: Annotated[str | None, Form(max_length=32)] = None,
                csrf_token: Annotated[str, Form(max_length=64)] = "") -> Response:
    """The page's appeal form (with the page's CSRF token); back to the page with a message."""
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not hmac.compare_digest(csrf_token.encode(), _form_token(cookie).encode()):
        expired = DomainError("This form has expired or was not sent from this page; reload it and try again.",
                              "表单已失效或并非从本页面提交；请刷新后重试。", code="csrf_failed")
        html = templates.get_template("buyer.html").render(error=expired, data=None, message=None)
        return HTMLResponse(html, status_code=403)
    try:
        tenant, buyer_id = _buyer(request)
        appeals.file_appeal(session, ledger_of(request), tenant=tenant, buyer_id=buyer_id, statement=statement,
                            adjudication_id=adjudication_id or None, issuer=issuer or None, entry_id=entry_id or None)
        session.commit()
        message = "appeal_filed"
    except DomainError as exc:
        session.rollback()
        message = exc.code[:40]
    return RedirectResponse(f"/ledger/me?message={quote(message)}", status_code=303)
