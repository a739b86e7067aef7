"""The facts of a claim that the audit chain binds, and how a stored claim is compared with them.

Every audit entry about a claim carries a snapshot of the facts that the evidence bundle, the legal tiers and
the routing rely on: who (tenant, merchant, buyer), what (order, amount, currency, reason, delivery time),
where it stands (state, outcome, reason, adjudicated abuse, who decided and when, the merchant's statement, an
open evidence request), which files are evidence (role and SHA-256 of each), and which report the claim's
risk comes from (the newest analysis and the SHA-256 of its canonical JSON). Every change to one of these goes
through the claim service, which writes an entry, so the newest snapshot of a claim must equal its row: a row
edited in the database disagrees with the chain, and :func:`differences` says where.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.service.claims.models import Claim, ClaimAnalysis
from refundguard.service.evidence.models import Evidence

#: the claim columns in the snapshot (a new bound column is added here and nowhere else)
CLAIM_FIELDS = ("tenant", "merchant_id", "buyer_id", "order_id", "amount", "currency", "reason", "delivered_at",
                "created_at", "state", "outcome", "decision_reason", "abuse_confirmed", "decided_by", "decided_at",
                "merchant_statement", "evidence_from", "evidence_status")


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value  # numbers stay numbers: JSON keeps a float exactly (89.0 and 89.00000001 differ)


def claim_facts(session: Session, claim: Claim) -> dict[str, Any]:
    """The bound facts of ``claim`` as they are now (in this session, pending changes included)."""
    facts: dict[str, Any] = {name: _value(getattr(claim, name)) for name in CLAIM_FIELDS}
    rows = session.execute(select(Evidence.role, Evidence.sha256).where(Evidence.claim_id == claim.id)).all()
    facts["evidence"] = sorted(f"{role}:{sha}" for role, sha in rows)
    latest = session.execute(select(ClaimAnalysis.id, ClaimAnalysis.report_sha256)
                             .where(ClaimAnalysis.claim_id == claim.id)
                             .order_by(ClaimAnalysis.id.desc()).limit(1)).first()
    facts["analysis"] = None if latest is None else int(latest[0])
    facts["report_sha256"] = None if latest is None else latest[1]
    return facts


def snapshot(session: Session, claim: Claim) -> str:
    """The facts as the canonical text an entry stores and hashes."""
    return json.dumps(claim_facts(session, claim), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def differences(bound: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between the chain's newest snapshot and the claim as stored, one line per fact."""
    out = []
    for key in sorted(set(bound) | set(current)):
        if bound.get(key) != current.get(key):
            if key == "evidence":
                gone = sorted(set(bound.get(key) or []) - set(current.get(key) or []))
                added = sorted(set(current.get(key) or []) - set(bound.get(key) or []))
                out.append("evidence files differ from the chain"
                           + (f" (missing: {', '.join(gone)})" if gone else "")
                           + (f" (not in the chain: {', '.join(added)})" if added else ""))
            else:
                out.append(f"{key} is {_shown(current.get(key))} in the database but {_shown(bound.get(key))} "
                           "in the audit chain")
    return out


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 120 else text[:120] + "…"
