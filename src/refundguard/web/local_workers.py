"""Local mode's analyses in worker processes, as the claim service runs them (:mod:`refundguard.service.worker_pool`).

An analysis is mostly NumPy, OpenCV and onnxruntime work, but the Python between those calls holds the
interpreter lock: run as a thread of the web server, it makes the pages wait (a report page polled while a
12 MP claim is analysed) and queues behind them. Here each analysis runs in one of ``workers`` spawned processes
(spawned, not forked: a fork after OpenCV's threads ran can hang the child), which import the engine and every
check and load the OCR models once, when they start, and run their checks on ``cores / workers`` threads. The
server keeps the pages; it sends a worker the uploads as they were read (checked, not decoded) and gets back the
finished :class:`~refundguard.engine.Analysis`, or the error page to show. Each stage the worker reaches
("loaded photo.jpg", "check reference") comes back through a queue, so the pending page shows it as before.

A worker that dies (killed for memory, a crashing native library) fails the analysis it held with a 500 page;
the pool is then started again for the next upload.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from refundguard.checks.registry import ClaimInfo
from refundguard.config import Settings
from refundguard.engine import Analysis
from refundguard.media.load import Probe
from refundguard.web.errors import PageError

log = logging.getLogger("refundguard.local")

#: what a worker sends back: ("ok", analysis) or ("error", status, en, zh)
Outcome = tuple[Any, ...]
_EVENTS: Any = None  # the worker's end of the stage queue (set by _start)


def _start(events: Any, threads: int, server_pid: int) -> None:
    """Initialiser of a worker process: its stage queue, its check threads, the engine and OCR models loaded."""
    global _EVENTS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle; it shuts the pool down
    threading.Thread(target=_exit_with_parent, args=(server_pid,), name="parent-watch", daemon=True).start()
    _EVENTS = events
    os.environ.setdefault("REFUNDGUARD_CHECK_THREADS", str(threads))
    from refundguard.engine import warm_up

    warm_up()


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """End this worker when the server that started it is gone (a server killed with SIGKILL cannot shut its
    pool down; the worker, re-parented, would otherwise wait for work forever)."""
    while os.getppid() == parent:
        time.sleep(every_s)
    os._exit(0)


def _ready() -> int:
    return os.getpid()


def analyse(token: str, uploads: list[tuple[str, str, Probe]], info: ClaimInfo, settings: Settings,
            stage: Callable[[str], None] | None = None) -> Outcome:
    """Decode the uploads and analyse them; each stage reached goes to ``stage`` (in a worker: to the server,
    through the stage queue)."""
    from refundguard.engine import analyze
    from refundguard.errors import InputError
    from refundguard.web.uploads import decode

    if stage is None:
        def stage(what: str) -> None:
            if _EVENTS is not None:
                _EVENTS.put((token, what))

    try:
        return _decoded_and_analysed(uploads, info, settings, stage, analyze, decode, InputError)
    finally:
        if _EVENTS is not None:
            _EVENTS.put((token, None))  # the last stage sent: the server may now hand over the result


def _decoded_and_analysed(uploads: list[tuple[str, str, Probe]], info: ClaimInfo, settings: Settings,
                          stage: Callable[[str], None], analyze: Any, decode: Any, input_error: Any) -> Outcome:
    try:
        loaded = []
        for role, name, data in uploads:
            loaded.append((role, decode(data, name=name, limits=settings.limits)))
            stage(f"loaded {name}")
        analysis = analyze([im for r, im in loaded if r == "claim"], [im for r, im in loaded if r == "reference"],
                           info=info, settings=settings,
                           progress=lambda what: stage(what) if what.startswith("check ") else None)
    except PageError as exc:
        return ("error", exc.status, exc.en, exc.zh)
    except input_error as exc:
        return ("error", 422, f"The photos cannot be analysed: {exc}",
                f"无法分析这些图片：{getattr(exc, 'zh', None) or exc}")
    except Exception as exc:  # the page says so; the worker and the server stay up
        log.exception("local analysis failed")
        return ("error", 500, f"The analysis failed ({type(exc).__name__}).", f"分析失败（{type(exc).__name__}）。")
    return ("ok", analysis)


@dataclass
class _Pending:
    """An upload being analysed: where its stages go, who gets the result, and what has arrived so far."""

    stage: Callable[[str], None]
    done: Callable[[Analysis | None, PageError | None], None]
    outcome: Outcome | None = None
    ended: bool = False  # the worker's last stage came through the queue


def check_threads(workers: int) -> int:
    """Threads each worker's checks run on: the usable cores shared among the workers (at least one)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // max(1, workers))


