"""The embedded service's analysis workers: a bounded pool of processes on this machine, shared by every job.

An analysis is mostly NumPy, OpenCV and onnxruntime work, but not only: the Python between those calls holds
the interpreter lock, so analyses run as threads of the server process queue behind each other and behind the
API's own requests (measured on the shared 2 cores: claim creation p50 312 ms, p95 1.07 s beside analyses in
threads; 128 ms, 294 ms beside worker processes, for the same CPU per claim). Each worker here is its own
process: it imports the engine and every check once, when it starts, builds its job context from the
application's configuration (exactly as a Celery worker does, see
:func:`~refundguard.service.jobs.worker_context`) and then runs :func:`~refundguard.service.jobs.execute` for one
job id after another. The server process keeps the HTTP API and hands over job ids only; the job rows, the
evidence store and the pass cache are shared through the database and the data folder.

The capture page's warm-ups (each live shot analysed while the buyer takes the next one, see
:mod:`refundguard.capture.prefetch`) run in the same workers, beside the jobs, never in the server process.

The pool has ``[service] local_workers`` processes (started with the server, replaced when one dies). Each worker
runs its checks on ``cores / workers`` threads (at least one; ``REFUNDGUARD_CHECK_THREADS`` overrides), so that a
full pool keeps each core busy with one piece of work instead of several competing for it.

A worker that dies (killed for memory, a crashing native library) breaks the pool: every job it held is put back
in the queue and the pool is started again; the job's attempts are counted (``max_job_attempts``), so a photo
that kills every worker that opens it ends with a person. A pool that breaks again and again without finishing
a job (a worker that cannot start) is not restarted; its jobs wait in the queue for the next start.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from refundguard.service.claims.models import AnalysisJob
from refundguard.service.config import AppConfig

if TYPE_CHECKING:
    from refundguard.service.jobs import JobContext

log = logging.getLogger("refundguard.jobs")

#: a pool that breaks this many times within :data:`RESTART_WINDOW_S` without finishing a job is not restarted
MAX_RESTARTS = 3
RESTART_WINDOW_S = 60.0


def check_threads(workers: int) -> int:
    """Threads each worker's checks run on: the usable cores shared among the workers (at least one)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // max(1, workers))


def _start_worker(config: AppConfig, threads: int, server_pid: int) -> None:
    """Initialiser of a worker process: its check threads, its job context, the engine imported."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle; it shuts the pool down
    threading.Thread(target=_exit_with_parent, args=(server_pid,), name="parent-watch", daemon=True).start()
    os.environ.setdefault("REFUNDGUARD_CHECK_THREADS", str(threads))
    from refundguard.service.jobs import warm_up, worker_context

    worker_context(config)
    warm_up()


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """End this worker when the server that started it is gone (killed with SIGKILL, it cannot shut the pool
    down; the worker, re-parented, would otherwise wait for jobs forever)."""
    while os.getppid() == parent:
        time.sleep(every_s)
    log.warning("the server that started this analysis worker is gone; the worker exits")
    os._exit(0)


def _ready() -> int:
    return os.getpid()


def _run_job(job_id: str) -> str:
    from refundguard.service.jobs import execute, worker_context

    return execute(worker_context(), job_id)


def _warm_capture(request_id: str) -> dict[str, Any] | None:
    from refundguard.capture.prefetch import warm
    from refundguard.service.jobs import worker_context

    return warm(worker_context(), request_id)


class ProcessRunner:
    """Runs analysis jobs in a pool of ``workers`` processes (see the module docstring)."""

    def __init__(self, ctx: JobContext, config: AppConfig, workers: int) -> None:
        self.ctx = ctx
        self.config = config
        self.workers = max(1, workers)
        self.threads = check_threads(self.workers)
        self._lock = threading.Lock()
        self._closed = False
        self._stopped = False  # the pool kept breaking: jobs wait for the next start
        self._breaks: deque[float] = deque()
        self._finished_since_break = 0
        self._busy = 0  # jobs and warm-ups handed to the pool and not finished
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.config, self.threads, os.getpid()))
        for _ in range(self.workers):  # every worker starts now (each submission finds none idle yet), not on a claim
            pool.submit(_ready)
        return pool

    def submit(self, job_id: str) -> None:
        with self._lock:
            if self._closed or self._stopped:
                return
            pool = self._pool
            try:
                future = pool.submit(_run_job, job_id)
            except BrokenProcessPool:
                future = Future()
                future.set_exception(BrokenProcessPool("the worker pool broke"))
            self._busy += 1
        future.add_done_callback(self._release)
        future.add_done_callback(partial(self._done, job_id, pool))

    def _release(self, _: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1

    def prefetch(self, request_id: str) -> Future[dict[str, Any] | None]:
        """Analyse a live capture's shots so far in a worker (:func:`refundguard.capture.prefetch.warm`), only when
        a worker is idle: a warm-up never queues ahead of a claim's job (it only saves time at completion, and is
        skipped, with ``None``, when every worker is busy). A worker that dies doing it breaks the pool, which is
        then replaced as for a job; the warm-up itself is not retried."""
        future: Future[dict[str, Any] | None] = Future()
        with self._lock:
            pool = self._pool
            if self._closed or self._stopped:
                future.set_exception(BrokenProcessPool("the analysis workers are stopped"))
                return future
            if self._busy >= self.workers:
                future.set_result(None)
                return future
            try:
                future = pool.submit(_warm_capture, request_id)
            except BrokenProcessPool as exc:
                future.set_exception(exc)
            self._busy += 1
        future.add_done_callback(self._release)
        future.add_done_callback(partial(self._warmed, pool))
        return future

    def _warmed(self, pool: ProcessPoolExecutor, future: Future[Any]) -> None:
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            with self._lock:
                if not self._closed:
                    self._replace(pool)

    def _done(self, job_id: str, pool: ProcessPoolExecutor, future: Future[str]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            with self._lock:
                self._finished_since_break += 1
            return
        if not isinstance(error, BrokenProcessPool):  # execute() catches analysis errors; this is outside it
            log.error("job %s failed outside the analysis: %s", job_id, error)
            return
        with self._lock:
            if self._closed:
                return
            self._replace(pool)
        requeue(self.ctx, job_id)
        self.submit(job_id)

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        """Start a new pool in place of ``pool``, which broke (called with the lock held; once per broken pool)."""
        if self._pool is not pool:  # another of its jobs (or warm-ups) heard of it first and replaced it
            return
        now = time.monotonic()
        if self._finished_since_break == 0:
            self._breaks.append(now)
        else:
            self._breaks.clear()
        while self._breaks and now - self._breaks[0] > RESTART_WINDOW_S:
            self._breaks.popleft()
        self._finished_since_break = 0
        pool.shutdown(wait=False, cancel_futures=True)
        if len(self._breaks) >= MAX_RESTARTS:
            self._stopped = True
            log.error("analysis workers keep dying before finishing a job; not restarting them: queued "
                      "jobs wait for the next start of the server")
        else:
            log.error("an analysis worker died; its jobs go back to the queue and the workers restart")
            self._pool = self._new_pool()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            pool = self._pool
        pool.shutdown(wait=False, cancel_futures=True)


def requeue(ctx: JobContext, job_id: str) -> None:
    """Put a job whose worker died back in the queue (its attempt stays counted)."""
    with ctx.db.session() as session:
        session.execute(update(AnalysisJob).where(AnalysisJob.id == job_id, AnalysisJob.status == "running")
                        .values(status="queued", lease_until=None))
