"""Reviewer and merchant pages of the claim service, under ``/ui`` (``create_app`` includes :data:`router`).

Pages authenticate with the service's API keys, once: the login form checks the key and opens a server-side
session (``service.auth.sessions``); the HttpOnly, SameSite=Strict cookie holds only the session's random token,
never the key. A session ends on logout, after ``security.session_lifetime_s``, after ``session_idle_s`` without
a page view, and as soon as its key is revoked. Every form that changes something carries the session's CSRF
token (the login form a token bound to a pre-login cookie); a missing or wrong token is a 403. Failed logins
are rate-limited per client address. Every action calls the same service functions as the JSON API, so the
audit chain, webhooks and permissions are the API's.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundguard.errors import RefundGuardError
from refundguard.messages import CATALOGUE, Context, render
from refundguard.messages.compose import actor_words, timeline_entry
from refundguard.report.pdf import FontMissing, cumulative_amount, load_legal_tiers, standings
from refundguard.service.auth import sessions
from refundguard.service.auth.deps import DbSession
from refundguard.service.auth.guard import AuthGuard
from refundguard.service.auth.ratelimit import client_address
from refundguard.service.auth.service import Principal, Role, key_row
from refundguard.service.claims import service as claims
from refundguard.service.claims.models import Claim
from refundguard.service.claims.schemas import DecisionIn
from refundguard.service.claims.workflow import DECIDABLE, OPEN_FOR_EVIDENCE, Party, State
from refundguard.service.db import utcnow
from refundguard.service.errors import DomainError, TooManyRequests, Unauthorized
from refundguard.service.evidence import service as evidence_service
from refundguard.service.evidence.service import Upload
from refundguard.web.errors import PageError, font_missing_page
from refundguard.web.i18n import pick_lang
from refundguard.web.rendering import SERVICE_PREFIX, error_page, page, stylesheet, zone_of
from refundguard.web.stored import StoredClaimError, bundle_for_claim, load_case, outcome_label
from refundguard.web.thumbs import thumbnail_url
from refundguard.web.uploads import safe_name, uploads_of
from refundguard.web.view import page_report

#: the pre-login cookie whose value the login form must echo (login CSRF)
LOGIN_COOKIE = "rg_login"
LEVEL_ORDER = {"high": 3, "review": 2, "low": 1}
#: claim states and decisions in words (the message catalogue's ``state.*`` and ``outcome_short.*``)
STATE_TEXT = {s.value: (render(f"state.{s.value}", {}, Context("en")), render(f"state.{s.value}", {}, Context("zh")))
              for s in State if f"state.{s.value}" in CATALOGUE}
OUTCOME_TEXT = {o: (render(f"outcome_short.{o}", {}, Context("en")), render(f"outcome_short.{o}", {}, Context("zh")))
                for o in ("approved", "rejected", "more_evidence_requested", "fraud_confirmed")}


class LoginRequired(Exception):
    """No valid key in the cookie: the page redirects to the login form."""


class PageRoute(APIRoute):
    """Routes whose errors are pages: domain and input errors become 4xx pages, a missing login a redirect.

    The service's JSON error handlers stay in charge of the API; these pages never answer with JSON.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{SERVICE_PREFIX}/login?next={quote(target, safe='')}", status_code=303)
            except PageError as exc:
                return error_page(request, exc)
            except DomainError as exc:
                return error_page(request, PageError(exc.status, exc.en, exc.zh))
            except RefundGuardError as exc:
                return error_page(request, PageError(422, str(exc), f"输入无法使用：{exc}"))
            except StoredClaimError as exc:
                return error_page(request, PageError(409, str(exc), f"无法读取已存储的申请：{exc}"))
            except StarletteHTTPException as exc:
                return error_page(request, PageError(exc.status_code, str(exc.detail), f"请求错误：{exc.detail}"))

        return route


router = APIRouter(prefix=SERVICE_PREFIX, route_class=PageRoute, include_in_schema=False)


