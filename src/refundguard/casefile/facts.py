"""Case facts: what the claim service knows about a claim beyond its photos, as the bundle and pages show it.

The timeline, the head of the audit chain and what its verification found, the buyer's adjudicated history (final
decisions only: a request for more evidence decides nothing), the cross-platform ledger's entries, and the merchant's
statement. :func:`cumulative_amount` and :func:`cross_platform_amount` add up what the legal tiers count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: outcomes that end a claim: only these are adjudications (``more_evidence_requested`` is not)
FINAL_OUTCOMES = frozenset({"approved", "rejected", "fraud_confirmed"})


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One audit entry of the claim: ``details`` as recorded (the surfaces word them with the message catalogue,
    ``timeline.<action>``); ``detail`` is a plain one-line rendering for readers without the catalogue."""

    at: datetime
    action: str
    actor: str = ""
    detail: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AdjudicatedClaim:
    """One of the buyer's claims that a reviewer decided (this claim included, if decided)."""

    claim_id: str
    amount: float
    outcome: str
    decided_at: datetime | None = None
    merchant_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The head of the hash-chained audit log when the bundle was made, and what its verification found.

    ``verified`` is None when the chain was not walked; False when anything disagrees: an entry, the head, a
    claim row against the chain's snapshot of its facts, or the chain against a held checkpoint (``problems``
    says which, ``checkpoints`` how many signed checkpoints were compared). ``checkpoint`` is the signed
    checkpoint of this head (only for an intact chain) for the reader to keep.
    """

    hash: str
    entries: int
    verified: bool | None = None
    chain: str | None = None
    problems: tuple[str, ...] = ()
    checkpoints: int = 0
    checkpoint: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntryProof:
    """A cross-platform ledger entry in the bundle, with the signed record that proves it (issue #18)."""

    issuer: str
    entry_id: str
    decided_on: str | None
    outcome: str | None
    amount: float | None
    currency: str | None
    record_seq: int
    record_hash: str
    key_fingerprint: str
    verified: bool  # the issuer's Ed25519 signature checked when the bundle was made
    status: str  # active | contested | revoked | expired, as held when the bundle was made
    own: bool  # issued by this platform (then it is one of the claims in ``history``)


@dataclass
class CrossPlatform:
    """The ledger's entries for the buyer (reviewer and police views only) and the records to attach."""

    entries: list[LedgerEntryProof] = field(default_factory=list)
    note_en: str | None = None
    note_zh: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)


def cross_platform_amount(ledger: CrossPlatform | None, currency: str) -> float:
    """Sum of other platforms' standing, verified entries in ``currency`` (own entries are in the history)."""
    if ledger is None:
        return 0.0
    return round(sum(e.amount or 0.0 for e in ledger.entries
                     if not e.own and e.verified and e.status == "active" and e.currency == currency), 2)


@dataclass
class CaseFacts:
    """What the claim service knows beyond the photos; every field is optional for the engine-only bundle."""

    claim_id: str | None = None
    status: str | None = None
    tenant: str | None = None
    merchant_id: str | None = None
    buyer_id: str | None = None
    amount: float | None = None
    created_at: datetime | None = None
    deadline: datetime | None = None
    #: the decision's outcome key (``approved``, ``rejected``, ``fraud_confirmed``, ``more_evidence_requested``)
    decision: str | None = None
    decision_reason: str | None = None
    decided_at: datetime | None = None
    currency: str | None = None
    order_id: str | None = None
    buyer_reason: str | None = None
    delivered_at: datetime | None = None
    #: what the merchant wrote when answering the claim
    merchant_statement: str | None = None
    #: evidence file names by SHA-256 (the timeline names files, not hashes)
    file_names: dict[str, str] = field(default_factory=dict)
    #: IANA zone the times are shown in (the tenant's; Asia/Shanghai by default)
    timezone: str | None = None
    timeline: list[TimelineEvent] = field(default_factory=list)
    audit_head: AuditHead | None = None
    history: list[AdjudicatedClaim] = field(default_factory=list)
    ledger: CrossPlatform | None = None


def cumulative_amount(history: Sequence[AdjudicatedClaim], counted: frozenset[str] | set[str]) -> float:
    """Sum of the amounts of adjudicated claims whose outcome counts (each claim id once; final decisions only)."""
    seen: dict[str, float] = {}
    for item in history:
        if item.outcome in counted and item.outcome in FINAL_OUTCOMES and math.isfinite(item.amount) \
                and item.amount > 0:
            seen[item.claim_id] = item.amount
    return round(sum(seen.values()), 2)
