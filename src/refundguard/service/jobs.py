"""Analysis jobs: persisted rows executed by an in-process pool (default) or Celery workers on Redis.

Both backends run :func:`execute`, which calls the same :func:`refundguard.engine.analyze` as the CLI.
A job row is ``queued`` until a worker leases it (``running`` with ``lease_until``); killing the worker or
the server leaves it queued or running, and :func:`recover` re-submits it on the next start. While the
analysis runs, the worker renews the lease every third of ``job_lease_s`` (up to ``max_job_runtime_s``), so a
slow analysis is not taken for a dead one, and a dead worker's job is re-sent one lease period after it died.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from refundguard.capture import service as capture_service
from refundguard.checks.registry import ClaimInfo
from refundguard.config import Settings
from refundguard.passes import PassCache
from refundguard.service.audit import service as audit
from refundguard.service.claims import service as claim_service
from refundguard.service.claims.models import AnalysisJob, Claim
from refundguard.service.claims.workflow import State
from refundguard.service.config import AppConfig, ServiceConfig
from refundguard.service.db import Database, sqlite_path, utcnow
from refundguard.service.evidence import service as evidence_service
from refundguard.service.evidence.store import EvidenceStore

if TYPE_CHECKING:
    from refundguard.index import ReuseIndex

log = logging.getLogger("refundguard.jobs")
#: the folder under ``data_dir`` where the workers keep prepared reference photos (a cache: deleting it is safe)
REFERENCE_FEATURES = "reference-features"
TASK_NAME = "refundguard.analyse"


@dataclass
class JobContext:
    """What :func:`execute` needs; built once per process from the application's one configuration."""

    db: Database
    settings: Settings
    config: ServiceConfig
    store: EvidenceStore
    #: the cross-platform ledger the ``ledger`` check asks (set by ``refundguard.ledger.hooks``); None: not attached
    ledger: Any = None
    #: finished analysis passes (the claim photos', each live shot's), see refundguard.passes
    passes: PassCache | None = None
    _index: ReuseIndex | None = field(default=None, repr=False)
    _index_opened: bool = field(default=False, repr=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.passes is None:
            from refundguard.capture.passes_store import DatabasePassCache

            self.passes = DatabasePassCache(self.db)

    def reuse_index(self) -> ReuseIndex | None:
        """The service's reuse index, opened on first use (None when disabled in ``[service.reuse]``)."""
        from refundguard.service.reuse_index import open_service_index

        with self._index_lock:
            if not self._index_opened:
                self._index = open_service_index(self.settings, self.config)
                self._index_opened = True
            return self._index


def _claim_info(claim: Claim) -> ClaimInfo:
    return ClaimInfo(claim_id=claim.id, order_time=claim.order_time, shipped_at=claim.shipped_at,
                     delivered_at=claim.delivered_at, claimed_at=claim.claimed_at, buyer_id=claim.buyer_id,
                     merchant_id=claim.merchant_id, account_id=claim.tenant, amount=claim.amount)


Named = tuple[str, str]  # (path in the evidence store, the file's name for people)


def _lease(ctx: JobContext, job_id: str) -> tuple[list[Named], list[Named], ClaimInfo, int, list[Named]] | None:
    """Mark the job running and collect its inputs; None when it is not ours to run."""
    with ctx.db.session() as session:
        job = session.get(AnalysisJob, job_id, with_for_update=True)
        now = utcnow()
        if job is None or job.status in ("done", "failed"):
            return None
        if job.status == "running" and job.lease_until is not None and job.lease_until > now:
            return None
        claim = session.get(Claim, job.claim_id)
        if claim is None or claim.state != State.ANALYSING.value:
            job.status, job.error, job.finished_at = "failed", "claim is no longer being analysed", now
            return None
        job.attempts += 1
        if job.attempts > ctx.config.max_job_attempts:
            job.status, job.error, job.finished_at = "failed", "too many attempts", now
            claim_service.route_without_analysis(session=session, claim=claim, error="too many attempts",
                                                 config=ctx.config)
            return None
        job.status, job.started_at = "running", now
        job.lease_until = now + timedelta(seconds=ctx.config.job_lease_s)
        rows = evidence_service.for_claim(session=session, claim_id=claim.id)
        names = evidence_service.display_names(rows)

        def named(r: Any) -> Named:  # the file's name for people (evidence.display_names), never the store's path
            return str(ctx.store.path(r.sha256)), names[r.sha256]

        claims = [named(r) for r in rows if r.role == "claim"]
        refs = [named(r) for r in rows if r.role == "reference"]
        info = _claim_info(claim)
        live = capture_service.live_inputs(session=session, claim=claim, store=ctx.store)
        if live is None:
            return claims, refs, info, job.attempts, []
        paths, facts = live  # the newest completed live capture: its shots, and what each one is
        shots = [(path, f"live shot {shot.kind} {n}") for n, (path, shot) in enumerate(zip(paths, facts.shots,
                                                                                             strict=True), 1)]
        return claims, refs, replace(info, live=facts), job.attempts, shots


class LeaseKeeper:
    """Renews a running job's lease in the background while its analysis runs.

    Renewal stops when the block ends, when the job is no longer this attempt's (re-sent, finished), or after
    ``max_job_runtime_s``: a hung analysis then loses its lease and :func:`recover` re-sends the job.
    """

    def __init__(self, ctx: JobContext, job_id: str, attempt: int) -> None:
        self.ctx, self.job_id, self.attempt = ctx, job_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        lease_s = self.ctx.config.job_lease_s
        deadline = time.monotonic() + self.ctx.config.max_job_runtime_s
        while not self._stop.wait(lease_s / 3) and time.monotonic() < deadline:
            try:
                with self.ctx.db.session() as session:
                    renewed = session.execute(
                        update(AnalysisJob)
                        .where(AnalysisJob.id == self.job_id, AnalysisJob.status == "running",
                               AnalysisJob.attempts == self.attempt)
                        .values(lease_until=utcnow() + timedelta(seconds=lease_s))).rowcount
            except SQLAlchemyError:
                log.warning("could not renew the lease of job %s", self.job_id, exc_info=True)
                continue
            if not renewed:
                return


def warm_up(settings: Settings | None = None) -> None:
    """A service worker's :func:`refundguard.engine.warm_up`, and the report's JSON writer imported once. With
    ``settings``, merchants' prepared reference photos are kept in ``<data_dir>/reference-features``, shared by
    every worker: a listing photo is prepared once, not per claim."""
    from refundguard.engine import warm_up as warm_engine
    from refundguard.report.json import to_dict  # noqa: F401  (imported for its cost, once)

    warm_engine(Path(settings.data_dir) / REFERENCE_FEATURES if settings is not None else None)


def execute(ctx: JobContext, job_id: str) -> str:
    """Run one analysis job to the end; returns the job's final status (or ``skipped``)."""
    from refundguard.engine import analyze
    from refundguard.errors import RefundGuardError
    from refundguard.report.json import to_dict

    leased = _lease(ctx, job_id)
    if leased is None:
        return "skipped"
    claims, refs, info, attempt, live = leased
    report: dict[str, Any] | None = None
    error: str | None = None
    try:
        with LeaseKeeper(ctx, job_id, attempt):
            from refundguard.media.load import probe

            index = ctx.reuse_index()
            limits = ctx.settings.limits

            def probed(named: list[Named]) -> list[Any]:
                return [probe(path, limits=limits, name=name) for path, name in named]

            analysis = analyze(probed(claims), probed(refs), info=info, settings=ctx.settings, index=index,
                               ledger=ctx.ledger, live=probed(live), cache=ctx.passes)
            report = to_dict(analysis, heatmaps=True)
            if index is not None:
                _index_photos(ctx, index, analysis)
    except RefundGuardError as exc:
        error = str(exc)
    except Exception as exc:  # a crashing analysis routes the claim to a person; the service stays up
        log.exception("analysis job %s crashed", job_id)
        error = f"internal error: {type(exc).__name__}"
    with ctx.db.session() as session:
        job = session.get(AnalysisJob, job_id, with_for_update=True)
        claim = session.get(Claim, job.claim_id) if job else None
        if job is None or claim is None or job.status != "running" or claim.state != State.ANALYSING.value:
            return "skipped"
        job.finished_at, job.lease_until = utcnow(), None
        if report is not None:
            claim_service.apply_analysis(session=session, claim=claim, job=job, report=report, config=ctx.config,
                                         data_dir=ctx.settings.data_dir)
            job.status = "done"
        else:
            job.status, job.error = "failed", error
            claim_service.route_without_analysis(session=session, claim=claim, error=error or "unknown",
                                                 config=ctx.config)
        return job.status


def _index_photos(ctx: JobContext, index: ReuseIndex, analysis: Any) -> None:
    """Add the claim's new photos to the reuse index; a failure is logged (the analysis result stands)."""
    from refundguard.service.reuse_index import record_new

    try:
        record_new(index, analysis, db=ctx.db)
    except Exception:
        log.exception("could not add the photos of claim %s to the reuse index", analysis.claim.claim_id)


class Runner(Protocol):
    def submit(self, job_id: str) -> None: ...

    def shutdown(self) -> None: ...


class LocalRunner:
    """Threads of this process (``[service] local_pool = "threads"``): analyses share the interpreter lock with
    each other and with the API, so this suits tests and small machines; the default is worker processes."""

    def __init__(self, ctx: JobContext, workers: int) -> None:
        self.ctx = ctx
        # ``workers`` analyses in flight; their checks share refundguard.parallel's pool (one per process)
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="rg-analysis")
        self.pool.submit(warm_up, ctx.settings)

    def submit(self, job_id: str) -> None:
        self.pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        try:
            execute(self.ctx, job_id)
        except Exception:  # logged; the job row stays leased and is recovered on the next start
            log.exception("job %s failed outside the analysis", job_id)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def make_celery(broker_url: str, config: AppConfig | None = None) -> Any:
    """The Celery app. In a worker, the task analyses with ``config`` (the worker's ``--config``), building its
    :class:`JobContext` once per worker process; without one, from the ``REFUNDGUARD_*`` environment."""
    from celery import Celery

    app = Celery("refundguard", broker=broker_url)
    app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                    task_ignore_result=True, broker_connection_retry_on_startup=True,
                    task_default_queue="refundguard", worker_hijack_root_logger=False)

    @app.task(name=TASK_NAME)
    def analyse(job_id: str) -> str:
        return execute(worker_context(config), job_id)

    from refundguard.ledger.tasks import register as register_ledger_tasks

    register_ledger_tasks(app, config.ledger if config is not None else None)  # the ledger's beat entry

    from celery.signals import worker_process_init

    worker_process_init.connect(lambda **_: warm_up(worker_context(config).settings), weak=False)

    return app


