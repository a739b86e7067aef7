"""Routing policy (configuration data) and the deadline sweeper.

Auto-approval needs the level to be one of ``auto_approve_levels`` (default: low) AND the amount under
``auto_approve_max_amount`` AND no adjudicated abuse by the buyer (in this tenant, or on the cross-platform
ledger: a ``ledger.prior_abuse`` finding) AND a complete analysis whose photos were
verified against independent evidence (the report's ``coverage.basis`` is ``verified``). An incomplete
analysis (a check failed) is never approved automatically, whatever the configuration. A ``low`` that rests
on nothing verifiable (one photo, no matched listing photo, no second view) goes where ``unverified_low``
says: the merchant window (default: the merchant may add the listing photo) or straight to a reviewer.
Everything else opens a merchant window (default 48 h) in which nothing is refunded automatically; when it
ends, the claim joins the reviewer queue.
A merchant's response moves the claim to review after re-analysis. Deadlines live in the claim row, so a
restart loses none; :func:`sweep` is safe to run from several processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refundguard.service.claims.models import Claim
from refundguard.service.claims.workflow import Outcome, State
from refundguard.service.config import PolicyConfig
from refundguard.service.db import utcnow


@dataclass(frozen=True, slots=True)
class Route:
    """Where a claim goes, until when, and why: ``why_key``/``why_params`` name the reason in the message
    catalogue (``policy.*``; shown in the reader's language), ``why`` is its English for logs and older readers."""

    state: State
    deadline: datetime | None
    why: str
    why_key: str | None = None
    why_params: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """The reason as an audit entry records it."""
        return {"why": self.why, "why_key": self.why_key, "why_params": self.why_params}


def _route(state: State, until: datetime | None, key: str, **params: Any) -> Route:
    from refundguard.messages import Context, render

    return Route(state, until, render(key, params, Context("en")), key, params)


def reason(key: str, **params: Any) -> dict[str, Any]:
    """An audit entry's ``why`` (English), ``why_key`` and ``why_params`` for the policy sentence ``key``."""
    from refundguard.messages import Context, render

    return {"why": render(key, params, Context("en")), "why_key": key, "why_params": params}


def route(*, level: str, amount: float, buyer_abuse: bool, merchant_responded: bool, policy: PolicyConfig,
          now: datetime, coverage: Mapping[str, Any] | None) -> Route:
    """Where an analysed claim goes next. ``coverage`` is the report's coverage section (missing: incomplete)."""
    basis = str((coverage or {}).get("basis", "incomplete"))
    failed = [str(f.get("check")) for f in (coverage or {}).get("failed", [])]
    if merchant_responded:
        return _route(State.IN_REVIEW, now + timedelta(hours=policy.review_window_hours), "policy.merchant_responded")
    approvable = level in policy.auto_approve_levels and amount < policy.auto_approve_max_amount and not buyer_abuse
    limit = f"{policy.auto_approve_max_amount:g}"
    if basis == "incomplete":  # whatever the configuration: what a failed check would have found is unknown
        what = [{"part": "failed", "checks": failed}] if failed else ["not_all"]
        return _route(State.AWAITING_MERCHANT, now + timedelta(hours=policy.merchant_window_hours),
                      "policy.incomplete", what=what)
    if approvable and basis == "verified":
        return _route(State.AUTO_APPROVED, None, "policy.auto_approved", level=level, limit=limit)
    if approvable and policy.unverified_low == "review":
        return _route(State.IN_REVIEW, now + timedelta(hours=policy.review_window_hours), "policy.unverified_review",
                      level=level)
    reasons: list[dict[str, Any]] = []
    if approvable:
        reasons.append({"part": "unverified", "level": level})
    if level not in policy.auto_approve_levels:
        reasons.append({"part": "level", "level": level})
    if amount >= policy.auto_approve_max_amount:
        reasons.append({"part": "amount", "amount": f"{amount:g}", "limit": limit})
    if buyer_abuse:
        reasons.append({"part": "abuse"})
    return _route(State.AWAITING_MERCHANT, now + timedelta(hours=policy.merchant_window_hours), "policy.window",
                  reasons=reasons)


def buyer_has_abuse(*, session: Session, tenant: str, buyer_id: str | None) -> bool:
    """Whether a reviewer ever rejected a claim of this buyer (in this tenant) as abuse."""
    if not buyer_id:
        return False
    count = session.scalar(select(func.count()).select_from(Claim).where(
        Claim.tenant == tenant, Claim.buyer_id == buyer_id, Claim.abuse_confirmed.is_(True),
        Claim.outcome == Outcome.REJECTED.value))
    return bool(count)


def sweep(*, session: Session, policy: PolicyConfig, now: datetime | None = None, limit: int = 200) -> list[str]:
    """Move claims whose merchant window has ended to the reviewer queue; returns their ids."""
    from refundguard.service.claims import service as claim_service

    now = now or utcnow()
    due = session.scalars(select(Claim).where(Claim.state == State.AWAITING_MERCHANT.value,
                                              Claim.deadline <= now)
                          .order_by(Claim.deadline).limit(limit).with_for_update(skip_locked=True)).all()
    moved = []
    for claim in due:
        claim_service.transition(session=session, claim=claim, target=State.IN_REVIEW, actor="system:sweeper",
                                 details=reason("policy.window_ended"))
        claim.deadline = now + timedelta(hours=policy.review_window_hours)
        moved.append(claim.id)
    session.flush()
    return moved
