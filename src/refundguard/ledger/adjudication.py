"""From a reviewer's abuse decision to a published entry, and the end of an entry's life.

1. :func:`record_decision` (called when a reviewer decides a claim): a rejection marked as abuse starts an
   adjudication that waits for the buyer's appeal window (``appeal_window_days``); any other decision withdraws a
   waiting one, or revokes (``issuer_withdrawn``) one already published.
2. :func:`publish_due`: adjudications whose window has passed, or whose appeal was rejected, become entries in the
   own feed; an appealed one waits for the appeal.
3. :func:`expire_due`: own entries past their expiry are revoked (``expired``); peers' entries past expiry leave
   every answer here at once, whether or not their issuer has revoked them yet.
"""

from __future__ import annotations

import calendar
import json
import logging
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.ledger.feeds import publish, state
from refundguard.ledger.models import LedgerAdjudication, LedgerAppeal, LedgerEntry, LedgerIdentity
from refundguard.service.audit import service as audit
from refundguard.service.claims.models import Claim, ClaimAnalysis
from refundguard.service.db import utcnow

if TYPE_CHECKING:
    from refundguard.ledger.runtime import Ledger

log = logging.getLogger("refundguard.ledger")
REUSE_CODES = ("reuse.duplicate", "reuse.template", "reference.derived_copy")


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _report_facts(session: Session, claim: Claim) -> tuple[str, str]:
    """The outcome class from the newest report's findings, and the evidence digest (SHA-256 of the canonical JSON
    report, which the evidence bundle prints and attaches)."""
    from refundguard.report.pdf import report_digest

    row = session.scalar(select(ClaimAnalysis).where(ClaimAnalysis.claim_id == claim.id)
                         .order_by(ClaimAnalysis.id.desc()).limit(1))
    if row is None:
        return "forged_evidence", "0" * 64
    report = json.loads(row.report)
    codes = {f.get("code") for f in report.get("findings", [])}
    outcome = "reused_evidence" if codes & set(REUSE_CODES) and not codes - set(REUSE_CODES) - {"ledger.prior_abuse"} \
        else "forged_evidence"
    return outcome, report_digest(report)


def record_decision(session: Session, ledger: Ledger, claim: Claim) -> LedgerAdjudication | None:
    """Start, keep or withdraw the claim's adjudication after a reviewer's decision (in the caller's transaction)."""
    existing = session.scalar(select(LedgerAdjudication).where(LedgerAdjudication.claim_id == claim.id))
    abuse = bool(claim.abuse_confirmed and claim.outcome == "rejected")
    if not abuse:
        if existing is not None:
            withdraw(session, ledger, existing, actor=claim.decided_by or "system", why="the decision was changed")
        return None
    if not claim.buyer_id:
        audit.record(session=session, actor="system:ledger", action="ledger.not_recorded", subject_type="claim",
                     subject_id=claim.id, tenant=claim.tenant, details={"why": "the claim names no buyer"})
        return None
    outcome, digest = _report_facts(session, claim)
    decided = claim.decided_at or utcnow()
    if existing is not None and existing.status in ("waiting", "appealed", "published"):
        return existing
    row = existing or LedgerAdjudication(id="adj_" + uuid.uuid4().hex[:20], claim_id=claim.id)
    row.tenant, row.buyer_id, row.outcome = claim.tenant, claim.buyer_id, outcome
    row.amount, row.currency, row.category, row.evidence_sha256 = float(claim.amount), claim.currency, None, digest
    row.decided_at = decided
    row.publish_after = decided + timedelta(days=ledger.config.appeal_window_days)
    row.status, row.note = "waiting", None
    session.add(row)
    session.flush()
    audit.record(session=session, actor="system:ledger", action="ledger.adjudicated", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant,
                 details={"adjudication": row.id, "outcome": outcome, "publish_after": row.publish_after.isoformat()})
    return row


