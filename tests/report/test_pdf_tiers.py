"""Legal tiers: the packaged defaults, validation of replacement files, standings and cumulative amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from refundguard.errors import ConfigError
from refundguard.report.pdf import AdjudicatedClaim, cumulative_amount, load_legal_tiers, standings

MINIMAL = """
disclaimer_en = "Information only."
disclaimer_zh = "仅供参考。"
[adjudication]
counted_outcomes = ["rejected"]
[[law]]
id = "x"
kind = "criminal"
citation_en = "Test law"
citation_zh = "测试法"
summary_en = "s"
summary_zh = "s"
[[law.tier]]
min_amount = 100
label_en = "a"
label_zh = "甲"
[[law.tier]]
min_amount = 1000
label_en = "b"
label_zh = "乙"
"""


def test_defaults_carry_the_three_laws_and_the_criminal_thresholds() -> None:
    tiers = load_legal_tiers()
    by_id = {law.id: law for law in tiers.laws}
    assert set(by_id) == {"criminal_law_266", "public_security_fraud", "civil_code_148"}
    criminal = by_id["criminal_law_266"]
    assert [t.min_amount for t in criminal.tiers] == [3000, 30000, 500000]
    assert [t.label_zh for t in criminal.tiers] == ["数额较大", "数额巨大", "数额特别巨大"]
    assert "第二百六十六条" in criminal.citation_zh
    # The revised law's article number could not be verified: the citation names the law and date, no number.
    expected = "《治安管理处罚法》（2025年修订，2026-01-01施行）关于诈骗的条款"
    assert by_id["public_security_fraud"].citation_zh == expected
    assert "第一百四十八条" in by_id["civil_code_148"].citation_zh
    assert "不构成法律意见" in tiers.disclaimer_zh and "not legal advice" in tiers.disclaimer_en
    assert tiers.counted_outcomes == {"fraud_confirmed"}


@pytest.mark.parametrize(("amount", "reached", "nxt", "shortfall"), [
    (0.0, None, "数额较大", 3000.0),
    (2999.99, None, "数额较大", 0.01),
    (3000.0, "数额较大", "数额巨大", 27000.0),
    (45000.0, "数额巨大", "数额特别巨大", 455000.0),
    (500000.0, "数额特别巨大", None, None),
])
def test_criminal_standing(amount: float, reached: str | None, nxt: str | None, shortfall: float | None) -> None:
    criminal = next(s for s in standings(load_legal_tiers(), amount) if s.law.id == "criminal_law_266")
    assert (criminal.reached.label_zh if criminal.reached else None) == reached
    assert (criminal.next.label_zh if criminal.next else None) == nxt
    assert criminal.shortfall == shortfall


def test_administrative_and_civil_apply_from_any_amount() -> None:
    got = {s.law.id: s for s in standings(load_legal_tiers(), 195.0)}
    assert got["public_security_fraud"].reached is not None
    assert got["civil_code_148"].reached is not None
    assert got["criminal_law_266"].reached is None
    assert {s.law.id: s.reached for s in standings(load_legal_tiers(), 0.0)}["public_security_fraud"] is None


def test_cumulative_amount_counts_adjudicated_abuse_once_per_claim() -> None:
    when = datetime(2026, 3, 1, tzinfo=UTC)
    history = [AdjudicatedClaim("c1", 1500.0, "fraud_confirmed", when),
               AdjudicatedClaim("c2", 1600.0, "fraud_confirmed"),
               AdjudicatedClaim("c3", 900.0, "approved"), AdjudicatedClaim("c1", 1500.0, "fraud_confirmed"),
               AdjudicatedClaim("c4", -5.0, "fraud_confirmed"), AdjudicatedClaim("c5", float("nan"), "fraud_confirmed"),
               AdjudicatedClaim("c6", 700.0, "rejected")]
    assert cumulative_amount(history, load_legal_tiers().counted_outcomes) == 3100.0
    assert cumulative_amount(history, {"approved"}) == 900.0


def test_replacement_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("REFUNDGUARD_LEGAL_TIERS", str(path))
    tiers = load_legal_tiers()
    assert [law.id for law in tiers.laws] == ["x"]
    assert [s.reached.label_zh for s in standings(tiers, 150.0) if s.reached] == ["甲"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.replace("min_amount = 1000", "min_amount = 50"), "increasing"),
    (lambda s: s.replace('kind = "criminal"', 'kind = "moral"'), "kind"),
    (lambda s: s.replace('disclaimer_zh = "仅供参考。"', ""), "disclaimer_zh"),
    (lambda s: s.replace("min_amount = 100\n", "min_amount = -1\n"), "min_amount"),
    (lambda s: s.replace('citation_zh = "测试法"', 'citation_zh = ""'), "citation_zh"),
    (lambda s: s + "[[law\n", "not valid TOML"),
])
def test_bad_files_name_the_problem(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tiers.toml"
    path.write_text(change(MINIMAL), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_legal_tiers(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read legal tiers"):
        load_legal_tiers(tmp_path / "absent.toml")
