"""verdict.assess, the JSON contract and the HTML report, on hand-made findings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from skimage import data

from refundguard.config import load_settings
from refundguard.engine import Analysis, CheckStatus
from refundguard.errors import ConfigError
from refundguard.findings import CODES, Finding, Heatmap, Message, Region
from refundguard.media import load_image
from refundguard.report import html as html_report
from refundguard.report import json as json_report
from refundguard.report.schema import ReportModel
from refundguard.verdict import assess

SETTINGS = load_settings()


def finding(code: str, image: int | None, score: float = 1.0, **kw) -> Finding:
    return Finding(code=code, check=code.split(".")[0], image=image, score=score,
                   message=Message(en=f"en {code}", zh=f"中文 {code}"), weight=SETTINGS.weight(code), **kw)


def test_every_code_has_a_weight_and_bilingual_title():
    for code, (en, zh) in CODES.items():
        assert isinstance(SETTINGS.weight(code), float)
        assert en and zh and en != zh


def test_unknown_code_is_rejected():
    with pytest.raises(ValueError):
        Finding(code="made.up", check="x", image=0, score=1.0, message=Message(en="e", zh="z"))
    with pytest.raises(ConfigError):
        SETTINGS.weight("made.up")


def test_no_findings_is_low_and_one_weak_signal_never_accuses():
    assert assess([], ["claim"], SETTINGS).level == "low"
    for weak in ("capture.no_camera_data", "capture.screenshot", "reference.different_product",
                 "capture.editing_software", "provenance.conflict"):
        assert assess([finding(weak, 0)], ["claim"], SETTINGS).level == "low", weak


def test_strong_verified_signals_are_high():
    for strong in ("provenance.c2pa.ai_source", "provenance.aigc_label", "reference.derived_edit",
                   "watermark.invisible", "label.visible_ai_text"):
        assert assess([finding(strong, 0)], ["claim"], SETTINGS).level == "high", strong


def test_derived_copy_is_review_by_its_policy_floor_whatever_its_weight():
    for weight in (0.0, SETTINGS.weight("reference.derived_copy")):
        copy = Finding(code="reference.derived_copy", check="reference", image=0, score=1.0,
                       message=Message(en="copy", zh="副本"), weight=weight)
        a = assess([copy], ["claim"], SETTINGS)
        assert a.level == "review" and a.image_levels == ("review",) and a.reasons == (copy,)
    assert assess([finding("reference.derived_copy", 1)], ["claim", "reference"], SETTINGS).level == "low"


def test_valid_capture_lowers_risk():
    base = assess([finding("tamper.local", 0)], ["claim"], SETTINGS).risk
    lowered = assess([finding("tamper.local", 0), finding("provenance.c2pa.valid_capture", 0)], ["claim"], SETTINGS)
    assert lowered.risk < base


def test_reference_findings_do_not_count_toward_the_claim():
    a = assess([finding("provenance.aigc_label", 1)], ["claim", "reference"], SETTINGS)
    assert a.level == "low" and a.image_levels == ("low", "high") and a.reasons == ()


def test_claim_level_findings_add_to_the_riskiest_photo():
    a = assess([finding("tamper.local", 0, 0.5), finding("multiview.inconsistent_damage", None)],
               ["claim", "claim"], SETTINGS)
    b = assess([finding("tamper.local", 0, 0.5)], ["claim", "claim"], SETTINGS)
    assert a.risk > b.risk
    assert [f.code for f in a.reasons] == ["multiview.inconsistent_damage", "tamper.local"]


def test_settings_file_overrides_thresholds_and_weights(tmp_path):
    cfg = tmp_path / "rg.toml"
    cfg.write_text('[levels]\nhigh = 0.99\n[weights]\n"tamper.local" = 1.0\n')
    s = load_settings(cfg)
    assert s.levels.high == 0.99 and s.levels.review == 0.5
    assert s.weight("tamper.local") == 1.0
    assert s.weight("reference.derived_edit") == SETTINGS.weight("reference.derived_edit")


def test_environment_overrides_settings(monkeypatch):
    monkeypatch.setenv("REFUNDGUARD_BASE_RATE", "0.01")
    assert load_settings().base_rate == 0.01


@pytest.fixture
def analysis(tmp_path) -> Analysis:
    claim_path, ref_path = tmp_path / "claim.jpg", tmp_path / "listing.png"
    Image.fromarray(data.coffee()).save(claim_path, quality=90)
    Image.fromarray(data.coffee()).save(ref_path)
    images = [load_image(claim_path), load_image(ref_path)]
    roles = ["claim", "reference"]
    heat = np.zeros((40, 60), np.float32)
    heat[10:20, 20:30] = 1.0
    findings = [
        finding("reference.derived_edit", 0, 0.97, regions=(Region(100, 80, 120, 60),), heatmap=Heatmap(heat),
                details={"reference_image": 1, "transform": np.eye(3), "changed_share": np.float32(0.12)}),
        finding("capture.no_camera_data", 0, 1.0),
    ]
    checks = {"reference": CheckStatus("ran", ms=12.5), "tamper": CheckStatus("failed", ms=1.0, error="Boom: x"),
              "reuse": CheckStatus("not_applicable", why="no reuse index configured")}
    return Analysis(images=images, roles=roles, findings=findings, checks=checks,
                    assessment=assess(findings, roles, SETTINGS), claim=__import__("refundguard").ClaimInfo())


def test_json_report_follows_the_contract(analysis):
    report = json.loads(json_report.dumps(analysis))
    ReportModel.model_validate(report)
    assert report["schema"] == "refundguard.report/1" and report["level"] == "high"
    assert [im["role"] for im in report["images"]] == ["claim", "reference"]
    f = report["findings"][0]
    assert f["code"] == "reference.derived_edit" and f["regions"] == [{"x": 100, "y": 80, "w": 120, "h": 60}]
    assert f["heatmap"].startswith("data:image/png;base64,")
    assert f["details"]["transform"] == np.eye(3).tolist()
    assert report["checks"]["tamper"] == {"status": "failed", "ms": 1.0, "error": "Boom: x"}
    assert report["checks"]["reuse"]["why"] == "no reuse index configured"
    assert report["reasons"][0] == "en reference.derived_edit" and report["reasons_zh"][0].startswith("中文")


def test_html_report_is_self_contained_and_bilingual(analysis):
    page = html_report.render(analysis, lang="zh")
    verdict = page.split('id="verdict"')[1].split("</section>")[0]
    assert "高风险：疑似伪造" in verdict and "High risk: likely forged" not in verdict
    assert 'src="http' not in page and "data:image/jpeg;base64," in page
    assert '<rect class="proven" x="100" y="80" width="120" height="60">' in page
    assert "en reference.derived_edit" in page and "中文 reference.derived_edit" in page
    assert "Matched merchant photo" in html_report.render(analysis, lang="en")


def test_html_shows_the_error_level_picture_of_claim_photos_only_and_never_as_evidence(analysis):
    import base64
    import io

    page = html_report.render(analysis, lang="en")
    assert page.count('alt="error level picture"') == 1  # the claim photo; the reference gets none
    assert "never evidence" in page and "never uses this picture as evidence" in page
    assert "不作为证据" in html_report.render(analysis, lang="zh")
    url = page.split('alt="error level picture"')[0].rsplit('src="', 1)[1].split('"')[0]
    picture = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert picture.format == "PNG" and max(picture.size) <= 900
    report = json.loads(json_report.dumps(analysis))
    assert "error level" not in json.dumps(report).lower()


def test_published_json_schema_matches_the_models():
    from pathlib import Path

    published = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text())
    assert published == ReportModel.model_json_schema(by_alias=True), "run: python scripts/report_schema.py"


def test_html_draws_claim_level_regions_on_each_photo(analysis):
    views = {"0": [{"x": 5, "y": 6, "w": 7, "h": 8, "role": "damage"}],
             "1": [{"x": 1, "y": 2, "w": 3, "h": 4, "role": "expected_damage_missing"}]}
    analysis.findings.append(finding("multiview.inconsistent_damage", None, 0.9, details={"regions_by_image": views}))
    page = html_report.render(analysis, lang="en")
    assert '<rect class="proven view damage" x="5" y="6" width="7" height="8">' in page


def test_explained_findings_are_reported_but_not_counted():
    copy = finding("reference.derived_copy", 0)
    tamper = finding("tamper.local", 0, 0.6)
    screenshot = finding("capture.screenshot", 0, 0.95)
    a = assess([copy, tamper, screenshot], ["claim"], SETTINGS)
    assert a.uncounted == frozenset({1, 2})
    assert a.level == assess([copy], ["claim"], SETTINGS).level == "review"
    honest_screenshot = assess([screenshot, tamper], ["claim"], SETTINGS)
    assert honest_screenshot.uncounted == frozenset({1}) and honest_screenshot.level == "low"
    # a finding on another photo explains nothing here
    other = assess([finding("capture.screenshot", 1, 0.95), finding("tamper.local", 0, 1.0)], ["claim", "claim"],
                   SETTINGS)
    assert other.uncounted == frozenset()


def test_uncounted_findings_are_marked_in_json_and_html(analysis):
    analysis.findings.append(finding("tamper.local", 0, 0.5))
    analysis.assessment = assess(analysis.findings, analysis.roles, SETTINGS)
    report = json_report.to_dict(analysis)
    assert [f["counted"] for f in report["findings"]] == [True, True, False]
    assert "explained by another finding, not counted" in html_report.render(analysis, lang="en")


def test_heatmap_survives_the_json_round_trip():
    values = np.zeros((20, 30), np.float32)
    values[5:10, 10:20] = 1.0
    back = Heatmap.from_data_url(Heatmap(values).to_data_url())
    assert back.values.shape == (20, 30) and np.allclose(back.values, values, atol=1 / 255)
    with pytest.raises(ValueError):
        Heatmap.from_data_url("data:text/plain;base64,aGk=")
