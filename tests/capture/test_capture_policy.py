"""When policy asks for a live capture: per tenant, never for a high, never twice, existing rules kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from refundguard.capture.config import CaptureConfig, CapturePolicy
from refundguard.service import policy
from refundguard.service.claims.workflow import ALLOWED_TRANSITIONS, State, can_transition
from refundguard.service.config import PolicyConfig

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
UNVERIFIED = {"basis": "unverified", "failed": [], "photos": [{"image": 0, "verified_by": []}]}
VERIFIED = {"basis": "verified", "failed": [], "photos": [{"image": 0, "verified_by": ["reference"]}]}
ON = CapturePolicy(enabled=True)


def _route(level: str = "low", amount: float = 50.0, coverage: dict | None = None, **kw: object) -> policy.Route:
    return policy.route(level=level, amount=amount, buyer_abuse=False, merchant_responded=False,
                        policy=kw.pop("policy", PolicyConfig()), now=NOW,  # type: ignore[arg-type]
                        coverage=UNVERIFIED if coverage is None else coverage, **kw)  # type: ignore[arg-type]


def test_capture_state_is_in_the_lifecycle() -> None:
    assert State.CAPTURE_REQUESTED in ALLOWED_TRANSITIONS
    for origin in ("analysing", "awaiting_merchant", "in_review"):
        assert can_transition(origin, "capture_requested")
    assert can_transition("capture_requested", "analysing") and can_transition("capture_requested", "in_review")
    assert not can_transition("capture_requested", "auto_approved")  # never refunded on a request or its expiry
    assert not can_transition("capture_requested", "closed")


def test_an_unverified_low_goes_to_a_capture_when_the_tenant_asks_for_it() -> None:
    decided = _route(capture=ON, capture_hours=24)
    assert decided.state is State.CAPTURE_REQUESTED and decided.deadline == NOW + timedelta(hours=24)
    assert "unverified" in decided.why
    assert _route(capture=CapturePolicy()).state is State.AWAITING_MERCHANT  # off by default: the old rule
    assert _route(policy=PolicyConfig(unverified_low="capture")).state is State.CAPTURE_REQUESTED


def test_triggers_and_what_never_triggers() -> None:
    every = CapturePolicy(enabled=True, unverified_low=False, no_reference=True, single_photo=True,
                          level_review=True, amount_at_least=150)
    assert _route(level="review", coverage=VERIFIED, capture=every).state is State.CAPTURE_REQUESTED
    assert "level review" in _route(level="review", coverage=VERIFIED, capture=every).why
    assert "no listing photo matched" in _route(level="review", capture=every).why
    only_amount = CapturePolicy(enabled=True, unverified_low=False, amount_at_least=150)
    assert _route(level="review", amount=500, coverage=VERIFIED, capture=only_amount).state is State.CAPTURE_REQUESTED
    assert _route(level="review", amount=50, coverage=VERIFIED, capture=only_amount).state is State.AWAITING_MERCHANT
    assert _route(level="high", capture=every).state is State.AWAITING_MERCHANT  # the evidence already decides
    assert _route(capture=ON, capture_done=True).state is State.AWAITING_MERCHANT  # never asked twice
    incomplete = {"basis": "incomplete", "failed": [{"check": "tamper", "error": "x"}], "photos": []}
    assert _route(coverage=incomplete, capture=every).state is State.AWAITING_MERCHANT  # kept: never refunded
    assert _route(coverage=VERIFIED, capture=every).state is State.AUTO_APPROVED  # verified low: the refund


def test_after_a_capture_an_unverified_low_goes_to_a_reviewer() -> None:
    decided = _route(policy=PolicyConfig(unverified_low="capture"), capture_done=True)
    assert decided.state is State.IN_REVIEW and "after the live capture" in decided.why


@pytest.mark.parametrize("tenant, expected", [("shop-a", True), ("shop-b", False)])
def test_policy_is_per_tenant(tenant: str, expected: bool) -> None:
    config = CaptureConfig(tenants={"shop-a": CapturePolicy(enabled=True)})
    assert config.policy_for(tenant).enabled is expected
