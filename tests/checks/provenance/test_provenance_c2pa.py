"""C2PA: images signed here with the c2pa-python test chain, then tampered, stripped and re-encoded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from refundguard.checks.provenance import analyse_image
from refundguard.checks.provenance.c2pa_manifest import source_type
from refundguard.media import load_image
from tests.conftest import corpus_path
from tests.helpers_provenance import (
    c2pa_manifest,
    c2pa_sign,
    jpeg_bytes,
    jpeg_scan_offset,
    jpeg_with_xmp,
    label_fields,
    png_bytes,
    tc260_xmp,
    xmp_packet,
)


@pytest.fixture(scope="module")
def certs() -> Path:
    return corpus_path("provenance", "c2pa", "certs")


@pytest.fixture(scope="module")
def ai_jpeg(certs: Path) -> bytes:
    return c2pa_sign(jpeg_bytes(), "image/jpeg", c2pa_manifest(source_type="trainedAlgorithmicMedia"), certs)


@pytest.fixture(scope="module")
def capture_jpeg(certs: Path) -> bytes:
    manifest = c2pa_manifest(source_type="digitalCapture", agent="Camera App 2.0")
    return c2pa_sign(jpeg_bytes(), "image/jpeg", manifest, certs)


def codes(data: bytes, **kwargs: object) -> dict[str, object]:
    return {s.code: s for s in analyse_image(load_image(data), **kwargs)}


@pytest.mark.parametrize("value,term", [
    ("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", "trainedAlgorithmicMedia"),
    (" https://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture ", "digitalCapture"),
    ("http://c2pa.org/digitalsourcetype/trainedAlgorithmicData", "trainedAlgorithmicData"),
    ("http://example.org/trainedAlgorithmicMedia", None), ("trainedAlgorithmicMedia", None), (None, None)])
def test_source_type_terms(value: str | None, term: str | None) -> None:
    assert source_type(value) == term


def test_signed_ai_image(ai_jpeg: bytes) -> None:
    found = codes(ai_jpeg)
    assert set(found) == {"provenance.c2pa.ai_source"}
    sig = found["provenance.c2pa.ai_source"]
    assert "trainedAlgorithmicMedia" in sig.en and "FakeGen 1.0" in sig.en and "C2PA Test Signing Cert" in sig.en
    assert "AI 生成" in sig.zh
    assert sig.details["trust"]["trusted"] is False
    assert sig.details["ai_actions"][0]["issuer"] == "C2PA Test Signing Cert"


@pytest.mark.parametrize("kind", ["compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"])
def test_other_ai_source_types(certs: Path, kind: str) -> None:
    signed = c2pa_sign(jpeg_bytes(), "image/jpeg", c2pa_manifest(source_type=kind), certs)
    assert set(codes(signed)) == {"provenance.c2pa.ai_source"}


def test_signed_png(certs: Path) -> None:
    signed = c2pa_sign(png_bytes(), "image/png", c2pa_manifest(source_type="trainedAlgorithmicMedia"), certs)
    assert set(codes(signed)) == {"provenance.c2pa.ai_source"}


def test_capture_manifest_lowers_risk(capture_jpeg: bytes) -> None:
    found = codes(capture_jpeg)
    assert set(found) == {"provenance.c2pa.valid_capture"}
    sig = found["provenance.c2pa.valid_capture"]
    assert sig.score == 1.0 and "digitalCapture" in sig.en and "Camera App 2.0" in sig.en


def test_trust_anchor_setting_makes_it_trusted(capture_jpeg: bytes, certs: Path, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.pem"
    pem = (certs / "es256_certs.pem").read_text()
    anchors.write_text(pem[pem.rindex("-----BEGIN CERTIFICATE-----"):])  # the test root CA
    sig = codes(capture_jpeg, trust_anchors=anchors)["provenance.c2pa.valid_capture"]
    assert sig.details["trust"]["state"] == "Trusted"
    assert codes(capture_jpeg)["provenance.c2pa.valid_capture"].details["trust"]["state"] == "Valid"


def test_flipped_pixel_byte_is_tampering(ai_jpeg: bytes, capture_jpeg: bytes) -> None:
    for signed in (ai_jpeg, capture_jpeg):
        data = bytearray(signed)
        pos = jpeg_scan_offset(signed) + 200
        data[pos] ^= 0x01 if data[pos] not in (0xFE, 0xFF) else 0x02
        found = codes(bytes(data))
        assert "provenance.c2pa.tampered" in found
        assert "provenance.c2pa.valid_capture" not in found
        sig = found["provenance.c2pa.tampered"]
        assert sig.score == 1.0 and "assertion.dataHash.mismatch" in sig.en
    tampered_ai = bytearray(ai_jpeg)
    pos = jpeg_scan_offset(ai_jpeg) + 200
    tampered_ai[pos] ^= 0x01 if tampered_ai[pos] not in (0xFE, 0xFF) else 0x02
    assert {"provenance.c2pa.tampered", "provenance.c2pa.ai_source"} <= set(codes(bytes(tampered_ai)))


def test_reencode_strips_manifest(ai_jpeg: bytes) -> None:
    buf = io.BytesIO()
    Image.open(io.BytesIO(ai_jpeg)).save(buf, format="JPEG", quality=92)
    img = load_image(buf.getvalue())
    assert img.metadata.c2pa_container is None
    assert analyse_image(img) == []


def test_dcterms_pointer_without_jumbf_is_remnant() -> None:
    xmp = xmp_packet('dcterms:provenance="self#jumbf=/c2pa/urn:uuid:0000/c2pa.claim"', "",
                     'xmlns:dcterms="http://purl.org/dc/terms/"')
    found = codes(jpeg_with_xmp(xmp))
    assert set(found) == {"provenance.remnant"}
    assert "self#jumbf" in found["provenance.remnant"].en


def test_remote_pointer_is_not_fetched() -> None:
    url = "http://127.0.0.1:9/manifests/never-fetched"
    xmp = xmp_packet(f'dcterms:provenance="{url}"', "", 'xmlns:dcterms="http://purl.org/dc/terms/"')
    found = codes(jpeg_with_xmp(xmp))
    sig = found["provenance.c2pa.unverified"]
    assert sig.details["fetched"] is False and "not checked" in sig.en and "未校验" in sig.zh


def test_capture_manifest_beside_aigc_label_is_conflict(certs: Path) -> None:
    labelled = jpeg_with_xmp(tc260_xmp(label_fields()))
    signed = c2pa_sign(labelled, "image/jpeg", c2pa_manifest(source_type="digitalCapture"), certs)
    found = codes(signed)
    assert {"provenance.aigc_label", "provenance.conflict"} <= set(found)
    assert "provenance.c2pa.valid_capture" not in found
    assert found["provenance.conflict"].score == 1.0
