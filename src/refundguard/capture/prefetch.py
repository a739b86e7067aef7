"""Analyse each live shot as it arrives, while the buyer takes the next one.

After a frame is accepted (and the session is not yet complete), the whole analysis of the claim with the
shots received so far runs through the pass cache, one request at a time: in one of the service's analysis
worker processes (:class:`~refundguard.service.worker_pool.ProcessRunner`, the default) when one is idle
(skipped when all are busy: a warm-up never queues ahead of a claim's job), so that the server process only
hands over the request id and keeps serving the API; in a thread of the server process when the service has
no worker processes (``local_pool = "threads"``, an in-memory database, or Celery). The claim photos' pass is
found in the cache, the new shot's pass is computed and kept (in the database, shared by every worker; the
last ones also in that process's memory). When the last shot comes, only what involves it is left to do. The
buyer is told only whether the code was read in shot
(a) (to retake it); nothing about the forensics.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

from refundguard.capture import service as capture_service
from refundguard.capture.models import CaptureFrame, CaptureRequest
from refundguard.service.claims.models import Claim
from refundguard.service.evidence import service as evidence_service

log = logging.getLogger("refundguard.capture")


class Prefetcher:
    """One daemon thread working through request ids, one at a time (a request queued twice is analysed once):
    each is analysed by ``runner.prefetch`` (a worker process) when the runner has one, else in the thread."""

    def __init__(self, jobs: Any, runner: Any = None) -> None:
        self.jobs = jobs
        self.runner = runner if callable(getattr(runner, "prefetch", None)) else None
        self._queue: queue.Queue[str] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="rg-capture-prefetch", daemon=True)
        self._thread.start()

    def submit(self, request_id: str) -> None:
        with self._lock:
            if request_id in self._pending:
                return
            self._pending.add(request_id)
        self._queue.put(request_id)

    def _loop(self) -> None:
        while True:
            request_id = self._queue.get()
            with self._lock:
                self._pending.discard(request_id)
            try:
                if self.runner is not None:  # the thread only waits: the analysis runs in a worker process
                    # a warm-up that hangs holds one worker, never the next requests' warm-ups
                    self.runner.prefetch(request_id).result(timeout=self._timeout_s())
                else:
                    warm(self.jobs, request_id)
            except Exception:  # a failed warm-up only costs time at completion
                log.warning("capture prefetch of %s failed", request_id, exc_info=True)

    def _timeout_s(self) -> float:
        return float(getattr(getattr(self.jobs, "config", None), "max_job_runtime_s", 3600.0))


def warm(jobs: Any, request_id: str) -> dict[str, Any] | None:
    """Analyse the claim with the session's shots so far; note on shot (a) whether its code was read."""
    from refundguard.engine import analyze
    from refundguard.service.jobs import _claim_info

    ctx = jobs
    with ctx.db.session() as session:
        request = session.get(CaptureRequest, request_id)
        if request is None or request.status != "started":
            return None
        claim = session.get(Claim, request.claim_id)
        rows = evidence_service.for_claim(session=session, claim_id=request.claim_id)
        claims = [str(ctx.store.path(r.sha256)) for r in rows if r.role == "claim"]
        refs = [str(ctx.store.path(r.sha256)) for r in rows if r.role == "reference"]
        live, facts = capture_service.session_inputs(session=session, request=request, store=ctx.store)
        info = capture_service.with_live(_claim_info(claim), facts)
        whole = [f.id for f in capture_service.frames_of(session=session, request=request) if f.kind == "whole"]
    if not claims or not live:
        return None
    analysis = analyze(claims, refs, live=live, info=info, settings=ctx.settings, cache=ctx.passes)
    codes = {f.code for f in analysis.findings if f.check == "live"}
    feedback = {"code": "not_read" if codes & {"live.code_missing", "live.code_wrong"} else "read"}
    if whole:
        with ctx.db.session() as session:
            frame = session.get(CaptureFrame, whole[-1])
            if frame is not None and frame.status == "current":
                frame.feedback = json.dumps(feedback)
    return feedback


_LOCK = threading.Lock()


def prefetcher(app: Any) -> Prefetcher:
    """The app's prefetcher (made on first use)."""
    with _LOCK:
        found = getattr(app.state, "capture_prefetch", None)
        if found is None:
            found = Prefetcher(app.state.jobs, getattr(app.state, "runner", None))
            app.state.capture_prefetch = found
        return found
