"""``create_app(settings)``: the FastAPI application of the claim service.

Extra routers (the web pages) are included from ``extra_routers`` and, when the package exists,
from ``refundguard.web.router``. Domain errors map to 4xx in one handler; request validation errors
become 422 with a readable message; nothing a client sends produces a 500.

Two middlewares stand in front of every route: the request gate (``service.ingress.gate``: the key or session
is checked and the size capped before a body is read, slow bodies are dropped, tenants' upload quotas
enforced) and the browser security headers (``service.ingress.headers``).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundguard import __version__
from refundguard.capture.gate import gate_rules as capture_gate_rules  # the buyer's page: link, no login
from refundguard.config import Settings, default_settings
from refundguard.errors import InputError
from refundguard.ledger.hooks import mount as mount_ledger
from refundguard.service import error_text
from refundguard.service.api import router as api_router
from refundguard.service.audit.service import guard_for
from refundguard.service.auth.guard import AuthGuard
from refundguard.service.background import Background
from refundguard.service.config import ServiceConfig
from refundguard.service.db import Database
from refundguard.service.docs import mount_docs
from refundguard.service.errors import DomainError
from refundguard.service.evidence.store import EvidenceStore
from refundguard.service.ingress.gate import SERVICE_RULES, RequestGate
from refundguard.service.ingress.headers import SecurityHeaders
from refundguard.service.ingress.quotas import UploadQuota
from refundguard.service.ingress.service_auth import ServiceAuthenticator
from refundguard.service.jobs import CeleryRunner, JobContext, make_runner, recover
from refundguard.service.openapi import document_errors

if TYPE_CHECKING:
    from refundguard.ledger.config import LedgerConfig

log = logging.getLogger("refundguard.service")


def _error(status: int, code: str, en: str, zh: str, details: Any = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": {"en": en, "zh": zh}}}
    if details is not None:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """The one place where errors become HTTP responses."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.en, exc.zh, headers=exc.headers)

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> JSONResponse:
        en, zh = error_text.unusable_input(exc)
        return _error(422, "unusable_input", en, zh)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        en, zh, details = error_text.validation(exc.errors())  # worded by the catalogue, never pydantic's English
        return _error(422, "invalid_request", en, zh, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        en, zh = error_text.http(exc.status_code, exc.detail)
        return _error(exc.status_code, "http_error", en, zh, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, "internal_error", *error_text.internal())


def _web_router() -> APIRouter | None:
    """``refundguard.web.router`` when the web package is installed (helpers may add it later)."""
    if importlib.util.find_spec("refundguard.web") is None:
        return None
    try:
        module = importlib.import_module("refundguard.web")
        return getattr(module, "router", None)
    except ImportError as exc:  # the JSON API works without the pages; say why they are missing
        log.warning("web pages not mounted: %s", exc)
        return None


def create_app(settings: Settings | None = None, config: ServiceConfig | None = None, *,
               extra_routers: Sequence[APIRouter] = (), include_web: bool = True,
               ledger: LedgerConfig | None = None) -> FastAPI:
    """Build the service. State on ``app.state``: ``settings``, ``config``, ``db``, ``store``, ``runner``, ``jobs``.

    The database is migrated, unfinished jobs are re-submitted, and the background loops start when the
    app starts (lifespan); ``app.state.db`` and ``app.state.store`` exist right away for route helpers.
    """
    settings = settings or default_settings()
    config = config or ServiceConfig()
    # the audit chain's signing key is created on the first start (a file outside the database, mode 0600)
    db = Database(settings.database_url, session_info=guard_for(settings, config, create_key=True).session_info())
    store = EvidenceStore(settings.data_dir)
    ctx = JobContext(db=db, settings=settings, config=config, store=store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if config.upgrade_on_start:
            db.upgrade()
        runner = make_runner(ctx)
        app.state.runner = runner
        embedded = not isinstance(runner, CeleryRunner)  # this server's own workers (processes or threads)
        recovered = recover(ctx, runner.submit, all_running=embedded)
        if recovered:
            log.warning("re-queued %d unfinished analysis job(s)", len(recovered))
        periodic = None
        if not embedded:  # a broker's worker may die: re-send its expired jobs
            lease = timedelta(seconds=config.job_lease_s)
            periodic = partial(recover, ctx, runner.submit, all_running=False, queued_older_than=lease)
        background = Background(db, config, recover=periodic) if config.background else None
        if background:
            background.start()
        try:
            yield
        finally:
            if background:
                background.stop()
            runner.shutdown()
            db.dispose()

    app = FastAPI(title="RefundGuard claim service", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served offline by service.docs
                  description="Refund-only claims with evidence forensics, a merchant window, human review, "
                              "a hash-chained audit trail and signed webhooks. Authenticate with "
                              "`Authorization: Bearer <key>` or `X-API-Key`.")
    app.state.settings, app.state.config, app.state.db, app.state.store, app.state.jobs = \
        settings, config, db, store, ctx
    app.state.auth_guard = guard = AuthGuard(config.security)
    app.state.upload_quota = quota = UploadQuota(concurrent=config.requests.tenant_concurrent_uploads,
                                                 bytes_per_hour=config.requests.tenant_upload_bytes_per_hour)
    install_error_handlers(app)
    mount_docs(app)
    app.add_middleware(RequestGate, rules=(*capture_gate_rules(config.capture), *SERVICE_RULES), limits=config.requests,
                       quota=quota, login_path="/ui/login",
                       authenticate=ServiceAuthenticator(db, guard, config.security))
    app.add_middleware(SecurityHeaders, hsts_max_age_s=config.security.hsts_max_age_s)  # outermost: on every answer

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    app.include_router(api_router)
    mount_ledger(app, ledger)  # the cross-platform ledger (docs/ledger.md); its settings default from the environment
    app.include_router(importlib.import_module("refundguard.capture").router)  # live capture: API, buyer's page
    for router in extra_routers:
        app.include_router(router)
    if include_web and (web := _web_router()) is not None:
        app.include_router(web)

        @app.get("/", include_in_schema=False)
        def home() -> RedirectResponse:
            """The web pages live under /ui."""
            return RedirectResponse("/ui/", status_code=307)

    document_errors(app)
    return app
