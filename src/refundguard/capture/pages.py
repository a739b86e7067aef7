"""The capture panel of the case page (``/ui/claims/{id}``) and its "request a live capture" form.

A reviewer (or admin) asks from the case page while the claim is in review or in its merchant window; a merchant
asks from its own claim's page while its window is open (when the tenant's policy allows). The panel lists the
claim's capture requests: status, deadline, the one-time code, each shot with its SHA-256 and server time, and the
check of the session's signed record.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundguard.capture import service as capture_service
from refundguard.capture.buyer import env
from refundguard.capture.routes import link_key
from refundguard.capture.schemas import CaptureRequestIn
from refundguard.capture.verify import check_session
from refundguard.service.auth.deps import DbSession
from refundguard.service.auth.service import Principal, Role
from refundguard.service.claims.models import Claim
from refundguard.service.claims.workflow import State
from refundguard.service.db import utcnow
from refundguard.web.errors import PageError
from refundguard.web.i18n import pick_lang, translator
from refundguard.web.pages import PageRoute, Viewer
from refundguard.web.pages import _check_csrf as check_csrf
from refundguard.web.rendering import SERVICE_PREFIX

router = APIRouter(prefix=SERVICE_PREFIX, route_class=PageRoute, include_in_schema=False)
STATUS_TEXT = {"requested": ("link sent, not opened yet", "链接已发送，尚未打开"),
               "started": ("the buyer is taking the photos", "买家正在拍摄"),
               "completed": ("completed", "已完成"), "expired": ("expired: the buyer did not complete it",
                                                             "已过期：买家没有完成拍摄"),
               "cancelled": ("cancelled", "已取消")}


def may_request(who: Principal, claim: Claim, config: Any) -> bool:
    """Whether this viewer may ask for a live capture of this claim now."""
    if who.role in (Role.REVIEWER, Role.ADMIN, Role.PLATFORM):
        return claim.state in (State.IN_REVIEW.value, State.AWAITING_MERCHANT.value)
    if who.role is Role.MERCHANT:
        return (claim.state == State.AWAITING_MERCHANT.value and config.policy_for(claim.tenant).merchant_may_request
                and (claim.deadline is None or claim.deadline > utcnow()))
    return False


def panel(request: Request, session: Session, who: Principal, claim: Claim) -> Markup:
    """The capture section of the case page (empty when there is nothing to show or to do)."""
    config = request.app.state.config.capture
    rows = capture_service.for_claim(session=session, claim=claim)
    allowed = may_request(who, claim, config) and not any(r.status in capture_service.OPEN for r in rows)
    if not rows and not allowed:
        return Markup("")
    views = []
    for row in rows:
        check = check_session(session=session, request=row, store=request.app.state.store, config=config)
        views.append({"row": row, "frames": capture_service.frames_of(session=session, request=row),
                      "check": check, "damage": json.loads(row.marked)})
    lang = pick_lang(request)
    html = env.get_template("case_panel.html").render(
        lang=lang, t=translator(lang), claim=claim, captures=views, allowed=allowed, status_text=STATUS_TEXT,
        merchant=who.role is Role.MERCHANT, deadline_hours=config.deadline_hours,
        csrf_token=getattr(request.state, "csrf_token", ""))
    return Markup(html)


async def _form(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > 32 * 1024:
        raise PageError(413, "The form is too large.", "表单过大。")
    try:
        return await request.form(max_files=0, max_fields=12)
    except StarletteHTTPException as exc:
        raise PageError(400, f"The form could not be read: {exc.detail}", f"无法读取表单：{exc.detail}") from exc


@router.post("/claims/{claim_id}/capture")
async def request_capture(request: Request, claim_id: str, session: DbSession, who: Viewer) -> Response:
    """Ask the buyer for a live capture, from the case page (the form carries the session's CSRF token)."""
    form = await _form(request)
    check_csrf(request, form)
    damage = []
    if all(form.get(k) for k in ("x", "y", "w", "h")):
        damage.append({"photo": form.get("photo") or 0, **{k: form.get(k) for k in ("x", "y", "w", "h")}})
    hours = form.get("deadline_hours")
    try:
        data = CaptureRequestIn(reason=str(form.get("reason") or "").strip() or None,
                                deadline_hours=float(hours) if hours else None, turn=form.get("turn") or None,
                                damage=damage)
    except (ValidationError, ValueError) as exc:
        raise PageError(422, "Check the deadline (hours, up to 14 days) and the marked region (whole pixels).",
                        "请检查截止时间（小时，最多 14 天）和标出的区域（整数像素）。") from exc
    config = request.app.state.config.capture

    def work() -> None:
        capture_service.request_capture(session=session, principal=who, claim_id=claim_id, data=data,
                                        config=config, key=link_key(request))
        session.commit()

    await run_in_threadpool(work)
    return RedirectResponse(f"{SERVICE_PREFIX}/claims/{quote(claim_id)}#capture", status_code=303)