def viewer(request: Request, session: DbSession) -> Principal:
    """The principal of the request's live web session (its CSRF token goes to the page's forms)."""
    active = sessions.resolve(session=session, token=request.cookies.get(sessions.COOKIE),
                              config=request.app.state.config.security)
    if active is None:
        raise LoginRequired
    request.state.web_session = active
    request.state.csrf_token = active.csrf_token
    return active.principal


def _check_csrf(request: Request, form: FormData) -> None:
    """A state-changing form must carry the session's CSRF token (field ``csrf_token`` or ``X-CSRF-Token``)."""
    presented = form.get("csrf_token") or request.headers.get("x-csrf-token")
    active: sessions.ActiveSession | None = getattr(request.state, "web_session", None)
    if active is None or not isinstance(presented, str) or not sessions.csrf_ok(active, presented):
        raise PageError(403, "This form has expired or was not sent from this site; reload the page and try again.",
                        "表单已失效或并非从本站提交；请刷新页面后重试。")


Viewer = Annotated[Principal, Depends(viewer)]


def _safe_next(target: str | None) -> str:
    if target and target.startswith(SERVICE_PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return SERVICE_PREFIX + "/"


async def _form(request: Request, *, max_bytes: int, max_files: int = 0) -> FormData:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise PageError(411, "The form must state its size (Content-Length).", "表单请求必须声明大小。")
    if int(length) > max_bytes:
        raise PageError(413, f"The form is larger than {max_bytes // (1024 * 1024)} MiB.",
                        f"表单超过 {max_bytes // (1024 * 1024)} MiB。")
    try:
        return await request.form(max_files=max_files, max_fields=20)
    except StarletteHTTPException as exc:
        raise PageError(400, f"The form could not be read: {exc.detail}", f"无法读取表单：{exc.detail}") from exc


def _overdue(claim: Claim, now: datetime) -> bool:
    return claim.deadline is not None and claim.deadline < now


# ------------------------------------------------------------------------------------------------ login
@router.get("/static/web.css")
def css() -> Response:
    return stylesheet()


def _login_page(request: Request, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """The login form with a fresh pre-login token in the form and in a cookie."""
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", {**context, "login_token": token}, status=status)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=f"{SERVICE_PREFIX}/login",
                        secure=request.url.scheme == "https", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, {"next": _safe_next(next)})


@router.post("/login")
async def login(request: Request, session: DbSession) -> Response:
    """Check the key, open a session, set its cookie. Failed logins count against the client's address."""
    guard: AuthGuard = request.app.state.auth_guard
    security = request.app.state.config.security
    client = client_address(request.scope)
    try:  # before the form is even read
        guard.check_login_allowed(client)
    except TooManyRequests as exc:
        response = _login_page(request, {"next": SERVICE_PREFIX + "/", "locked": exc}, status=429)
        response.headers.update(exc.headers or {})
        return response
    form = await _form(request, max_bytes=16 * 1024)
    target = _safe_next(str(form.get("next") or ""))
    presented, expected = form.get("csrf_token"), request.cookies.get(LOGIN_COOKIE)
    if not isinstance(presented, str) or not expected or not hmac.compare_digest(presented.encode(),
                                                                                expected.encode()):
        raise PageError(403, "The login form has expired or was not sent from this site; reload it and try again.",
                        "登录表单已失效或并非从本站提交；请刷新后重试。")
    key = str(form.get("key") or "").strip()

    def work() -> str | None:
        try:
            row = key_row(session=session, key=key)
        except Unauthorized:
            return None
        sessions.end_session(session=session, token=request.cookies.get(sessions.COOKIE), config=security)
        token, _row = sessions.open_session(session=session, key=row, config=security, client=client,
                                            user_agent=request.headers.get("user-agent"))
        session.commit()
        return token

    token = await run_in_threadpool(work)
    if token is None:
        await run_in_threadpool(guard.login_failed, client, key, session)
        return _login_page(request, {"next": target, "failed": True}, status=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(sessions.COOKIE, token, httponly=True, samesite="strict", path=SERVICE_PREFIX,
                        secure=request.url.scheme == "https", max_age=int(security.session_lifetime_s))
    response.delete_cookie(LOGIN_COOKIE, path=f"{SERVICE_PREFIX}/login")
    return response


@router.post("/logout")
async def logout(request: Request, session: DbSession) -> Response:
    """End the session (it is revoked in the database, not only forgotten by the browser)."""
    security = request.app.state.config.security
    token = request.cookies.get(sessions.COOKIE)
    active = await run_in_threadpool(sessions.resolve, session=session, token=token, config=security, touch=False)
    if active is not None:
        request.state.web_session = active
        form = await _form(request, max_bytes=16 * 1024)
        _check_csrf(request, form)

        def work() -> None:
            sessions.end_session(session=session, token=token, config=security)
            session.commit()

        await run_in_threadpool(work)
    response = RedirectResponse(f"{SERVICE_PREFIX}/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path=SERVICE_PREFIX)
    return response


@router.get("/")
def home(who: Viewer) -> Response:
    target = "queue" if who.role in (Role.REVIEWER, Role.ADMIN) else "claims"
    return RedirectResponse(f"{SERVICE_PREFIX}/{target}", status_code=303)


# ------------------------------------------------------------------------------------------------ lists
#: claims per page of the lists
PAGE_SIZE = 50


def _list_context(request: Request, session: DbSession, who: Principal, *, queue: bool) -> dict[str, Any]:
    """One page of the queue or the claim list, with the filters, order and page from the query string."""
    q = request.query_params
    sort = q.get("sort") if q.get("sort") in claims.LIST_ORDERS else "deadline"
    order = "desc" if q.get("order") == "desc" else "asc"
    level = q.get("level") if q.get("level") in LEVEL_ORDER else None
    state = q.get("state") if q.get("state") in STATE_TEXT else None
    merchant = (q.get("merchant") or "")[:128] or None
    wanted = q.get("page", "1")
    number = max(1, int(wanted)) if wanted.isascii() and wanted.isdigit() and len(wanted) <= 6 else 1
    now = utcnow()

    def fetch(n: int) -> claims.ClaimListing:
        return claims.browse(session=session, principal=who, queue=queue, level=level, merchant=merchant,
                             state=state, order_by=sort, descending=order == "desc", limit=PAGE_SIZE,
                             offset=(max(n, 1) - 1) * PAGE_SIZE, now=now)

    listing = fetch(number)
    pages = max(1, -(-listing.total // PAGE_SIZE))
    if number > pages:  # past the end (claims were decided meanwhile): show the last page
        number = pages
        listing = fetch(number)
    filters = {"sort": sort, "order": order, "level": level or "", "state": state or "", "merchant": merchant or ""}

    def link(n: int) -> str:
        return "?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": n})

    return {"rows": listing.rows, "total": listing.total, "overdue_total": listing.overdue, "now": now,
            "overdue": {c.id for c in listing.rows if _overdue(c, now)}, "filters": filters,
            "page_number": number, "pages": pages,
            "previous_page": link(number - 1) if number > 1 else None,
            "next_page": link(number + 1) if number < pages else None,
            "state_text": STATE_TEXT, "outcome_text": OUTCOME_TEXT}


@router.get("/queue", response_class=HTMLResponse, name="web_queue")
def queue_page(request: Request, session: DbSession, who: Viewer) -> HTMLResponse:
    """Reviewer queue: claims in review and in a merchant window; filter, sort, page; overdue ones stand out."""
    return page(request, "queue.html", {**_list_context(request, session, who, queue=True), "who": who,
                                        "title_en": "Review queue", "title_zh": "审核队列"}, tenant=who.tenant)


@router.get("/claims", response_class=HTMLResponse, name="web_claims")
def claims_page(request: Request, session: DbSession, who: Viewer) -> HTMLResponse:
    """All claims the key may see (a merchant sees its own), with deadlines; filter, sort, page."""
    return page(request, "queue.html", {**_list_context(request, session, who, queue=False), "who": who,
                                        "title_en": "Claims", "title_zh": "申请列表"}, tenant=who.tenant)


# ------------------------------------------------------------------------------------------------- case
def _masked_for(who: Principal) -> str | None:
    """A merchant sees other merchants' claims of the same buyer only as amounts (see ``stored.buyer_history``)."""
    return who.merchant_id or "" if who.role is Role.MERCHANT else None


def case_view(store: Any, report: dict[str, Any], photos: list[tuple[str, str]], *, lang: str, tz: Any,
              symbol: str = "¥") -> Any:
    """The report's view with the thumbnails kept in the evidence store (made on the first view), the photos named
    by their uploaded file names."""
    try:
        thumbs = [thumbnail_url(store, sha) for _, sha in photos]
    except (OSError, ValueError, DomainError) as exc:  # the store refuses a malformed digest (DomainError)
        raise StoredClaimError(f"an evidence file of this claim cannot be shown: {exc}") from exc
    return page_report(report, names=[name for name, _ in photos], lang=lang, tz=tz, thumbs=thumbs, symbol=symbol)


def timeline_rows(facts: Any, *, lang: str, tz: Any) -> list[dict[str, Any]]:
    """The claim's audit entries in words, in the reader's language and zone."""
    from refundguard.messages.render import format_time

    ctx = Context(lang=lang, tz=tz)
    rows = []
    for e in facts.timeline:
        title, lines = timeline_entry(e.action, e.details, ctx, facts.file_names)
        rows.append({"at": format_time(e.at, tz), "action": e.action, "title": title, "lines": lines,
                     "actor": actor_words(e.actor, ctx)})
    return rows


def _may_decide(who: Principal, claim: Claim) -> bool:
    return who.role in (Role.REVIEWER, Role.ADMIN) and claim.state in DECIDABLE


def _may_respond(who: Principal, claim: Claim) -> bool:
    """The merchant's upload form: in a window or review, and for an evidence request only when it asks the
    merchant (a request meant for the buyer is answered by the buyer, through the platform)."""
    if who.role not in (Role.MERCHANT, Role.ADMIN) or claim.state not in OPEN_FOR_EVIDENCE:
        return False
    return claim.state != State.AWAITING_EVIDENCE.value or claim.evidence_from == Party.MERCHANT.value


@router.get("/claims/{claim_id}", response_class=HTMLResponse, name="web_case")
def case_page(request: Request, claim_id: str, session: DbSession, who: Viewer) -> HTMLResponse:
    """Photos beside the matched reference, findings with evidence, timeline, buyer history, decision/response."""
    claim = claims.get_visible(session=session, principal=who, claim_id=claim_id)
    store = request.app.state.store
    case = load_case(session=session, store=store, claim=claim, limits=request.app.state.settings.limits,
                     viewer_merchant=_masked_for(who), decode=False)
    lang, tz = pick_lang(request), zone_of(request, claim.tenant)
    tiers = load_legal_tiers()
    view = case_view(store, case.report, case.photos or [], lang=lang, tz=tz, symbol=tiers.symbol) \
        if case.report else None
    total = cumulative_amount(case.facts.history, tiers.counted_outcomes)
    evidence = evidence_service.for_claim(session=session, claim_id=claim.id)
    now = utcnow()
    return page(request, "case.html", {
        "who": who, "claim": claim, "view": view, "facts": case.facts, "evidence": evidence, "tiers": tiers,
        "total": total, "standings": standings(tiers, total), "counted": tiers.counted_outcomes,
        "may_decide": _may_decide(who, claim), "may_respond": _may_respond(who, claim),
        "overdue": _overdue(claim, now), "now": now, "state_text": STATE_TEXT, "outcome_text": OUTCOME_TEXT,
        "state_keys": {f"state.{k}" for k in STATE_TEXT}, "outcome": outcome_label(claim),
        "pending": claim.state in (State.CREATED.value, State.ANALYSING.value),
        "evidence_config": request.app.state.config.evidence, "timeline": timeline_rows(case.facts, lang=lang, tz=tz),
    }, tenant=claim.tenant)


@router.post("/claims/{claim_id}/decision")
async def decide(request: Request, claim_id: str, session: DbSession, who: Viewer) -> Response:
    """Approve, reject or ask for more evidence, with a required reason (recorded in the audit chain)."""
    form = await _form(request, max_bytes=64 * 1024)
    _check_csrf(request, form)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise PageError(422, "A reason is required for every decision.", "每个决定都必须填写理由。")
    outcome = str(form.get("outcome") or "")
    more = outcome == "more_evidence_requested"
    try:
        decision = DecisionIn(outcome=outcome, reason=reason, abuse=form.get("abuse") in ("on", "true", "1"),
                              evidence_from=str(form.get("evidence_from") or "buyer") if more else None)
    except ValidationError as exc:
        raise PageError(422, "Choose approve, reject or ask the buyer or the merchant for more evidence (not with "
                             "'abuse'); the reason is at most 5000 characters.",
                        "请选择同意、驳回，或要求买家或商家补充证据（不可同时勾选恶意）；理由最多 5000 字。") from exc

    def work() -> None:
        claims.decide(session=session, principal=who, claim_id=claim_id, decision=decision,
                      config=request.app.state.config)
        session.commit()

    await run_in_threadpool(work)
    return RedirectResponse(f"{SERVICE_PREFIX}/claims/{quote(claim_id)}#timeline", status_code=303)


@router.post("/claims/{claim_id}/respond")
async def respond(request: Request, claim_id: str, session: DbSession, who: Viewer) -> Response:
    """The merchant's answer: listing and shipping photos, a packing video and a statement."""
    cfg = request.app.state.config
    limit = cfg.evidence.max_video_bytes + cfg.evidence.max_files_per_request * cfg.evidence.max_photo_bytes
    form = await _form(request, max_bytes=limit, max_files=cfg.evidence.max_files_per_request + 1)
    try:
        _check_csrf(request, form)
        photos: list[Upload] = []
        for field, label in (("listing", "listing"), ("shipping", "shipping")):
            for n, upload in enumerate(uploads_of(form.getlist(field)), 1):
                photos.append(Upload(f"{label}-{safe_name(upload.filename, str(n))}", upload.file))
        videos = uploads_of(form.getlist("video"))
        if len(videos) > 1:
            raise PageError(400, "Send one packing video.", "请只提交一个打包视频。")
        video = Upload(safe_name(videos[0].filename, "packing-video"), videos[0].file) if videos else None
        statement = str(form.get("statement") or "").strip() or None

        def work() -> str | None:
            _claim, job = claims.add_evidence(session=session, principal=who, claim_id=claim_id, photos=photos,
                                              video=video, statement=statement, store=request.app.state.store,
                                              config=cfg)
            session.commit()
            return job.id if job else None

        job_id = await run_in_threadpool(work)
    finally:
        await form.close()
    if job_id is not None:
        request.app.state.runner.submit(job_id)
    return RedirectResponse(f"{SERVICE_PREFIX}/claims/{quote(claim_id)}", status_code=303)


@router.get("/claims/{claim_id}/bundle.pdf")
def bundle(request: Request, claim_id: str, session: DbSession, who: Viewer) -> Response:
    """The evidence bundle PDF of the claim."""
    claim = claims.get_visible(session=session, principal=who, claim_id=claim_id)
    try:
        pdf = bundle_for_claim(session=session, store=request.app.state.store, claim=claim,
                               limits=request.app.state.settings.limits, viewer_merchant=_masked_for(who),
                               timezone=request.app.state.config.display.zone_name(claim.tenant))
    except FontMissing as exc:
        raise font_missing_page(exc) from exc
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="refundguard-bundle-{claim.id}.pdf"',
        "Cache-Control": "no-store"})
