"""The bundle an officer reads: the first page says what was found, decisions in words, the merchant's statement,
wrapped SHA-256 values, crops of the changed region on claim and reference, no internal codes (pdftotext)."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from refundguard.engine import Analysis
from refundguard.report import pdf as bundle
from refundguard.report.pdf import CaseFacts, TimelineEvent, bundle_from_analysis

STATEMENT = ("我们发货时杯子完好，打包视频见附件。The cup left our warehouse intact; the packing video shows it. "
             "Order 8841-2231 was packed on 2026-02-28.")
INTERNAL = ("fraud_confirmed", "more_evidence_requested", "awaiting_merchant", "claim.state_changed",
            "claim.created", "policy.window", "why_key")


@pytest.fixture
def decided(analysis: Analysis) -> CaseFacts:
    return CaseFacts(
        claim_id="CLM-OFFICER-1", status="decided", merchant_id="m-cup", buyer_id="b-9", amount=168.0,
        decision="fraud_confirmed", decision_reason="the crack is painted onto our listing photo",
        decided_at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC), merchant_statement=STATEMENT, timezone="Asia/Shanghai",
        timeline=[
            TimelineEvent(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), "claim.created", "platform:p1",
                          details={"amount": 168.0, "merchant_id": "m-cup"}),
            TimelineEvent(datetime(2026, 3, 2, 2, 5, tzinfo=UTC), "claim.state_changed", "system:policy",
                          details={"from": "analysing", "to": "awaiting_merchant", "why": "merchant window opened",
                                   "why_key": "policy.window",
                                   "why_params": {"reasons": [{"part": "level", "level": "high"}]},
                                   "deadline": "2026-03-04T02:05:00+00:00"}),
            TimelineEvent(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), "claim.decided", "reviewer:r1",
                          details={"outcome": "fraud_confirmed", "reason": "the crack is painted", "abuse": True})])


def _pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return out.split("\f")


def test_first_page_says_what_was_found_and_the_decision_in_words(analysis: Analysis, decided: CaseFacts,
                                                                   tmp_path: Path, squash) -> None:
    path = tmp_path / "b.pdf"
    path.write_bytes(bundle_from_analysis(analysis, decided))
    pages = _pages(path)
    first = squash(pages[0])
    assert squash("RefundGuard 评估该申请为") in first and squash("RefundGuard rates this claim") in first
    assert squash("商家主图的右下区域被改动") in first  # the strongest finding is the first sentence's reason
    assert squash("该结论基于与独立证据") in first or squash("没有可与照片比对的独立证据") in first
    # the decision in words, and never as a legal finding
    assert squash("驳回退款申请：审核员认定凭证系伪造或虚假") in first
    assert squash("并非法院或公安机关的认定") in first and squash("not a finding of any court or the police") in first
    assert squash(STATEMENT) in first  # the merchant's statement, in full
    everything = squash("".join(pages))
    for code in INTERNAL:
        assert code not in everything, code
    # times in the tenant's zone with the offset: 02:00 UTC is 10:00 in Shanghai
    assert squash("2026-03-03 10:00 UTC+08:00") in everything
    assert squash("已开启商家举证期：高风险：疑似伪造") in everything  # the policy's reason, worded, in Chinese
    assert squash("认定为恶意：计入买家记录") in everything


def test_sha256_values_wrap_inside_their_column(analysis: Analysis, tmp_path: Path) -> None:
    path = tmp_path / "b.pdf"
    path.write_bytes(bundle_from_analysis(analysis))
    text = "\n".join(_pages(path))
    for image in analysis.images:
        sha = image.sha256
        assert sha not in text.replace("\n", " ").split(), "a SHA-256 printed on one line would run off the page"
        assert sha in re.sub(r"\s+", "", text)  # but all of it is there, broken over lines
    width = max(len(line) for line in text.splitlines())
    assert width < 200


def test_a_changed_region_gets_a_page_of_crops_with_the_same_place_on_the_reference(analysis: Analysis,
                                                                                    tmp_path: Path, squash) -> None:
    finding = analysis.findings[-1]  # the located reference.derived_edit of the fixture
    details = {**finding.details, "transform": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}
    analysis.findings[-1] = type(finding)(**{**{f: getattr(finding, f) for f in finding.__dataclass_fields__},
                                             "details": details})
    html = bundle.render_html(bundle.to_dict(analysis), analysis.images)
    crops = html.split('class="crops"')[1]
    assert crops.count('src="data:image/jpeg;base64,') == 2  # the claim's crop and the reference's, side by side
    path = tmp_path / "b.pdf"
    path.write_bytes(bundle_from_analysis(analysis))
    everything = squash("".join(_pages(path)))
    assert squash("局部放大") in everything and squash("商家图片同一位置") in everything


def test_a_missing_chinese_font_is_a_clear_error_not_empty_boxes(analysis: Analysis, monkeypatch) -> None:
    monkeypatch.setattr(bundle, "_cjk_families", lambda: ())
    with pytest.raises(bundle.FontMissing, match="fonts-wqy-microhei"):
        bundle_from_analysis(analysis)


def test_finding_codes_and_raw_details_only_in_the_technical_appendix(analysis: Analysis, tmp_path: Path,
                                                                     squash) -> None:
    path = tmp_path / "b.pdf"
    path.write_bytes(bundle_from_analysis(analysis))
    text = squash("".join(_pages(path)))
    body, sep, appendix = text.partition(squash("技术附录 Technical appendix"))
    assert sep, "the bundle has no technical appendix"
    codes = {f.code for f in analysis.findings}
    assert codes
    for code in codes:
        assert code not in body, f"{code} in the body of the bundle"
        assert code in appendix
    assert squash("见附录 appendix T") in body  # each finding points to its technical details
    # a photo index in the details is the photo's number and name, as in the files table (never the 0-based index)
    assert squash("reference_image #2 listing.png") in appendix


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def test_nothing_runs_off_the_page_even_with_long_unbroken_text(analysis: Analysis, decided: CaseFacts,
                                                                tmp_path: Path) -> None:
    """Every word lies inside the page's margins (pdftotext -bbox), however long the statement, the reason and
    the ids are: a table that grew past the page would print words beyond the right margin."""
    long_token = "https://evidence.example.com/" + "x" * 260
    case = CaseFacts(**{**decided.__dict__, "merchant_statement": STATEMENT * 6 + long_token,
                        "decision_reason": "理由" * 120 + long_token, "buyer_id": "buyer-" + "9" * 120,
                        "order_id": "ORDER-" + "7" * 150})
    path = tmp_path / "b.pdf"
    path.write_bytes(bundle_from_analysis(analysis, case))
    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))  # type: ignore[union-attr]
    margin = 14 / 25.4 * 72  # the @page's side margins, 14 mm, in points
    words = _WORD.findall(out)
    assert len(words) > 200
    outside = [(w, float(x1)) for x0, x1, w in words if float(x0) < margin - 2 or float(x1) > width - margin + 2]
    assert outside == [], outside[:10]
    flat = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                                             capture_output=True, text=True, timeout=60).stdout)
    assert "x" * 200 in flat.replace("\n", "")  # the long token is all there, wrapped, not cut


def test_timeline_actors_in_words_with_their_key() -> None:
    from refundguard.messages import Context
    from refundguard.messages.compose import actor_words

    zh, en = Context("zh"), Context("en")
    assert actor_words("reviewer:ab3ac75239b614a1", zh) == "审核员（密钥 ab3ac75239b614a1）"
    assert actor_words("merchant:88a6085dcd5480e4:m-cup", en) == "merchant m-cup (key 88a6085dcd5480e4)"
    assert actor_words("system:ledger", zh) == "RefundGuard 账本"
    assert actor_words("cli:root", zh) == "cli:root"  # an operator's name stays as it is


def test_a_server_says_at_its_start_when_no_chinese_font_is_installed(monkeypatch, capsys) -> None:
    from refundguard.cli.app import warn_without_cjk_font

    warn_without_cjk_font()
    assert "fonts-wqy-microhei" not in capsys.readouterr().err  # installed here: nothing to say
    monkeypatch.setattr(bundle, "_cjk_families", lambda: ())
    warn_without_cjk_font()
    said = " ".join(capsys.readouterr().err.split())
    assert "warning:" in said and "evidence bundles (PDF) will be refused" in said and "未安装中文字体" in said