class AnalysisWorkers:
    """``workers`` analysis processes for local mode (see the module docstring)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._ctx = get_context("spawn")
        self._events: Any = self._ctx.Queue()
        self._listeners: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._pool = self._new_pool()
        self._pump = threading.Thread(target=self._forward, name="local-stages", daemon=True)
        self._pump.start()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx, initializer=_start,
                                   initargs=(self._events, check_threads(self.workers), os.getpid()))

    def start(self) -> None:
        """Start every worker now (each imports the engine and loads the models), not on the first upload."""
        with self._lock:
            for _ in range(self.workers):
                self._pool.submit(_ready)

    def submit(self, token: str, uploads: list[tuple[str, str, Probe]], info: ClaimInfo, settings: Settings,
               stage: Callable[[str], None], done: Callable[[Analysis | None, PageError | None], None]) -> None:
        """Analyse ``uploads`` in a worker; ``stage(what)`` for each stage reached, then ``done(analysis, error)``."""
        with self._lock:
            if self._closed:
                done(None, PageError(503, "The server is shutting down.", "服务器正在关闭。"))
                return
            self._listeners[token] = _Pending(stage, done)
            pool = self._pool
            try:
                future = pool.submit(analyse, token, uploads, info, settings)
            except BrokenProcessPool:
                future = Future()
                future.set_exception(BrokenProcessPool("the analysis workers broke"))
        future.add_done_callback(lambda f: self._finished(token, pool, f, done))

    def _finished(self, token: str, pool: ProcessPoolExecutor, future: Future[Outcome],
                  done: Callable[[Analysis | None, PageError | None], None]) -> None:
        error = None if future.cancelled() else future.exception()
        if not future.cancelled() and error is None:
            with self._lock:  # handed over once the worker's last stage has come through the queue too
                pending = self._listeners.get(token)
                if pending is not None and not pending.ended:
                    pending.outcome = future.result()
                    return
                self._listeners.pop(token, None)
            self._deliver(future.result(), done)
            return
        with self._lock:
            self._listeners.pop(token, None)
        if future.cancelled() or error is not None:
            if isinstance(error, BrokenProcessPool):
                log.error("a local analysis worker died; the workers restart")
                with self._lock:
                    if self._pool is pool and not self._closed:
                        pool.shutdown(wait=False, cancel_futures=True)
                        self._pool = self._new_pool()
            name = "cancelled" if future.cancelled() else type(error).__name__
            done(None, PageError(500, f"The analysis failed ({name}).", f"分析失败（{name}）。"))
            return

    @staticmethod
    def _deliver(outcome: Outcome, done: Callable[[Analysis | None, PageError | None], None]) -> None:
        if outcome[0] == "ok":
            done(outcome[1], None)
        else:
            done(None, PageError(*outcome[1:]))

    def _forward(self) -> None:
        """Hand each stage a worker reports to the upload's listener (a thread of the server)."""
        while True:
            try:
                item = self._events.get(timeout=1.0)
            except queue.Empty:
                if self._closed:
                    return
                continue
            except (EOFError, OSError, ValueError):  # the queue was closed
                return
            token, what = item
            with self._lock:
                pending = self._listeners.get(token)
                if pending is not None and what is None:  # the worker's last stage
                    pending.ended = True
                    if pending.outcome is None:
                        continue
                    self._listeners.pop(token, None)
            if pending is None:
                continue
            if what is None:
                self._deliver(pending.outcome, pending.done)  # type: ignore[arg-type]
            else:
                pending.stage(what)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            pool = self._pool
        pool.shutdown(wait=False, cancel_futures=True)
