"""Celery beat entry: ``refundguard.ledger.tick`` every ``sync_interval_s`` (publish, expire, forward, pull).

Registered on the service's Celery app by :func:`register` (``refundguard worker --beat`` runs the schedule). Set
``schedule = "celery"`` in the ledger settings so the service processes do not run their own thread as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refundguard.ledger.config import LedgerConfig

TASK_NAME = "refundguard.ledger.tick"


def register(app: Any, config: LedgerConfig | None = None) -> None:
    """Add the tick task to ``app``, and its beat entry when ``config`` (the application's ``[ledger]`` settings;
    default: the ledger environment) schedules the rounds on Celery."""
    from refundguard.ledger.config import load_ledger_config

    config = config if config is not None else load_ledger_config()

    @app.task(name=TASK_NAME)
    def tick() -> dict[str, Any]:
        from refundguard.service.jobs import worker_context

        ledger = worker_context().ledger
        if ledger is None:
            return {"skipped": "ledger disabled"}
        out = ledger.tick()
        return {k: (v if isinstance(v, int | str) else len(v)) for k, v in out.items()}

    if config.enabled and config.schedule == "celery":
        app.conf.beat_schedule = {**(app.conf.beat_schedule or {}),
                                  "refundguard-ledger": {"task": TASK_NAME, "schedule": config.sync_interval_s,
                                                         "options": {"queue": "refundguard"}}}