def withdraw(session: Session, ledger: Ledger, row: LedgerAdjudication, *, actor: str, why: str) -> None:
    if row.status == "published" and row.entry_id:
        revoke(session, ledger, row.entry_id, reason="issuer_withdrawn", actor=actor)
    row.status, row.note = "withdrawn", why
    audit.record(session=session, actor=actor, action="ledger.withdrawn", subject_type="claim",
                 subject_id=row.claim_id, tenant=row.tenant, details={"adjudication": row.id, "why": why})


def revoke(session: Session, ledger: Ledger, entry_id: str, *, reason: str, actor: str) -> None:
    """Publish a revocation of an own entry (appeal upheld, court decision, expiry, withdrawn)."""
    entry = session.get(LedgerEntry, (ledger.config.platform, entry_id))
    if entry is None or entry.status in ("revoked", "expired"):
        return
    publish.append(session, key=ledger.key, issuer=ledger.config.platform, kind="revocation",
                   body={"entry_id": entry_id, "reason": reason})
    audit.record(session=session, actor=actor, action="ledger.revoked", subject_type="ledger_entry",
                 subject_id=entry_id, tenant=None, details={"reason": reason})


def _pseudonyms(session: Session, tenant: str, buyer_id: str) -> list[str]:
    return [r.pseudonym for r in session.scalars(select(LedgerIdentity).where(
        LedgerIdentity.tenant == tenant, LedgerIdentity.buyer_id == buyer_id).order_by(LedgerIdentity.kind))]


def publish_due(session: Session, ledger: Ledger, *, now: datetime | None = None, limit: int = 500) -> int:
    """Publish the adjudications whose appeal window has passed (or whose appeal was rejected)."""
    now = now or utcnow()
    due = session.scalars(select(LedgerAdjudication).where(LedgerAdjudication.status == "waiting",
                                                           LedgerAdjudication.publish_after <= now)
                          .order_by(LedgerAdjudication.publish_after).limit(limit).with_for_update()).all()
    published = 0
    for row in due:
        if session.scalar(select(LedgerAppeal.id).where(LedgerAppeal.adjudication_id == row.id,
                                                        LedgerAppeal.status == "open").limit(1)):
            row.status = "appealed"
            continue
        pseudonyms = _pseudonyms(session, row.tenant, row.buyer_id)
        if not pseudonyms:
            if row.note != "waiting for the buyer's identifiers":
                row.note = "waiting for the buyer's identifiers"
            continue
        entry_id = "e_" + uuid.uuid4().hex[:20]
        decided = row.decided_at.date()
        publish.append(session, key=ledger.key, issuer=ledger.config.platform, kind="entry", today=now.date(),
                       body={"entry_id": entry_id, "pseudonyms": pseudonyms[:4], "outcome": row.outcome,
                             "amount": row.amount, "currency": row.currency, "decided_on": decided.isoformat(),
                             "category": row.category, "evidence_sha256": row.evidence_sha256,
                             "expires_on": add_months(decided, ledger.config.expiry_months).isoformat()})
        row.status, row.entry_id, row.note = "published", entry_id, None
        audit.record(session=session, actor="system:ledger", action="ledger.published", subject_type="claim",
                     subject_id=row.claim_id, tenant=row.tenant, details={"entry_id": entry_id})
        published += 1
    session.flush()
    return published


def expire_due(session: Session, ledger: Ledger, *, today: date | None = None, limit: int = 1000) -> int:
    """Revoke own entries past expiry; take peers' expired entries out of every answer and erase them here."""
    today = today or utcnow().date()
    live = LedgerEntry.status.in_(("active", "contested"))
    unerased = (LedgerEntry.status == "expired") & LedgerEntry.outcome.is_not(None)
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.expires_on <= today, live | unerased)
                           .limit(limit)).all()
    for entry in rows:
        if entry.issuer == ledger.config.platform and entry.status != "expired":
            revoke(session, ledger, entry.entry_id, reason="expired", actor="system:ledger")
        else:
            state.erase(session, entry, status="expired", reason="expired")
    session.flush()
    return len(rows)
