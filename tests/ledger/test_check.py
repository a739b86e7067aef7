"""The ``ledger`` check: not applicable without a ledger, a bounded claim-level finding with one, never ``high``
on its own whatever the base rate; merchants' views of the report leave it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from refundguard.checks.registry import ClaimInfo
from refundguard.config import load_settings
from refundguard.engine import analyze
from refundguard.errors import NotApplicable
from refundguard.ledger.lookup import Match, PriorAbuse
from refundguard.ledger.visibility import for_merchant, for_role
from refundguard.report.json import to_dict
from tests.service.svc_helpers import photo


def match(n: int, issuer: str = "shop-b") -> Match:
    return Match(issuer=issuer, entry_id=f"e_{n:020x}", outcome="forged_evidence", amount=100.0 + n, currency="CNY",
                 decided_on=date(2026, 3, n), expires_on=date(2028, 3, n), record_seq=n, record_hash="ab" * 32)


@dataclass
class FakeLedger:
    result: PriorAbuse | None = None
    why: str = ""

    def prior_abuse(self, info: ClaimInfo) -> PriorAbuse:
        if self.result is None:
            raise NotApplicable(self.why)
        return self.result


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("ledger") / "claim.jpg"
    path.write_bytes(photo(21, 640, 480))
    return path


def run(picture, ledger, **settings):
    return analyze([picture], info=ClaimInfo(claim_id="clm_1", buyer_id="u1", account_id="t"), ledger=ledger,
                   settings=load_settings(**settings), only=["ledger"])


def test_without_a_ledger_the_check_did_not_run(picture):
    result = run(picture, None)
    assert result.checks["ledger"].status == "not_applicable" and "no ledger" in result.checks["ledger"].why
    unregistered = run(picture, FakeLedger(why="buyer u1 has no identifiers registered"))
    assert unregistered.checks["ledger"].status == "not_applicable"


def test_nothing_standing_is_a_check_that_ran_and_found_nothing(picture):
    result = run(picture, FakeLedger(PriorAbuse([])))
    assert result.checks["ledger"].status == "ran" and not result.findings


def test_the_finding_carries_count_platforms_amounts_and_dates(picture):
    result = run(picture, FakeLedger(PriorAbuse([match(1), match(2, "shop-c")])))
    (f,) = result.findings
    assert f.code == "ledger.prior_abuse" and f.image is None and f.score == pytest.approx(0.75)
    assert f.details["count"] == 2 and f.details["platforms"] == ["shop-b", "shop-c"]
    assert f.details["totals"] == {"CNY": 203.0} and f.details["first_decided_on"] == "2026-03-01"
    assert "shop-b and shop-c" in f.message.en and "2 条" in f.message.zh


@pytest.mark.parametrize("base_rate", [0.01, 0.05, 0.3, 0.6])
def test_never_high_on_its_own(picture, base_rate):
    result = run(picture, FakeLedger(PriorAbuse([match(i) for i in range(1, 9)])), base_rate=base_rate)
    assert result.assessment.level != "high", (base_rate, result.assessment.risk)


def test_three_entries_alone_reach_review_at_the_defaults(picture):
    assert run(picture, FakeLedger(PriorAbuse([match(1)]))).assessment.level == "low"
    assert run(picture, FakeLedger(PriorAbuse([match(i) for i in (1, 2, 3)]))).assessment.level == "review"


def test_merchants_never_see_the_ledger_finding(picture):
    report = to_dict(run(picture, FakeLedger(PriorAbuse([match(i) for i in (1, 2, 3)]))))
    assert any(f["code"] == "ledger.prior_abuse" for f in report["findings"]) and report["reasons"]
    hidden = for_merchant(report)
    assert not any(f["code"].startswith("ledger.") for f in hidden["findings"])
    assert hidden["reasons"] == [] and hidden["reasons_zh"] == [] and "ledger" not in hidden["checks"]
    assert for_role(report, "reviewer") is report and report["risk"] == hidden["risk"]
