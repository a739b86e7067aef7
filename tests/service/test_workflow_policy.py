"""The lifecycle table, the routing policy and the deadline sweeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from refundguard.service import policy
from refundguard.service.audit import service as audit
from refundguard.service.claims.models import Claim
from refundguard.service.claims.workflow import ALLOWED_TRANSITIONS, State, can_transition
from refundguard.service.config import PolicyConfig
from refundguard.service.db import Database

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
VERIFIED = {"basis": "verified", "failed": []}


def test_lifecycle_table_is_complete_and_one_way() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(State)
    assert can_transition("created", "analysing")
    assert can_transition("analysing", "awaiting_merchant")
    assert can_transition("awaiting_merchant", "in_review")
    assert can_transition("in_review", "decided")
    assert can_transition("decided", "closed")
    assert not can_transition("created", "auto_approved")  # never approved without analysis
    assert not can_transition("awaiting_merchant", "auto_approved")  # no automatic refund in the window
    assert not can_transition("closed", "analysing")
    assert not can_transition("created", "nonsense")
    assert ALLOWED_TRANSITIONS[State.CLOSED] == frozenset()


@pytest.mark.parametrize(("level", "amount", "abuse", "expected"), [
    ("low", 50.0, False, State.AUTO_APPROVED),
    ("low", 500.0, False, State.AWAITING_MERCHANT),   # amount over the threshold
    ("review", 50.0, False, State.AWAITING_MERCHANT),  # level not low
    ("high", 5.0, False, State.AWAITING_MERCHANT),
    ("low", 50.0, True, State.AWAITING_MERCHANT),      # buyer with adjudicated abuse
])
def test_route_auto_approves_only_when_every_condition_holds(level: str, amount: float, abuse: bool,
                                                             expected: State) -> None:
    decision = policy.route(level=level, amount=amount, buyer_abuse=abuse, merchant_responded=False,
                            policy=PolicyConfig(auto_approve_max_amount=200), now=NOW, coverage=VERIFIED)
    assert decision.state is expected
    if expected is State.AWAITING_MERCHANT:
        assert decision.deadline == NOW + timedelta(hours=48)
    else:
        assert decision.deadline is None


def test_route_after_merchant_response_goes_to_a_reviewer() -> None:
    decision = policy.route(level="low", amount=1.0, buyer_abuse=False, merchant_responded=True,
                            policy=PolicyConfig(review_window_hours=24), now=NOW, coverage=VERIFIED)
    assert decision.state is State.IN_REVIEW and decision.deadline == NOW + timedelta(hours=24)


def test_policy_is_configuration() -> None:
    decision = policy.route(level="review", amount=1.0, buyer_abuse=False, merchant_responded=False,
                            policy=PolicyConfig(auto_approve_levels=["low", "review"], merchant_window_hours=72),
                            now=NOW, coverage=VERIFIED)
    assert decision.state is State.AUTO_APPROVED
    decision = policy.route(level="high", amount=1.0, buyer_abuse=False, merchant_responded=False,
                            policy=PolicyConfig(merchant_window_hours=72), now=NOW, coverage=VERIFIED)
    assert decision.deadline == NOW + timedelta(hours=72)


@pytest.mark.parametrize("coverage", [{"basis": "incomplete", "failed": [{"check": "provenance", "error": "x"}]},
                                      {"basis": "incomplete", "failed": []}, None, {}])
def test_an_incomplete_analysis_is_never_auto_approved_whatever_the_configuration(coverage) -> None:
    lax = PolicyConfig(auto_approve_levels=["low", "review", "high"], auto_approve_max_amount=1e9)
    decision = policy.route(level="low", amount=1.0, buyer_abuse=False, merchant_responded=False, policy=lax,
                            now=NOW, coverage=coverage)
    assert decision.state is State.AWAITING_MERCHANT and "incomplete analysis" in decision.why
    if coverage and coverage["failed"]:
        assert "provenance failed" in decision.why


def test_an_unverified_low_is_never_auto_approved_and_goes_where_policy_says() -> None:
    unverified = {"basis": "unverified", "failed": []}
    window = policy.route(level="low", amount=1.0, buyer_abuse=False, merchant_responded=False,
                          policy=PolicyConfig(), now=NOW, coverage=unverified)
    assert window.state is State.AWAITING_MERCHANT and "unverified" in window.why
    reviewer = policy.route(level="low", amount=1.0, buyer_abuse=False, merchant_responded=False,
                            policy=PolicyConfig(unverified_low="review", review_window_hours=24), now=NOW,
                            coverage=unverified)
    assert reviewer.state is State.IN_REVIEW and reviewer.deadline == NOW + timedelta(hours=24)


def _claim(claim_id: str, state: str, deadline: datetime | None, **kw: object) -> Claim:
    fields: dict[str, object] = {"merchant_responded": False, "abuse_confirmed": False, **kw}
    return Claim(id=claim_id, tenant="t", merchant_id="m", amount=10.0, currency="CNY", state=state,
                 deadline=deadline, created_by="test", **fields)


def test_sweeper_moves_only_expired_windows_and_survives_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db = Database(url)
    db.upgrade()
    with db.session() as session:
        session.add_all([_claim("due", "awaiting_merchant", NOW - timedelta(minutes=1)),
                         _claim("later", "awaiting_merchant", NOW + timedelta(hours=1)),
                         _claim("review", "in_review", NOW - timedelta(hours=5))])
    db.dispose()
    db = Database(url)  # a restart: the deadlines come from the database
    with db.session() as session:
        moved = policy.sweep(session=session, policy=PolicyConfig(review_window_hours=10), now=NOW)
    assert moved == ["due"]
    with db.session() as session:
        due = session.get(Claim, "due")
        assert due.state == "in_review"
        assert due.deadline == NOW + timedelta(hours=10)
        assert session.get(Claim, "later").state == "awaiting_merchant"
        actions = [(e.action, e.actor) for e in audit.for_subject(session=session, subject_id="due")]
        assert actions == [("claim.state_changed", "system:sweeper")]
        # the chain itself is intact; the claims this test wrote straight into the table are not in it
        problems = audit.verify(session=session).problems
        assert sorted(p.split()[1] for p in problems) == ["later", "review"]
        assert all("written outside the service" in p for p in problems)


def test_buyer_abuse_counts_only_adjudicated_rejections(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    db.upgrade()
    with db.session() as session:
        session.add_all([_claim("c1", "decided", None, buyer_id="b1", outcome="rejected", abuse_confirmed=False),
                         _claim("c2", "decided", None, buyer_id="b2", outcome="rejected", abuse_confirmed=True)])
    with db.session() as session:
        assert not policy.buyer_has_abuse(session=session, tenant="t", buyer_id="b1")
        assert policy.buyer_has_abuse(session=session, tenant="t", buyer_id="b2")
        assert not policy.buyer_has_abuse(session=session, tenant="other", buyer_id="b2")
        assert not policy.buyer_has_abuse(session=session, tenant="t", buyer_id=None)


def test_state_change_webhooks_carry_the_reason_in_both_languages(tmp_path: Path, monkeypatch) -> None:
    """Receivers get the policy's reason in English (``why``) and Chinese (``why_zh``), made from its key."""
    from refundguard.service.claims import service as claims

    sent: list[dict[str, object]] = []
    monkeypatch.setattr(claims.webhooks, "emit", lambda **kw: sent.append(kw))
    monkeypatch.setattr(claims, "held_checkpoint", lambda session, tenant: None)
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade()
    with db.session() as session:
        claim = _claim("c-w", "awaiting_merchant", NOW)
        session.add(claim)
        claims.transition(session=session, claim=claim, target=State.IN_REVIEW, actor="system:sweeper",
                          details=policy.reason("policy.merchant_responded"))
    db.dispose()
    (event,) = sent
    data = event["data"]
    assert event["event"] == "claim.state_changed" and data["to"] == "in_review"  # type: ignore[index]
    assert data["why"] == "the merchant responded: a reviewer decides"  # type: ignore[index]
    assert data["why_zh"] == "商家已举证：由审核员决定"  # type: ignore[index]


def test_the_buyers_adjudicated_history_holds_final_decisions_only(tmp_path: Path) -> None:
    """A claim that was only asked for more evidence, or is still open, is not 'adjudicated' (PDF and case page)."""
    from refundguard.web.stored import buyer_history

    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    db.upgrade()
    with db.session() as session:
        session.add_all([
            _claim("h-approved", "decided", None, buyer_id="b", outcome="approved", decided_at=NOW),
            _claim("h-abuse", "decided", None, buyer_id="b", outcome="rejected", abuse_confirmed=True,
                   decided_at=NOW + timedelta(days=1)),
            _claim("h-asked", "awaiting_evidence", NOW, buyer_id="b", outcome="more_evidence_requested"),
            _claim("h-open", "in_review", NOW, buyer_id="b"),
            _claim("h-other-buyer", "decided", None, buyer_id="c", outcome="rejected", decided_at=NOW)])
        session.flush()
        history = buyer_history(session=session, claim=session.get(Claim, "h-open"))
    db.dispose()
    assert [(h.claim_id, h.outcome) for h in history] == [("h-approved", "approved"), ("h-abuse", "fraud_confirmed")]
