"""Real files: every corpus provenance sample yields what corpus/SOURCES.md says; genuine photos stay clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from refundguard.checks.provenance import analyse_image
from refundguard.engine import analyze
from refundguard.media import load_image
from tests.conftest import corpus_path

C2PA_AI = ["chatgpt-1.png", "chatgpt-2.png", "firefly-1.png", "flux-1.png", "flux-1.jpg", "gemini_black_2048.png",
           "samsung_black_1.png", "ChatGPT_Image.png", "Firefly_tabby_cat.jpg"]
AI_EXPECTED = {**{name: "provenance.c2pa.ai_source" for name in C2PA_AI},
               "mj-1.png": "provenance.iptc.ai_source", "grok-1.jpg": "provenance.generator_metadata",
               "doubao_black_1x1_1.png": "provenance.aigc_label", "doubao_gray_1x1_1.png": "provenance.aigc_label",
               "jimeng_cap_A.png": "provenance.aigc_label", "jimeng_cap_C.png": "provenance.aigc_label"}
C2PA_EXPECTED: dict[str, set[str]] = {
    "A.jpg": set(), "no_manifest.jpg": {"provenance.remnant"}, "sample1.png": set(), "sample1.webp": set(),
    "sample1.heic": set(), "crater-lake.jpeg": set(),
    "C.jpg": {"provenance.c2pa.valid_capture"}, "C_with_CAWG_data.jpg": {"provenance.c2pa.valid_capture"},
    "CA.jpg": set(), "CACA.jpg": set(), "verify.jpeg": set(), "car-es-Ps-Cr.jpg": set(),
    "cloudscape-ACA-Cr.jpeg": set(),  # expired certificate: not tampering
    "XCA.jpg": {"provenance.c2pa.tampered"}, "E-sig-CA.jpg": {"provenance.c2pa.tampered"},
    "CIE-sig-CA.jpg": {"provenance.c2pa.tampered"}, "adobe-20220124-E-clm-CAICAI.jpg": {"provenance.c2pa.tampered"},
    "ocsp.jpg": {"provenance.c2pa.ai_source"},
    "cloud.jpg": {"provenance.c2pa.unverified"}, "crater-lake-cr.jpg": {"provenance.c2pa.unverified"},
    "no_alg.jpg": {"provenance.c2pa.unverified"},
}
TAMPER_CODES = {"XCA.jpg": "assertion.dataHash.mismatch", "E-sig-CA.jpg": "claimSignature.mismatch",
                "CIE-sig-CA.jpg": "claimSignature.mismatch",
                "adobe-20220124-E-clm-CAICAI.jpg": "assertion.hashedURI.mismatch"}


def codes_of(path: Path) -> dict[str, object]:
    return {s.code: s for s in analyse_image(load_image(path))}


@pytest.mark.parametrize("name,code", sorted(AI_EXPECTED.items()))
def test_ai_corpus_is_recognised(name: str, code: str) -> None:
    found = codes_of(corpus_path("provenance", "ai", name))
    assert code in found
    assert "provenance.c2pa.tampered" not in found  # expired/untrusted signers are not tampering


def test_ai_corpus_details() -> None:
    chatgpt = codes_of(corpus_path("provenance", "ai", "chatgpt-1.png"))["provenance.c2pa.ai_source"]
    assert chatgpt.details["ai_actions"][0]["active"] is False  # the AI action sits in the parent manifest
    assert chatgpt.details["ai_actions"][0]["issuer"] == "OpenAI"
    samsung = codes_of(corpus_path("provenance", "ai", "samsung_black_1.png"))["provenance.c2pa.ai_source"]
    assert "compositeWithTrainedAlgorithmicMedia" in samsung.en
    jimeng = codes_of(corpus_path("provenance", "ai", "jimeng_cap_A.png"))["provenance.aigc_label"]
    assert "propagation service" in jimeng.en and "即梦" in jimeng.zh
    mj = codes_of(corpus_path("provenance", "ai", "mj-1.png"))
    assert mj["provenance.generator_metadata"].details["generators"] == ["Midjourney"]
    grok = codes_of(corpus_path("provenance", "ai", "grok-1.jpg"))["provenance.generator_metadata"]
    assert grok.details["generators"] == ["xAI Grok"]


def test_trustmark_sample_has_no_metadata_finding() -> None:
    assert codes_of(corpus_path("provenance", "ai", "adobe-trustmark-p.png")) == {}


@pytest.mark.parametrize("name,expected", sorted(C2PA_EXPECTED.items()))
def test_c2pa_fixtures(name: str, expected: set[str]) -> None:
    found = codes_of(corpus_path("provenance", "c2pa", name))
    assert set(found) == expected
    if name in TAMPER_CODES:
        assert TAMPER_CODES[name] in found["provenance.c2pa.tampered"].en
    if name in ("cloud.jpg", "crater-lake-cr.jpg"):
        sig = found["provenance.c2pa.unverified"]
        assert "remote manifest, not checked" in sig.en and sig.details["fetched"] is False
        assert sig.details["remote_url"].startswith("https://cai-manifests.adobe.com/")


def _genuine() -> list[Path]:
    natural = sorted(corpus_path("natural").glob("*.jpg"))
    tiles = sorted(corpus_path("damage", "magnetic_tile").glob("*/Imgs/*.jpg"))
    sagi = [p for p in sorted(corpus_path("inpainting", "sagi").glob("*.jpg")) if "_None" not in p.stem
            and "_Upscaled" not in p.stem]
    return natural + tiles[:: max(1, len(tiles) // 20)][:20] + sagi


def test_genuine_photos_have_no_provenance_finding_and_low_level() -> None:
    paths = _genuine()
    assert len(paths) >= 35
    result = analyze(paths, only=["provenance"])
    assert result.checks["provenance"].status == "ran"
    assert [(f.code, paths[f.image].name) for f in result.findings] == []
    assert set(result.assessment.image_levels) == {"low"} and result.assessment.level == "low"


def test_ai_claim_is_high_and_reference_findings_do_not_count() -> None:
    ai = corpus_path("provenance", "ai", "doubao_black_1x1_1.png")
    natural = corpus_path("natural", "IMG_0003.jpg")
    result = analyze([natural], [ai], only=["provenance"])
    assert [f.image for f in result.findings] == [1]
    assert result.findings[0].message.en.startswith("Reference photo:")
    assert result.assessment.level == "low"
    assert analyze([ai], only=["provenance"]).assessment.level == "high"


def test_cli_json_end_to_end() -> None:
    exe = Path(sys.executable).with_name("refundguard")
    path = corpus_path("provenance", "ai", "jimeng_cap_A.png")
    proc = subprocess.run([str(exe), "analyze", str(path), "--json", "--check", "provenance"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["checks"]["provenance"]["status"] == "ran"
    assert report["level"] == "high"
    (finding,) = [f for f in report["findings"] if f["check"] == "provenance"]
    assert finding["code"] == "provenance.aigc_label" and finding["image"] == 0
    assert "9144030008867405X2" in finding["message"]["en"] and "属于生成合成内容" in finding["message"]["zh"]
    assert finding["details"]["fields"]["Label"] == "1"