_worker_ctx: JobContext | None = None
_worker_lock = threading.Lock()


def context_for(config: AppConfig) -> JobContext:
    """A job context for ``config``: its database (with the audit chain's key and held checkpoints), store and
    settings. Nothing is created: the server creates the database and the key."""
    from refundguard.ledger.hooks import worker_ledger

    settings, service = config.settings, config.service
    guard = audit.guard_for(settings, service)
    db = Database(settings.database_url, create=False, session_info=guard.session_info())
    return JobContext(db=db, settings=settings, config=service, store=EvidenceStore(settings.data_dir),
                      ledger=worker_ledger(db, settings, config.ledger))


def worker_context(config: AppConfig | None = None) -> JobContext:
    """The job context of a Celery worker process: from ``config``, else from the ``REFUNDGUARD_*`` settings."""
    global _worker_ctx
    with _worker_lock:
        if _worker_ctx is None:
            from refundguard.service.config import load_app_config

            _worker_ctx = context_for(config or load_app_config())
        return _worker_ctx


class CeleryRunner:
    """Sends jobs to Celery workers through the broker."""

    def __init__(self, broker_url: str) -> None:
        self.app = make_celery(broker_url)

    def submit(self, job_id: str) -> None:
        self.app.send_task(TASK_NAME, args=[job_id], queue="refundguard")

    def shutdown(self) -> None:
        self.app.close()


