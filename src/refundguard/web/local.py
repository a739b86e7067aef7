"""Single-merchant local mode: drop a claim photo and your own photos, get the report and the PDF bundle.

No account, no database: results live in memory (the newest few) for the life of the process.
Run it with ``refundguard local`` (or ``refundguard serve --local`` where the service wires it in).

The upload form carries a token that must match a cookie set with the form (a page on another site cannot
make the browser post photos here), bodies are capped and timed by the service's request gate, and every
answer has the service's browser security headers.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundguard.checks.registry import ClaimInfo
from refundguard.config import Settings, default_settings
from refundguard.engine import Analysis, analyze
from refundguard.errors import InputError
from refundguard.report.json import to_dict
from refundguard.report.pdf import CaseFacts, LegalTiers, bundle_from_analysis, load_legal_tiers
from refundguard.service.config import RequestLimitsConfig
from refundguard.service.ingress.gate import POST, BodyRule, RequestGate
from refundguard.service.ingress.headers import SecurityHeaders
from refundguard.web.errors import PageError
from refundguard.web.rendering import error_page, page, stylesheet
from refundguard.web.uploads import UploadLimits, decode, read_upload, safe_name, uploads_of
from refundguard.web.view import report_view

TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: the cookie whose value the upload form must echo (CSRF)
FORM_COOKIE = "rg_form"


class ResultStore:
    """The newest ``keep`` analyses, by an unguessable token."""

    def __init__(self, keep: int) -> None:
        self.keep = max(1, keep)
        self._items: OrderedDict[str, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, analysis: Analysis) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._items[token] = analysis
            while len(self._items) > self.keep:
                self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Analysis:
        with self._lock:
            found = self._items.get(token) if set(token) <= TOKEN_CHARS else None
        if found is None:
            raise PageError(404, "This report is not (or no longer) available; analyse the photos again.",
                            "该报告不存在或已过期，请重新上传分析。")
        return found


def _amount(raw: str) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (0 <= value < 1e10):
        raise PageError(400, "The amount must be a number ≥ 0.", "金额必须是不小于 0 的数字。")
    return value


def _when(raw: str, label_en: str, label_zh: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        return datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise PageError(400, f"{label_en}: not a date and time", f"{label_zh}：不是有效的日期时间") from exc


def create_local_app(*, settings: Settings | None = None, limits: UploadLimits | None = None,
                     tiers: LegalTiers | None = None, keep: int = 16) -> FastAPI:
    """The local-mode web app (engine only)."""
    settings = settings or default_settings()
    limits = limits or UploadLimits()
    legal = tiers or load_legal_tiers()
    store = ResultStore(keep)
    app = FastAPI(title="RefundGuard local", docs_url=None, redoc_url=None, openapi_url=None)
    request_limits = RequestLimitsConfig()
    app.add_middleware(RequestGate, limits=request_limits, rules=(
        BodyRule(r"/analyze", lambda _c: limits.max_request_bytes, "none", POST, same_origin=True),
        BodyRule(r".*", lambda c: c.max_body_bytes, "none")))
    app.add_middleware(SecurityHeaders)

    @app.get("/static/web.css", include_in_schema=False)
    def css() -> Response:
        return stylesheet()

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
        return error_page(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        en = "Page not found." if exc.status_code == 404 else str(exc.detail)
        zh = "页面不存在。" if exc.status_code == 404 else f"请求错误：{exc.detail}"
        return error_page(request, PageError(exc.status_code, en, zh))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return error_page(request, PageError(400, "The request is malformed.", "请求格式错误。"))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/", response_class=HTMLResponse)
    def upload_form(request: Request) -> HTMLResponse:
        kept = request.cookies.get(FORM_COOKIE, "")
        token = kept if len(kept) == 43 and set(kept) <= TOKEN_CHARS else secrets.token_urlsafe(32)
        request.state.csrf_token = token
        response = page(request, "local_upload.html", {"limits": limits})
        response.set_cookie(FORM_COOKIE, token, httponly=True, samesite="strict", max_age=24 * 3600,
                            secure=request.url.scheme == "https")
        return response

    @app.post("/analyze")
    async def analyze_upload(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise PageError(411, "The upload must state its size (Content-Length).", "上传请求必须声明大小。")
        if int(length) > limits.max_request_bytes:
            mib = limits.max_request_bytes // (1024 * 1024)
            raise PageError(413, f"The upload is larger than {mib} MiB in all.", f"上传总大小超过 {mib} MiB。")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise PageError(415, "Send the photos as a multipart form.", "请以表单（multipart）方式上传图片。")
        try:
            form = await request.form(max_files=limits.max_claim_files + limits.max_reference_files, max_fields=20)
        except StarletteHTTPException as exc:
            raise PageError(400, f"The upload could not be read: {exc.detail}", f"无法读取上传内容：{exc.detail}") \
                from exc
        try:
            presented, expected = form.get("csrf_token"), request.cookies.get(FORM_COOKIE)
            if not isinstance(presented, str) or not expected or not hmac.compare_digest(presented.encode(),
                                                                                        expected.encode()):
                raise PageError(403, "This form has expired or was not sent from this page; reload it and try again.",
                                "表单已失效或并非从本页面提交；请刷新后重试。")
            claim_files = uploads_of(form.getlist("claim"))
            ref_files = uploads_of(form.getlist("reference"))
            if not claim_files:
                raise PageError(400, "Choose at least one claim photo (the buyer's evidence).",
                                "请至少选择一张买家凭证图片。")
            if len(claim_files) > limits.max_claim_files or len(ref_files) > limits.max_reference_files:
                raise PageError(400, f"At most {limits.max_claim_files} claim photos and "
                                     f"{limits.max_reference_files} of your photos per analysis.",
                                f"每次最多 {limits.max_claim_files} 张凭证图片和 "
                                f"{limits.max_reference_files} 张商家图片。")
            info = ClaimInfo(amount=_amount(str(form.get("amount") or "")),
                             delivered_at=_when(str(form.get("delivered_at") or ""), "delivery time", "签收时间"))
            raw: list[tuple[str, str, bytes]] = []
            for role, files in (("claim", claim_files), ("reference", ref_files)):
                for n, upload in enumerate(files, 1):
                    name = safe_name(upload.filename, f"{role}-{n}")
                    raw.append((role, name, await read_upload(upload, max_bytes=limits.max_file_bytes, name=name)))
        finally:
            await form.close()

        def work() -> Analysis:
            loaded = [(role, decode(data, name=name, limits=settings.limits)) for role, name, data in raw]
            try:
                return analyze([im for r, im in loaded if r == "claim"], [im for r, im in loaded if r == "reference"],
                               info=info, settings=settings)
            except InputError as exc:
                raise PageError(422, f"The photos cannot be analysed: {exc}", f"无法分析这些图片：{exc}") from exc

        token = store.put(await run_in_threadpool(work))
        return RedirectResponse(f"/report/{token}", status_code=303)

    @app.get("/report/{token}", response_class=HTMLResponse)
    def show_report(request: Request, token: str) -> HTMLResponse:
        analysis = store.get(token)
        view = report_view(to_dict(analysis), analysis.images)
        return page(request, "local_report.html", {**view, "token": token})

    @app.get("/report/{token}/bundle.pdf")
    async def bundle(token: str) -> Response:
        analysis = store.get(token)
        facts = CaseFacts(amount=analysis.claim.amount)
        pdf = await run_in_threadpool(bundle_from_analysis, analysis, facts, tiers=legal)
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="refundguard-bundle-{token[:8]}.pdf"',
            "Cache-Control": "no-store"})

    return app
