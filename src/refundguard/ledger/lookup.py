"""Asking the ledger about a buyer: only for an open claim of that buyer at this platform, and always audited.

The answer counts the entries that stand now: active (not contested, revoked or expired), not under an appeal
filed here, from every issuer. It carries the count, the issuing platforms, the total adjudicated amount per
currency, the decision dates, and for each entry the record that proves it (issuer, number, hash).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from refundguard.ledger.models import LedgerAppeal, LedgerEntry, LedgerEntryKey, LedgerIdentity
from refundguard.service.audit import service as audit
from refundguard.service.claims.models import Claim
from refundguard.service.db import utcnow
from refundguard.service.errors import DomainError, Forbidden, NotFound

#: claim states in which a ledger query is allowed (the claim is still being handled)
OPEN_STATES = frozenset({"created", "analysing", "awaiting_merchant", "in_review"})


class NotRegistered(DomainError):
    """The buyer's identifiers were never given to the ledger: nothing can be looked up (not: nothing found)."""

    status = 409
    code = "buyer_not_registered"

    def __init__(self, buyer_id: str) -> None:
        super().__init__(f"buyer {buyer_id} has no identifiers registered with the ledger: nothing was looked up",
                         f"买家 {buyer_id} 尚未在账本登记身份标识：未作查询")


@dataclass(frozen=True)
class Match:
    issuer: str
    entry_id: str
    outcome: str
    amount: float
    currency: str
    decided_on: date
    expires_on: date
    record_seq: int
    record_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "entry_id": self.entry_id, "outcome": self.outcome, "amount": self.amount,
                "currency": self.currency, "decided_on": self.decided_on.isoformat(),
                "expires_on": self.expires_on.isoformat(), "record_seq": self.record_seq,
                "record_hash": self.record_hash}


@dataclass(frozen=True)
class PriorAbuse:
    """The answer; ``registered`` is False when the buyer's identifiers were never given (nothing was looked up)."""

    matches: list[Match] = field(default_factory=list)
    registered: bool = True

    @property
    def count(self) -> int:
        return len(self.matches)

    @property
    def platforms(self) -> list[str]:
        return sorted({m.issuer for m in self.matches})

    @property
    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for m in self.matches:
            out[m.currency] = round(out.get(m.currency, 0.0) + m.amount, 2)
        return out

    def to_dict(self) -> dict[str, Any]:
        dates = sorted(m.decided_on for m in self.matches)
        return {"count": self.count, "platforms": self.platforms, "totals": self.totals,
                "first_decided_on": dates[0].isoformat() if dates else None,
                "last_decided_on": dates[-1].isoformat() if dates else None,
                "entries": [m.to_dict() for m in self.matches]}


def pseudonyms_of(session: Session, tenant: str, buyer_id: str) -> list[str]:
    return list(session.scalars(select(LedgerIdentity.pseudonym).where(
        LedgerIdentity.tenant == tenant, LedgerIdentity.buyer_id == buyer_id)))


def matches_for(session: Session, pseudonyms: list[str], *, today: date, limit: int = 200) -> list[Match]:
    """Entries that stand now for any of ``pseudonyms`` (the indexed lookup the benchmark measures)."""
    if not pseudonyms:
        return []
    appealed = exists().where(LedgerAppeal.status == "open", LedgerAppeal.issuer == LedgerEntry.issuer,
                              LedgerAppeal.entry_id == LedgerEntry.entry_id)
    e = LedgerEntry
    query = (select(e.issuer, e.entry_id, e.outcome, e.amount, e.currency, e.decided_on, e.expires_on, e.record_seq,
                    e.record_hash)
             .join(LedgerEntryKey, (LedgerEntryKey.issuer == e.issuer) & (LedgerEntryKey.entry_id == e.entry_id))
             .where(LedgerEntryKey.pseudonym.in_(pseudonyms), e.status == "active", e.expires_on > today, ~appealed)
             .order_by(e.decided_on, e.issuer, e.entry_id).limit(limit))
    seen: dict[tuple[str, str], Match] = {}
    for row in session.execute(query):
        seen[(row.issuer, row.entry_id)] = Match(
            issuer=row.issuer, entry_id=row.entry_id, outcome=row.outcome or "", amount=float(row.amount or 0),
            currency=row.currency or "", decided_on=row.decided_on or today, expires_on=row.expires_on,
            record_seq=row.record_seq, record_hash=row.record_hash)
    return list(seen.values())


def open_claim(session: Session, *, tenant: str, claim_id: str | None) -> Claim:
    """The open claim a query is made for, or :class:`Forbidden` (no fishing)."""
    claim = session.get(Claim, claim_id) if isinstance(claim_id, str) and len(claim_id) <= 40 else None
    if claim is None or claim.tenant != tenant:
        raise NotFound("a ledger query names a claim of this platform", "账本查询须指明本平台的申请")
    if claim.state not in OPEN_STATES:
        raise Forbidden(f"claim {claim.id} is {claim.state}: the ledger answers only for an open claim",
                        f"申请 {claim.id} 状态为 {claim.state}：账本只为处理中的申请作答", code="claim_not_open")
    if not claim.buyer_id:
        raise Forbidden("the claim names no buyer: nothing to ask the ledger", "申请未指明买家，无法查询账本",
                        code="no_buyer")
    return claim


def prior_abuse(session: Session, *, tenant: str, claim_id: str | None, actor: str,
                today: date | None = None) -> PriorAbuse:
    """The buyer's standing entries for an open claim; the query and its answer's size are audited."""
    claim = open_claim(session, tenant=tenant, claim_id=claim_id)
    pseudonyms = pseudonyms_of(session, tenant, claim.buyer_id or "")
    if not pseudonyms:
        audit.record(session=session, actor=actor, action="ledger.query", subject_type="claim", subject_id=claim.id,
                     tenant=tenant, details={"buyer_id": claim.buyer_id, "answered": False,
                                             "why": "buyer identifiers not registered",
                                             "why_key": "ledger.query.not_registered"})
        return PriorAbuse(registered=False)
    result = PriorAbuse(matches_for(session, pseudonyms, today=today or utcnow().date()))
    audit.record(session=session, actor=actor, action="ledger.query", subject_type="claim", subject_id=claim.id,
                 tenant=tenant, details={"buyer_id": claim.buyer_id, "answered": True, "identifiers": len(pseudonyms),
                                         "matches": result.count, "issuers": result.platforms,
                                         "why_key": "ledger.query.answered",
                                         "why_params": {"matches": result.count, "identifiers": len(pseudonyms)}})
    return result
