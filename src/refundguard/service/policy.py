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
A live capture (``capture`` in :class:`~refundguard.capture.config.CaptureConfig`, per tenant) is asked for instead
when the analysis cannot decide — a low that nothing verifies (also ``unverified_low = "capture"``), no matched
listing photo, a single photo, level ``review``, an amount at or above a threshold — at most once per claim and never
for a ``high``; an expired capture sends the claim to a reviewer with that fact.
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

from refundguard.capture.config import CapturePolicy
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


def capture_parts(*, level: str, amount: float, coverage: Mapping[str, Any], unverified: bool,
                  policy: PolicyConfig, capture: CapturePolicy | None) -> list[dict[str, Any]]:
    """Why a live capture should decide this claim, as ``policy.capture.*`` reason parts (empty: it should not be
    asked for)."""
    by_unverified_low = policy.unverified_low == "capture"
    if level == "high" or ((capture is None or not capture.enabled) and not by_unverified_low):
        return []
    capture = capture or CapturePolicy()
    photos = coverage.get("photos") or []
    parts: list[dict[str, Any]] = []
    if unverified and (by_unverified_low or capture.unverified_low):
        parts.append({"part": "unverified", "level": level})
    if capture.enabled:
        if capture.no_reference and not any("reference" in (p.get("verified_by") or []) for p in photos):
            parts.append({"part": "no_reference"})
        if capture.single_photo and len(photos) == 1:
            parts.append({"part": "single_photo"})
        if capture.level_review and level == "review":
            parts.append({"part": "level_review"})
        if capture.amount_at_least is not None and amount >= capture.amount_at_least:
            parts.append({"part": "amount", "amount": f"{amount:g}", "limit": f"{capture.amount_at_least:g}"})
    return parts


def route(*, level: str, amount: float, buyer_abuse: bool, merchant_responded: bool, policy: PolicyConfig,
          now: datetime, coverage: Mapping[str, Any] | None, capture: CapturePolicy | None = None,
          capture_done: bool = False, capture_hours: float = 24.0) -> Route:
    """Where an analysed claim goes next. ``coverage`` is the report's coverage section (missing: incomplete);
    ``capture`` the tenant's capture policy, ``capture_done`` whether a capture already ended for the claim."""
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
    unverified_low = approvable and basis != "verified"
    if not capture_done:
        parts = capture_parts(level=level, amount=amount, coverage=coverage or {}, unverified=unverified_low,
                              policy=policy, capture=capture)
        if parts:
            return _route(State.CAPTURE_REQUESTED, now + timedelta(hours=capture_hours), "policy.capture_requested",
                          reasons=parts)
    elif approvable and policy.unverified_low == "capture":
        return _route(State.IN_REVIEW, now + timedelta(hours=policy.review_window_hours),
                      "policy.unverified_after_capture", level=level)
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
    """Move claims whose merchant window has ended, or whose live capture expired, to the reviewer queue; returns
    their ids."""
    from refundguard.capture import service as capture_service
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
    moved += capture_service.expire_due(session=session, review_hours=policy.review_window_hours, now=now, limit=limit)
    session.flush()
    return moved
