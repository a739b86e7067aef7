"""The service's analysis-pass cache (:class:`refundguard.passes.PassCache`): a small in-process LRU in front of the
``analysis_passes`` table, so that passes survive restarts and are shared by the API process (which analyses each
live shot as it arrives) and the workers (which judge the completed session)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from refundguard.capture.models import AnalysisPass
from refundguard.config import Settings
from refundguard.passes import MemoryPassCache, PassResult
from refundguard.service.db import Database, utcnow

log = logging.getLogger("refundguard.capture")


class DatabasePassCache:
    """Passes by key in the database, the most recent ones also in memory."""

    def __init__(self, db: Database, memory: int = 64) -> None:
        self.db = db
        self.memory = MemoryPassCache(memory)

    def get(self, key: str, settings: Settings) -> PassResult | None:
        found = self.memory.get(key, settings)
        if found is not None:
            return found
        try:
            with self.db.session() as session:
                row = session.get(AnalysisPass, key)
                data = row.data if row is not None else None
        except SQLAlchemyError:
            log.warning("analysis pass cache unreadable", exc_info=True)
            return None
        if data is None:
            return None
        result = PassResult.from_dict(json.loads(data), settings)
        self.memory.put(key, result)
        return result

    def put(self, key: str, result: PassResult) -> None:
        self.memory.put(key, result)
        try:
            with self.db.session() as session:
                session.add(AnalysisPass(key=key, data=json.dumps(result.to_dict(), ensure_ascii=False)))
        except IntegrityError:  # another process stored the same pass first
            pass
        except SQLAlchemyError:
            log.warning("analysis pass not stored", exc_info=True)

    def prune(self, older_than: timedelta) -> int:
        """Drop passes older than ``older_than``; returns how many."""
        with self.db.session() as session:
            return session.execute(delete(AnalysisPass).where(AnalysisPass.created_at < utcnow() - older_than)).rowcount
