"""Never approve what was not examined (#13.1): coverage, incomplete analyses, unverified lows, deep metadata."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from skimage import data
from typer.testing import CliRunner

from refundguard.checks import registry
from refundguard.cli import app
from refundguard.config import load_settings
from refundguard.engine import analyze
from refundguard.report import json as json_report
from refundguard.service.app import create_app
from refundguard.service.config import ServiceConfig
from tests.helpers_provenance import label_fields, png_bytes, tc260_xmp
from tests.service.svc_helpers import make_keys, wait_state

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def deep_xmp_labelled_png(levels: int = 1100) -> bytes:
    """A GB 45438-labelled AI photo whose XMP also holds ~``levels`` nested elements (built to crash parsers)."""
    deep = "<a:x xmlns:a='urn:a'>" * levels + "v" + "</a:x>" * levels
    xmp = tc260_xmp(label_fields()).replace("</rdf:Description>", deep + "</rdf:Description>")
    return png_bytes(xmp=xmp)


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


@pytest.fixture
def failing_checks(monkeypatch: pytest.MonkeyPatch):
    """Make the named checks crash, as a parser bug or hostile input would."""

    def make(*names: str) -> None:
        registry.registered()
        for name in names:
            original = registry._REGISTRY[name]

            def boom(ctx, _name=name):
                raise RecursionError(f"{_name}: maximum recursion depth exceeded")

            monkeypatch.setitem(registry._REGISTRY, name, dataclasses.replace(original, run=boom))

    return make


def test_deeply_nested_xmp_is_a_finding_and_the_label_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    path.write_bytes(deep_xmp_labelled_png())
    result = analyze([str(path)])
    codes = {f.code for f in result.findings}
    assert {"provenance.aigc_label", "provenance.hostile_metadata"} <= codes
    assert result.checks["provenance"].status == "ran" and result.checks["capture"].status == "ran"
    assert result.assessment.level == "high"
    # the photo's metadata was not read completely: provenance says so for that photo
    assert result.checks["provenance"].photos == [
        {"image": 0, "status": "skipped", "why": result.skips[0].en, "why_zh": result.skips[0].zh,
         "key": "provenance.skip.unreadable", "params": {"sources": ["png:iTXt"]}}]


def test_deep_xmp_without_a_label_still_reaches_review(tmp_path: Path) -> None:
    deep = "<a:x xmlns:a='urn:a'>" * 900 + "v" + "</a:x>" * 900
    xmp = tc260_xmp(label_fields()).replace('<TC260:AIGC>', '<a:y xmlns:a="urn:a">').replace(
        '</TC260:AIGC>', '</a:y>').replace("</rdf:Description>", deep + "</rdf:Description>")
    path = tmp_path / "deep.png"
    path.write_bytes(png_bytes(xmp=xmp))
    result = analyze([str(path)])
    assert "provenance.hostile_metadata" in {f.code for f in result.findings}
    assert result.assessment.level in ("review", "high")


def test_every_check_failing_is_never_low(failing_checks) -> None:
    failing_checks(*[c.name for c in registry.registered()])
    result = analyze([str(SAMPLES / "claim.jpg")])
    a = result.assessment
    assert a.level == "review" and a.incomplete and a.basis == "incomplete"
    report = json_report.to_dict(result, heatmaps=False)
    assert report["coverage"]["incomplete"] is True and len(report["coverage"]["failed"]) == len(result.checks)
    assert report["reasons"][0].startswith("The capture check failed (RecursionError")
    assert "Incomplete analysis" in report["coverage"]["summary"]["en"]
    assert "分析不完整" in report["coverage"]["summary"]["zh"]


def test_one_failed_check_floors_the_level_and_names_itself(failing_checks) -> None:
    failing_checks("provenance")
    result = analyze([str(SAMPLES / "claim.jpg")])
    assert result.assessment.level == "review" and result.assessment.image_levels[0] == "review"
    assert [n for n, _ in result.coverage.failed] == ["provenance"]


def test_dependent_checks_see_their_upstream_status(failing_checks, monkeypatch: pytest.MonkeyPatch) -> None:
    failing_checks("reference")
    seen: dict[str, str] = {}
    original = registry._REGISTRY["multiview"]

    def spy(ctx):
        seen.update(ctx.upstream)
        return original.run(ctx)

    monkeypatch.setitem(registry._REGISTRY, "multiview", dataclasses.replace(original, run=spy))
    analyze([str(SAMPLES / "claim.jpg"), str(SAMPLES / "claim_ai.png")], [str(SAMPLES / "listing.jpg")])
    assert seen == {"reference": "failed", "tamper": "ran"}


def test_requested_subset_is_incomplete_not_not_applicable() -> None:
    result = analyze([str(SAMPLES / "claim.jpg")], only=["tamper"])
    assert result.checks["provenance"].status == "not_requested"
    assert result.assessment.basis == "incomplete" and result.assessment.level == "low"


def test_single_photo_low_is_unverified_and_says_so() -> None:
    result = analyze([str(SAMPLES / "claim.jpg")])
    a = result.assessment
    assert a.level == "low" and a.basis == "unverified" and not a.incomplete
    assert a.basis_text is not None and "Unverified, not genuine" in a.basis_text.en and "未经核实" in a.basis_text.zh


def test_a_different_capture_of_the_listed_product_verifies_the_photo(tmp_path: Path) -> None:
    buyer_photo, listing, _ = data.stereo_motorcycle()
    (tmp_path / "received.jpg").write_bytes(_jpeg(buyer_photo))
    (tmp_path / "listing.jpg").write_bytes(_jpeg(listing))
    result = analyze([str(tmp_path / "received.jpg")], [str(tmp_path / "listing.jpg")])
    assert result.assessment.level == "low" and result.assessment.basis == "verified"
    assert result.coverage.verified_by(0) == ("reference",)
    assert "same product, photographed separately" in result.coverage.verifications[-1].en


def test_cli_prints_the_basis_and_failures(failing_checks) -> None:
    failing_checks("tamper")
    out = CliRunner().invoke(app, ["analyze", str(SAMPLES / "claim.jpg"), "--lang", "en"])
    assert out.exit_code == 0
    assert "review · incomplete analysis" in out.stdout and "The tamper check failed" in out.stdout


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, object]]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    app_ = create_app(settings, ServiceConfig(background=False, local_workers=1), include_web=False)
    with TestClient(app_) as client:
        yield client, make_keys(app_.state.db.session)


def _claim(client: TestClient, keys, files) -> dict:
    resp = client.post("/v1/claims", headers=keys.h("platform"), files=files,
                       data={"merchant_id": "m1", "amount": "50", "buyer_id": "buyer-1"})
    assert resp.status_code == 201, resp.text
    return wait_state(client.get, resp.json()["claim"]["id"], keys.h("platform"))


def test_service_never_auto_approves_the_deep_xmp_photo(service) -> None:
    client, keys = service
    claim = _claim(client, keys, [("photos", ("label.png", deep_xmp_labelled_png(), "image/png"))])
    assert claim["state"] != "auto_approved" and claim["level"] == "high"


def test_service_never_auto_approves_when_checks_fail_even_with_a_verifying_reference(service, failing_checks
                                                                                       ) -> None:
    client, keys = service
    failing_checks("tamper", "provenance")
    buyer_photo, listing, _ = data.stereo_motorcycle()
    claim = _claim(client, keys, [("photos", ("received.jpg", _jpeg(buyer_photo), "image/jpeg")),
                                  ("references", ("listing.jpg", _jpeg(listing), "image/jpeg"))])
    assert claim["state"] == "awaiting_merchant" and claim["level"] == "review"
    report = client.get(f"/v1/claims/{claim['id']}/report", headers=keys.h("platform")).json()
    assert report["coverage"]["basis"] == "incomplete"
    assert {f["check"] for f in report["coverage"]["failed"]} == {"tamper", "provenance"}
    states = [e for e in client.get(f"/v1/claims/{claim['id']}/audit", headers=keys.h("reviewer")).json()["items"]
              if e["action"] == "claim.state_changed" and e["details"].get("to") == "awaiting_merchant"]
    assert "incomplete analysis" in states[-1]["details"]["why"]
    assert json.dumps(report)  # the report with failures is still a valid stored document
