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


def test_an_existing_chain_is_linked_per_tenant_by_the_migration(tmp_path: Path) -> None:
    """A database at revision 0001 with a global chain (two tenants, one legacy 'more evidence' claim) upgrades to
    tenant chains that verify, without rewriting a single global hash."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from refundguard.service.audit.models import AuditEntry, AuditTenantHead
    from refundguard.service.claims.models import Claim
    from refundguard.service.migrations import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db.engine, "0001")
    prev, rows = audit.GENESIS, []
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for seq, (tenant, subject) in enumerate([("a", "c1"), ("b", "c2"), ("a", "c1"), ("b", "c2")], 1):
        details = audit.canonical({"n": seq})
        digest = audit.entry_hash(prev, seq=seq, at=at, tenant=tenant, actor="system", action="claim.created",
                                  subject_type="claim", subject_id=subject, details=details)
        rows.append({"seq": seq, "at": at.replace(tzinfo=None), "tenant": tenant, "actor": "system",
                     "action": "claim.created", "subject_type": "claim", "subject_id": subject, "details": details,
                     "prev_hash": prev, "hash": digest})
        prev = digest
    with db.session() as session:
        for row in rows:
            session.execute(text("INSERT INTO audit_entries VALUES (:seq, :at, :tenant, :actor, :action, "
                                 ":subject_type, :subject_id, :details, :prev_hash, :hash)"), row)
        session.execute(text("UPDATE audit_head SET seq = 4, hash = :h"), {"h": prev})
        for cid, tenant, outcome in (("c1", "a", "more_evidence_requested"), ("c2", "b", "approved")):
            session.execute(text(
                "INSERT INTO claims (id, tenant, merchant_id, amount, currency, claimed_at, state, merchant_responded,"
                " outcome, abuse_confirmed, created_by, created_at, updated_at) VALUES (:id, :t, 'm', 10, 'CNY', :at,"
                " 'decided', 0, :o, 0, 'x', :at, :at)"), {"id": cid, "t": tenant, "o": outcome,
                                                         "at": at.replace(tzinfo=None)})
    db.upgrade()
    with db.session() as session:
        hashes = [e.hash for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert hashes == [r["hash"] for r in rows]
        assert {h.tenant: h.seq for h in session.scalars(select(AuditTenantHead))} == {"a": 2, "b": 2}
        for tenant in (None, "a", "b"):
            result = audit.verify(session=session, tenant=tenant)
            assert result.ok and result.unbound == (2 if tenant is None else 1), result.problems
        legacy = session.get(Claim, "c1")
        assert (legacy.state, legacy.outcome, legacy.evidence_status) == ("in_review", None, "expired")
        assert legacy.deadline is not None and session.get(Claim, "c2").state == "decided"
    db.dispose()
