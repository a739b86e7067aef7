"""Invisible-watermark check: decoder math, round trips through PNG/JPEG, and no hits on real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import pywt
from PIL import Image
from skimage import data

from refundguard.checks import _dwt_watermark as wm
from refundguard.checks.watermark import score
from refundguard.engine import analyze
from refundguard.media.load import load_image
from tests.conftest import corpus_path
from tests.helpers_watermark import GENERATOR_STYLE, embed, noise_texture, reencode

PAYLOAD = {p.name: p for p in wm.PAYLOADS}


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())


def best_for(rgb: np.ndarray, payload: str, scheme: str) -> wm.Decode:
    decodes = [d for d in wm.decode_band(rgb) if d.payload == payload and d.scheme == scheme]
    return max(decodes, key=lambda d: d.matched)


def test_payload_bits_match_the_generators() -> None:
    assert PAYLOAD["SD1"].length == 136
    assert bytes(np.packbits(PAYLOAD["SD1"].bits)) == b"StableDiffusionV1"
    assert bytes(np.packbits(PAYLOAD["SD2"].bits)) == b"SDV2"
    assert int("".join(map(str, PAYLOAD["SDXL"].bits)), 2) == 0xB3EC907BB19E
    assert PAYLOAD["SDXL"].length == 48
    assert "".join(map(str, PAYLOAD["FLUX"].bits)) == "1010101111111010000111100111001111010100101110"
    assert [p.threshold for p in wm.PAYLOADS] == [123, 30, 42, 40]


def test_haar_ll_equals_pywavelets(astronaut: np.ndarray) -> None:
    plane = wm.chroma_u(astronaut[:510, :506], "bgr", "float")
    expected = pywt.dwt2(plane[:508, :504].astype(np.float64), "haar")[0]
    assert np.allclose(wm.haar_ll(plane), expected, atol=1e-3)


def test_svd_rule_equals_the_dct_svd_of_the_package() -> None:
    rng = np.random.default_rng(7)
    ll = rng.normal(100, 40, (64, 64)).astype(np.float32)
    blocks = ll.reshape(16, 4, 16, 4).transpose(0, 2, 1, 3).reshape(-1, 4, 4).astype(np.float64)
    reference = [int(np.linalg.svd(cv2.dct(b))[1][0] % 36 > 18) for b in blocks]
    assert wm.block_bits_svd(ll).astype(int).tolist() == reference


def test_chroma_offset_differs_between_uint8_and_float(astronaut: np.ndarray) -> None:
    u8 = wm.chroma_u(astronaut, "bgr", "uint8")
    fl = wm.chroma_u(astronaut, "bgr", "float")
    assert abs(float(np.mean(u8 - fl)) - 127.5) < 1.0


@pytest.mark.parametrize("name", ["SD1", "SD2", "SDXL", "FLUX"])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_dwtdct_round_trip_png_and_jpeg_q95_444(astronaut: np.ndarray, name: str, fmt: str) -> None:
    marked = reencode(embed(astronaut, PAYLOAD[name]), fmt, quality=95, subsampling=0)
    hits = wm.detect(marked)
    assert hits, f"{name} not found after {fmt}"
    top = hits[0]
    assert (top.payload, top.scheme, top.matched) == (name, "dwtDct", PAYLOAD[name].length)
    order, domain = GENERATOR_STYLE[name]
    assert any(h.payload == name and h.order == order and h.domain == domain for h in hits)


def test_dwtdct_does_not_survive_420_subsampling_but_svd_does(astronaut: np.ndarray) -> None:
    plain = reencode(embed(astronaut, PAYLOAD["SD1"]), "JPEG", quality=95, subsampling=2)
    assert best_for(plain, "SD1", "dwtDct").matched < PAYLOAD["SD1"].threshold
    assert not [h for h in wm.detect(plain) if h.payload == "SD1"]
    svd = reencode(embed(astronaut, PAYLOAD["SDXL"], scheme="dwtDctSvd"), "JPEG", quality=95, subsampling=2)
    hits = wm.detect(svd)
    assert hits and (hits[0].payload, hits[0].scheme) == ("SDXL", "dwtDctSvd")


def test_svd_survives_jpeg_q90_on_a_real_photo() -> None:
    photo = load_image(corpus_path("natural", "IMG_0003.jpg")).pixels
    carrier = np.ascontiguousarray(photo[:768, :768])
    marked = reencode(embed(carrier, PAYLOAD["SD2"], scheme="dwtDctSvd"), "JPEG", quality=90, subsampling=2)
    hits = wm.detect(marked)
    assert hits and (hits[0].payload, hits[0].scheme, hits[0].order) == ("SD2", "dwtDctSvd", "bgr")


def test_flux_float_domain_needs_the_float_decoder() -> None:
    photo = load_image(corpus_path("natural", "IMG_0003.jpg")).pixels
    marked = reencode(embed(np.ascontiguousarray(photo[:768, :768]), PAYLOAD["FLUX"]), "JPEG", 95, 0)
    hits = [h for h in wm.detect(marked) if h.payload == "FLUX"]
    assert hits and hits[0].domain == "float" and hits[0].order == "bgr"
    uint8 = max((d for d in wm.decode_band(marked) if d.payload == "FLUX" and d.domain == "uint8"),
                key=lambda d: d.matched)
    assert not uint8.positive


def test_band_keeps_the_bit_alignment_of_a_tall_image() -> None:
    carrier = noise_texture(512, seed=3)
    tall = np.ascontiguousarray(np.concatenate([carrier, carrier[::-1], carrier], axis=0))
    marked = embed(tall, PAYLOAD["SD2"], scheme="dwtDctSvd")
    full = next(d for d in wm.detect(marked) if d.payload == "SD2")
    banded = next(d for d in wm.detect(marked, max_pixels=300_000, svd_max_pixels=300_000) if d.payload == "SD2")
    assert banded.blocks < full.blocks and banded.matched == full.matched == 32


def test_degenerate_decode_never_counts() -> None:
    flat = np.full((512, 512, 3), 200, dtype=np.uint8)
    decodes = wm.decode_band(flat)
    assert decodes and all(d.degenerate and not d.positive for d in decodes)
    ones = wm.Decode("dwtDct", "bgr", "uint8", "X", np.ones(48, np.uint8), 48, 48, 42, 1000)
    assert ones.degenerate and not ones.positive


def test_small_images_are_not_decoded() -> None:
    assert wm.decode_band(np.zeros((200, 300, 3), np.uint8)) == []


def test_score_is_high_and_monotone() -> None:
    sdxl = PAYLOAD["SDXL"]
    at = wm.Decode("dwtDct", "rgb", "float", "SDXL", sdxl.bits, 42, 48, 42, 1000)
    full = wm.Decode("dwtDct", "rgb", "float", "SDXL", sdxl.bits, 48, 48, 42, 1000)
    assert 0.9 == score(at) < score(full) == 1.0


def test_check_reports_the_watermark_end_to_end(tmp_path: Path, astronaut: np.ndarray) -> None:
    marked = tmp_path / "marked.png"
    Image.fromarray(embed(astronaut, PAYLOAD["SDXL"])).save(marked)
    clean = tmp_path / "clean.png"
    Image.fromarray(astronaut).save(clean)
    analysis = analyze([marked, clean], only=["watermark"])
    assert analysis.checks["watermark"].status == "ran"
    found = [f for f in analysis.findings if f.code == "watermark.invisible"]
    assert [f.image for f in found] == [0]
    details = found[0].details
    assert (details["payload"], details["scheme"], details["matched_bits"], details["channel_order"]) == (
        "SDXL", "dwtDct", 48, "RGB")
    assert "SDXL" in found[0].message.en and "水印" in found[0].message.zh


def test_check_is_not_applicable_for_tiny_photos(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(tiny)
    status = analyze([tiny], only=["watermark"]).checks["watermark"]
    assert status.status == "not_applicable" and status.why


def _negatives() -> list[Path]:
    natural = sorted(corpus_path("natural").glob("*.jpg"))
    sagi = [p for p in sorted(corpus_path("inpainting", "sagi").glob("*.jpg")) if "_1_" not in p.name]
    ai = sorted(corpus_path("provenance", "ai").glob("*.*"))
    tiles = sorted(corpus_path("damage", "magnetic_tile").glob("*/Imgs/*.jpg"))[::10]
    return natural + sagi + ai + tiles


def test_no_false_hits_on_the_corpus() -> None:
    files = _negatives()
    assert len(files) >= 45
    decoded = 0
    for path in files:
        pixels = load_image(path).pixels
        decodes = wm.decode_band(pixels)
        decoded += bool(decodes)
        hits = [d for d in decodes if d.positive]
        assert not hits, f"{path.name}: {hits[0].payload} {hits[0].matched}/{hits[0].length}"
        for d in decodes:  # comfortable margin below every threshold
            assert d.matched <= d.threshold - 3, f"{path.name} {d.payload} {d.scheme} {d.matched}"
    assert decoded >= 35


def test_chroma_u_by_rows_equals_one_conversion(astronaut):
    """:func:`chroma_u` converts a few rows at a time: the same U plane as one cvtColor of the whole picture."""
    import cv2

    rgb = np.ascontiguousarray(astronaut[: 3 * wm.CHROMA_ROWS + 7])
    for order, code in (("bgr", cv2.COLOR_RGB2YUV), ("rgb", cv2.COLOR_BGR2YUV)):
        whole_u8 = cv2.cvtColor(rgb, code)[:, :, 1].astype(np.float32)
        whole_f = cv2.cvtColor(rgb.astype(np.float32), code)[:, :, 1]
        assert np.array_equal(wm.chroma_u(rgb, order, "uint8"), whole_u8)
        assert np.array_equal(wm.chroma_u(rgb, order, "float"), whole_f)
