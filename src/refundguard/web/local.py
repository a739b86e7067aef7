"""Single-merchant local mode: drop a claim photo and your own photos, get the report and the PDF bundle.

No account, no database: results live in memory (the newest few) for the life of the process.
Run it with ``refundguard local`` (or ``refundguard serve --local`` where the service wires it in).

The upload form carries a token that must match a cookie set with the form (a page on another site cannot
make the browser post photos here), bodies are capped and timed by the service's request gate, and every
answer has the service's browser security headers.

An upload is answered at once: the analysis runs in the background, in a worker process
(:mod:`refundguard.web.local_workers`, one or two at a time; the pages never wait behind it), and the report page
shows its stage ("decoding…", "comparing with the listing photo…") until it is done -- a script polls
``/report/{token}/status``, and without scripts the page refreshes itself.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundguard.checks.registry import ClaimInfo
from refundguard.config import Settings, default_settings
from refundguard.engine import Analysis
from refundguard.media.load import Probe
from refundguard.media.names import distinct
from refundguard.progress import Stages
from refundguard.report.json import to_dict
from refundguard.report.pdf import CaseFacts, FontMissing, LegalTiers, bundle_from_analysis, load_legal_tiers
from refundguard.service.config import RequestLimitsConfig
from refundguard.service.ingress.gate import POST, BodyRule, RequestGate
from refundguard.service.ingress.headers import SecurityHeaders
from refundguard.web.errors import PageError, font_missing_page
from refundguard.web.i18n import pick_lang
from refundguard.web.rendering import error_page, page, script, stylesheet
from refundguard.web.uploads import UploadLimits, checked, read_upload, safe_name, uploads_of
from refundguard.web.view import page_report

TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: the cookie whose value the upload form must echo (CSRF)
FORM_COOKIE = "rg_form"


#: the pages that run a script (local.js) allow scripts from this origin only; everything else stays as strict
SCRIPT_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
              "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass
class LocalJob:
    """One upload's analysis: its stage while it runs, then the analysis or the error to show."""

    stages: Stages
    analysis: Analysis | None = None
    error: PageError | None = None
    names: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.analysis is not None:
            return "done"
        return "failed" if self.error is not None else "running"


class ResultStore:
    """The newest ``keep`` analyses (finished or running), by an unguessable token."""

    def __init__(self, keep: int) -> None:
        self.keep = max(1, keep)
        self._items: OrderedDict[str, LocalJob] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, job: LocalJob) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._items[token] = job
            while len(self._items) > self.keep:
                self._items.popitem(last=False)
        return token

    def job(self, token: str) -> LocalJob:
        with self._lock:
            found = self._items.get(token) if set(token) <= TOKEN_CHARS else None
        if found is None:
            raise PageError(404, "This report is not (or no longer) available; analyse the photos again.",
                            "该报告不存在或已过期，请重新上传分析。")
        return found

    def get(self, token: str) -> Analysis:
        """The finished analysis of ``token`` (a running one is a 409, a failed one its error)."""
        job = self.job(token)
        if job.error is not None:
            raise job.error
        if job.analysis is None:
            raise PageError(409, "The analysis is still running.", "分析仍在进行中。")
        return job.analysis


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


def _in_threads(workers: int) -> Callable[..., None]:
    """Analyses on ``workers`` threads of this process (``processes=False``: where processes cannot be spawned);
    the same interface as :meth:`~refundguard.web.local_workers.AnalysisWorkers.submit`."""
    from refundguard.web.local_workers import analyse

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="local-analysis")

    def submit(token: str, uploads: list[tuple[str, str, Probe]], info: ClaimInfo, settings: Settings,
               stage: Callable[[str], None], done: Callable[[Analysis | None, PageError | None], None]) -> None:
        def work() -> None:
            outcome = analyse(token, uploads, info, settings, stage)
            if outcome[0] == "ok":
                done(outcome[1], None)
            else:
                done(None, PageError(*outcome[1:]))

        pool.submit(work)

    return submit


