"""Where the claim service meets the ledger: mounting it on the app, a reviewer's decision, a Celery worker.

The service calls three functions and nothing else: :func:`mount` (in ``create_app``), :func:`decision_recorded`
(when a reviewer decides a claim) and :func:`worker_ledger` (a Celery worker's job context). Each process may hold
several apps (tests run three platforms in one process), so a ledger is found by its database engine.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from fastapi import FastAPI

    from refundguard.config import Settings
    from refundguard.ledger.config import LedgerConfig
    from refundguard.ledger.runtime import Ledger
    from refundguard.service.claims.models import Claim
    from refundguard.service.db import Database

log = logging.getLogger("refundguard.ledger")
_BY_ENGINE: weakref.WeakKeyDictionary[Any, Ledger] = weakref.WeakKeyDictionary()


def register(ledger: Ledger) -> None:
    _BY_ENGINE[ledger.db.engine] = ledger


def for_session(session: Session) -> Ledger | None:
    bind = session.get_bind()
    return _BY_ENGINE.get(getattr(bind, "engine", bind))


def decision_recorded(*, session: Session, claim: Claim) -> None:
    """A reviewer decided ``claim``: start, keep or withdraw its adjudication (no-op without a ledger)."""
    ledger = for_session(session)
    if ledger is not None:
        from refundguard.ledger import adjudication

        adjudication.record_decision(session, ledger, claim)


def mount(app: FastAPI, config: LedgerConfig | None = None) -> Ledger | None:
    """Attach the ledger to a service app: routes, the engine's handle, and the background round."""
    from refundguard.ledger.config import load_ledger_config, validate
    from refundguard.ledger.routes import routers
    from refundguard.ledger.runtime import Ledger

    config = validate(config) if config is not None else load_ledger_config()
    if not config.enabled:
        return None
    ledger = Ledger(config, app.state.db, app.state.settings.data_dir)
    register(ledger)
    app.state.ledger = ledger
    app.state.jobs.ledger = ledger
    for router in routers():
        app.include_router(router)
    inner = app.router.lifespan_context
    background = bool(getattr(app.state.config, "background", True)) and config.schedule == "process"

    @asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[Any]:
        async with inner(instance) as state:
            ledger.prepare()
            if background:
                ledger.start()
            try:
                yield state
            finally:
                ledger.stop()

    app.router.lifespan_context = lifespan
    return ledger


def worker_ledger(db: Database, settings: Settings, config: LedgerConfig | None = None) -> Ledger | None:
    """The ledger of a Celery worker process (``config``: the application's ``[ledger]`` settings, as the service
    has them), or None when disabled."""
    from refundguard.errors import ConfigError
    from refundguard.ledger.config import load_ledger_config
    from refundguard.ledger.runtime import Ledger

    if config is None:
        try:
            config = load_ledger_config()
        except ConfigError:
            log.exception("ledger settings unusable in the worker: the ledger check will not run")
            return None
    if not config.enabled:
        return None
    ledger = Ledger(config, db, settings.data_dir)
    register(ledger)
    return ledger
