"""Background loops of a server process: the deadline sweeper (merchant windows and evidence requests that
ended), the webhook dispatcher and (with a broker) the re-submission of jobs whose worker died."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from refundguard.service import policy
from refundguard.service.claims import service as claims
from refundguard.service.config import ServiceConfig
from refundguard.service.db import Database
from refundguard.service.webhooks.delivery import Dispatcher

log = logging.getLogger("refundguard.background")


class Background:
    """Daemon threads that stop when :meth:`stop` is called."""

    def __init__(self, db: Database, config: ServiceConfig, *, recover: Callable[[], object] | None = None) -> None:
        self.db = db
        self.config = config
        self._stop = threading.Event()
        loops: list[tuple[Callable[[], object], float, str]] = [
            (self.sweep_once, config.sweep_interval_s, "rg-sweeper")]
        if recover is not None:
            loops.append((recover, config.recover_interval_s, "rg-recovery"))
        self._threads = [threading.Thread(target=self._loop, args=(step, interval), name=name, daemon=True)
                         for step, interval, name in loops]
        self._threads.append(threading.Thread(target=self._dispatch, name="rg-webhooks", daemon=True))

    def sweep_once(self) -> None:
        with self.db.session() as session:
            moved = policy.sweep(session=session, policy=self.config.policy)
            expired = claims.expire_evidence_requests(session=session, config=self.config)
        if moved:
            log.info("deadline sweeper moved %d claim(s) to review", len(moved))
        if expired:
            log.info("deadline sweeper returned %d claim(s) whose evidence request ended to review", len(expired))

    def _dispatch(self) -> None:
        """The webhook dispatcher's event loop: deliveries in slots, refilled as they finish."""
        while not self._stop.is_set():
            try:
                asyncio.run(Dispatcher(self.db, self.config.webhooks).run(self._stop, self.config.dispatch_interval_s))
            except Exception:  # restart the loop after a pause; deliveries keep their leases
                log.exception("webhook dispatcher failed")
                self._stop.wait(self.config.dispatch_interval_s)

    def _loop(self, step: Callable[[], object], interval: float) -> None:
        while not self._stop.is_set():
            try:
                step()
            except Exception:  # a failing round is logged and retried at the next interval
                log.exception("background task failed")
            self._stop.wait(interval)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.config.webhooks.timeout_s + 5)