def create_local_app(*, settings: Settings | None = None, limits: UploadLimits | None = None,
                     tiers: LegalTiers | None = None, keep: int = 16, workers: int = 1, processes: bool = True,
                     timezone: str = "Asia/Shanghai") -> FastAPI:
    """The local-mode web app (engine only); ``workers`` analyses run at a time, the others wait their turn, each
    in a worker process (``processes``, the default; see :mod:`refundguard.web.local_workers`) or a thread."""
    from zoneinfo import ZoneInfo

    settings = settings or default_settings()
    limits = limits or UploadLimits()
    legal = tiers or load_legal_tiers()
    store = ResultStore(keep)
    pool: Any = None
    if processes:
        from refundguard.web.local_workers import AnalysisWorkers

        pool = AnalysisWorkers(workers)
        submit_analysis = pool.submit
    else:
        submit_analysis = _in_threads(workers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            pool.start()
        yield
        if pool is not None:
            pool.shutdown()

    app = FastAPI(title="RefundGuard local", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    request_limits = RequestLimitsConfig()
    app.add_middleware(RequestGate, limits=request_limits, rules=(
        BodyRule(r"/analyze", lambda _c: limits.max_request_bytes, "none", POST, same_origin=True),
        BodyRule(r".*", lambda c: c.max_body_bytes, "none")))
    app.add_middleware(SecurityHeaders)
    app.state.timezone = ZoneInfo(timezone)

    @app.get("/static/local.js", include_in_schema=False)
    def local_js() -> Response:
        return script("local.js")

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
        response.headers["Content-Security-Policy"] = SCRIPT_CSP
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
            raw: list[tuple[str, str, Probe]] = []
            taken: set[str] = set()  # one name, one photo: a second IMG_0001.jpg is shown as IMG_0001 (2).jpg
            for role, files in (("claim", claim_files), ("reference", ref_files)):
                for n, upload in enumerate(files, 1):
                    name = distinct(safe_name(upload.filename, f"{role}-{n}"), taken)
                    data = await read_upload(upload, max_bytes=limits.max_file_bytes, name=name)
                    raw.append((role, name, checked(data, name=name, limits=settings.limits)))
        finally:
            await form.close()

        claim_names = [name for role, name, _ in raw if role == "claim"]
        from refundguard.checks.registry import registered

        job = LocalJob(stages=Stages(files=[name for _, name, _ in raw], checks=[c.name for c in registered()],
                                     references=any(role == "reference" for role, _, _ in raw)),
                       names=claim_names)
        job.stages.start()

        def done(analysis: Analysis | None, error: PageError | None) -> None:
            if analysis is None:
                job.error = error or PageError(500, "The analysis failed.", "分析失败。")
                job.stages.finish("stage.failed")
                return
            job.stages.finish("stage.report")
            job.analysis = analysis
            job.stages.finish()

        token = store.put(job)
        submit_analysis(token, raw, info, settings, job.stages, done)
        return RedirectResponse(f"/report/{token}", status_code=303)

    @app.get("/report/{token}/status", include_in_schema=False)
    def report_status(request: Request, token: str) -> JSONResponse:
        """Where the analysis is: ``state`` (running, done, failed), the stage in words, steps done of total."""
        job = store.job(token)
        lang = pick_lang(request)
        body: dict[str, Any] = {"state": job.state, "stage": job.stages.words(lang), **job.stages.snapshot()}
        if job.error is not None:
            body["error"] = job.error.zh if lang == "zh" else job.error.en
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.get("/report/{token}", response_class=HTMLResponse)
    def show_report(request: Request, token: str) -> HTMLResponse:
        job = store.job(token)
        if job.error is not None:
            raise job.error
        if job.analysis is None:
            response = page(request, "local_pending.html", {
                "token": token, "stage": job.stages.words(pick_lang(request)), **job.stages.snapshot(),
                "names": job.names})
            response.headers["Content-Security-Policy"] = SCRIPT_CSP
            return response
        analysis = job.analysis
        view = page_report(to_dict(analysis), names=[im.name for im in analysis.images], lang=pick_lang(request),
                           tz=app.state.timezone, images=analysis.images, symbol=legal.symbol)
        return page(request, "local_report.html", {"view": view, "token": token})

    @app.get("/report/{token}/bundle.pdf")
    async def bundle(token: str) -> Response:
        analysis = store.get(token)
        facts = CaseFacts(amount=analysis.claim.amount, delivered_at=analysis.claim.delivered_at, timezone=timezone)
        try:
            pdf = await run_in_threadpool(bundle_from_analysis, analysis, facts, tiers=legal)
        except FontMissing as exc:
            raise font_missing_page(exc) from exc
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="refundguard-bundle-{token[:8]}.pdf"',
            "Cache-Control": "no-store"})

    return app
