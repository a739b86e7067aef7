"""The hash-chained audit trail detects edited and removed entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from refundguard.service.audit import service as audit
from refundguard.service.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    db.upgrade()
    with db.session() as session:
        for i in range(5):
            audit.record(session=session, actor=f"reviewer:{i}", action="claim.decided", subject_type="claim",
                         subject_id=f"c{i % 2}", tenant="t", details={"outcome": "rejected", "n": i, "zh": "驳回"})
    return db


def test_intact_chain_verifies(db: Database) -> None:
    with db.session() as session:
        result = audit.verify(session=session)
        assert result.ok and result.entries == 5 and not result.problems
        assert [e.seq for e in audit.for_subject(session=session, subject_id="c0")] == [1, 3, 5]


def test_edited_entry_is_detected(db: Database) -> None:
    with db.session() as session:
        session.execute(text("UPDATE audit_entries SET details = replace(details, 'rejected', 'approved') "
                             "WHERE seq = 3"))
    with db.session() as session:
        result = audit.verify(session=session)
    assert not result.ok
    assert any("entry 3 was altered" in p for p in result.problems)


def test_edited_actor_is_detected(db: Database) -> None:
    with db.session() as session:
        session.execute(text("UPDATE audit_entries SET actor = 'admin:x' WHERE seq = 1"))
    with db.session() as session:
        assert not audit.verify(session=session).ok


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_removed_entry_is_detected(db: Database, seq: int) -> None:
    with db.session() as session:
        session.execute(text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": seq})
    with db.session() as session:
        result = audit.verify(session=session)
    assert not result.ok, result


def test_rehashed_forgery_of_the_tail_is_detected_by_the_head(db: Database) -> None:
    # An attacker who deletes the newest entry cannot hide it without also rewriting the head row.
    with db.session() as session:
        session.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    with db.session() as session:
        problems = audit.verify(session=session).problems
    assert any("head names entry 5" in p for p in problems)


def test_chain_continues_across_sessions(db: Database) -> None:
    with db.session() as session:
        entry = audit.record(session=session, actor="system", action="x", subject_type="claim", subject_id="c9")
        assert entry.seq == 6
    with db.session() as session:
        assert audit.verify(session=session).ok
