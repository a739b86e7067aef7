"""What a verified record does to the entries held here (the same code for own and peers' records).

- ``entry``: the entry is held (``active``, or ``expired`` when already past its expiry) with its pseudonyms;
- ``contest``: the buyer appealed, the entry leaves every answer (``contested``) until the issuer resolves it;
- ``reinstate``: the appeal was rejected, the entry counts again;
- ``revocation``: the entry is out for good (appeal upheld, court decision, expiry, withdrawn) and its data is
  erased here: the entry's fields, its pseudonyms, and the body of its record.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from refundguard.ledger.models import LedgerAppeal, LedgerEntry, LedgerEntryKey, LedgerRecord
from refundguard.service.db import utcnow


def apply(session: Session, *, issuer: str, seq: int, kind: str, body: dict | None, today: date,
          record_hash: str) -> None:
    if body is None:  # an erased entry: nothing to hold
        return
    entry_id = body["entry_id"]
    entry = session.get(LedgerEntry, (issuer, entry_id))
    if kind == "entry":
        if entry is not None:
            return
        expires = date.fromisoformat(body["expires_on"])
        session.add(LedgerEntry(issuer=issuer, entry_id=entry_id, outcome=body["outcome"], amount=body["amount"],
                                currency=body["currency"], decided_on=date.fromisoformat(body["decided_on"]),
                                category=body.get("category"), evidence_sha256=body["evidence_sha256"],
                                expires_on=expires, status="active" if expires > today else "expired",
                                record_seq=seq, record_hash=record_hash))
        session.flush()
        for pseudonym in dict.fromkeys(body["pseudonyms"]):
            session.add(LedgerEntryKey(pseudonym=pseudonym, issuer=issuer, entry_id=entry_id))
        return
    if entry is None:
        return
    if kind == "contest" and entry.status == "active":
        entry.status, entry.status_reason = "contested", "appealed"
    elif kind == "reinstate" and entry.status == "contested":
        entry.status, entry.status_reason = "active", body["reason"]
        _close_appeals(session, issuer, entry_id, "rejected", "the issuer rejected the appeal")
    elif kind == "revocation" and entry.status not in ("revoked",):
        reason = body["reason"]
        _close_appeals(session, issuer, entry_id, "upheld" if reason == "appeal_upheld" else "rejected",
                       f"the issuer revoked the entry ({reason})")
        erase(session, entry, status="expired" if reason == "expired" else "revoked", reason=reason)


def erase(session: Session, entry: LedgerEntry, *, status: str, reason: str) -> None:
    """Take an entry out of every answer and erase its data (its record keeps only the signed hashes)."""
    session.execute(delete(LedgerEntryKey).where(LedgerEntryKey.issuer == entry.issuer,
                                                 LedgerEntryKey.entry_id == entry.entry_id))
    session.execute(update(LedgerRecord).where(LedgerRecord.issuer == entry.issuer,
                                               LedgerRecord.seq == entry.record_seq).values(body=None))
    entry.status, entry.status_reason = status, reason
    entry.outcome = entry.currency = entry.category = entry.evidence_sha256 = None
    entry.amount = None
    entry.decided_on = None


def _close_appeals(session: Session, issuer: str, entry_id: str, status: str, why: str) -> None:
    now: datetime = utcnow()
    for appeal in session.scalars(select(LedgerAppeal).where(LedgerAppeal.issuer == issuer,
                                                             LedgerAppeal.entry_id == entry_id,
                                                             LedgerAppeal.status == "open")):
        appeal.status, appeal.resolved_at, appeal.resolved_by, appeal.resolution = status, now, f"issuer:{issuer}", why