def make_runner(ctx: JobContext) -> Runner:
    """The runner ``[service] jobs_backend`` names: Celery, or the embedded pool of ``local_workers`` (worker
    processes, see :mod:`refundguard.service.worker_pool`; threads of this process with ``local_pool =
    "threads"`` or an in-memory SQLite database, which other processes cannot open)."""
    if ctx.config.jobs_backend == "celery":
        return CeleryRunner(ctx.config.broker_url)
    workers = ctx.config.local_workers or (os.cpu_count() or 1)
    if ctx.config.local_pool == "processes" and (not ctx.db.is_sqlite or sqlite_path(ctx.db.url) is not None):
        from refundguard.service.worker_pool import ProcessRunner

        return ProcessRunner(ctx, app_config_of(ctx), workers)
    return LocalRunner(ctx, workers)


def app_config_of(ctx: JobContext) -> AppConfig:
    """The configuration a worker process rebuilds ``ctx`` from (the ledger's settings as attached, or off)."""
    from refundguard.ledger.config import LedgerConfig

    ledger = getattr(ctx.ledger, "config", None)
    if not isinstance(ledger, LedgerConfig):
        ledger = LedgerConfig.model_construct(enabled=False)
    return AppConfig(settings=ctx.settings, service=ctx.config, ledger=ledger)


def recover(ctx: JobContext, submit: Callable[[str], None], *, all_running: bool,
            queued_older_than: timedelta | None = None) -> list[str]:
    """Re-submit unfinished jobs: running ones whose lease ended (every running one when ``all_running``:
    an embedded server is their only executor, so after a restart none can still be alive) and queued ones
    (only those older than ``queued_older_than`` when given, for periodic sweeps with a broker)."""
    now = utcnow()
    with ctx.db.session() as session:
        running = AnalysisJob.status == "running"
        if not all_running:
            running = running & (AnalysisJob.lease_until < now)
        queued = AnalysisJob.status == "queued"
        if queued_older_than is not None:  # not re-sent within the last lease period
            never_resent = AnalysisJob.lease_until.is_(None) & (AnalysisJob.created_at < now - queued_older_than)
            queued = queued & or_(AnalysisJob.lease_until < now, never_resent)
        jobs = session.scalars(select(AnalysisJob).where(or_(queued, running))
                               .order_by(AnalysisJob.created_at)).all()
        ids = []
        for job in jobs:
            resend_after = now + timedelta(seconds=ctx.config.job_lease_s)
            if job.status == "running":
                job.status, job.lease_until = "queued", resend_after
                claim = session.get(Claim, job.claim_id)
                audit.record(session=session, actor="system:recovery", action="job.requeued", subject_type="claim",
                             subject_id=job.claim_id, tenant=claim.tenant if claim else None,
                             details={"job_id": job.id, "attempts": job.attempts})
            else:
                job.lease_until = resend_after
            ids.append(job.id)
    for job_id in ids:
        submit(job_id)
    return ids
