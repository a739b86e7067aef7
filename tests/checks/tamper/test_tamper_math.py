"""Unit tests of the private forensics math: DCT, orientation, double quantisation, grid, noise, ELA."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps
from scipy.fft import dctn
from skimage import data as skdata

from refundguard.checks._forensics.fuse import combine
from refundguard.checks._forensics.jpeg_dct import ZIGZAG, block_dct, dq_analysis
from refundguard.checks._forensics.jpeg_grid import grid_analysis
from refundguard.checks._forensics.noise import noise_zmap
from refundguard.checks._forensics.orient import orient_array, orient_box, unorient_array
from refundguard.report.ela import error_level_image


def _jpeg_luma(pixels: np.ndarray, quality: int) -> tuple[np.ndarray, np.ndarray]:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    im = Image.open(io.BytesIO(buf.getvalue()))
    table = np.array(im.quantization[0]).reshape(8, 8)
    im.draft("L", im.size)
    return np.asarray(im.convert("L"), np.float32), table


def test_block_dct_matches_scipy_orthonormal_dct():
    g = np.random.default_rng(1).uniform(0, 255, (24, 40)).astype(np.float32)
    coef = block_dct(g)
    assert coef.shape == (3, 5, 8, 8)
    np.testing.assert_allclose(coef[2, 3], dctn(g[16:24, 24:32] - 128.0, norm="ortho"), atol=1e-3)
    assert ZIGZAG[:4] == ((0, 0), (0, 1), (1, 0), (2, 0))


def test_orientation_matches_pillow_exif_transpose():
    a = np.arange(6 * 10, dtype=np.uint8).reshape(6, 10)
    for orientation in range(1, 9):
        im = Image.fromarray(a)
        exif = im.getexif()
        exif[0x0112] = orientation
        buf = io.BytesIO()
        im.save(buf, format="PNG", exif=exif)
        expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buf.getvalue()))))
        np.testing.assert_array_equal(orient_array(a, orientation), expected)
        np.testing.assert_array_equal(unorient_array(orient_array(a, orientation), orientation), a)
        # the box of the single pixel holding value 13 (x=3, y=1) lands where that value went
        x, y, w, h = orient_box((3, 1, 1, 1), orientation, 10, 6)
        assert (w, h) == (1, 1) and expected[int(y), int(x)] == 13


def test_double_quantisation_is_seen_only_after_two_saves():
    photo = skdata.astronaut()
    single, table = _jpeg_luma(photo, 90)
    once = dq_analysis(block_dct(single), block_dct(single, (4, 4), step=2), table)
    assert not once.observed
    first = np.asarray(Image.open(io.BytesIO(_encode(photo, 70))).convert("RGB"))
    double, table2 = _jpeg_luma(first, 90)
    twice = dq_analysis(block_dct(double), block_dct(double, (4, 4), step=2), table2)
    assert twice.observed and twice.grid_fit > 0.5
    assert float(np.median(twice.llr)) < 0  # most blocks follow the double-compression law


def _encode(pixels: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def test_grid_phase_follows_a_crop():
    luma, _ = _jpeg_luma(skdata.coffee(), 60)
    assert grid_analysis(luma, 8, 5).phase == (0, 0)
    shifted = grid_analysis(luma[3:, 5:], 8, 5)
    assert shifted.phase == (5, 3)  # (y, x): the grid now starts 8 - 3 and 8 - 5 pixels in


def test_noise_map_flags_a_denoised_patch():
    rng = np.random.default_rng(7)
    base = skdata.camera().astype(np.float32) + rng.normal(0, 4, (512, 512))
    base[128:320, 192:384] = skdata.camera()[128:320, 192:384]  # the clean original: far less noise
    z, valid = noise_zmap(np.clip(base, 0, 255), 8, 5)
    inside = z[16:40, 24:48][valid[16:40, 24:48]]
    assert inside.mean() < -1.5 and abs(float(np.median(z[valid]))) < 0.5


def test_score_needs_more_than_one_weak_cue():
    assert combine({"dq": 0.0, "grid": 0.0, "noise": 1.0}) <= 0.35
    assert combine({"dq": 0.0, "grid": 1.0, "noise": 1.0}) <= 0.6
    assert combine({"dq": 1.0, "grid": 0.0, "noise": 0.0}) == 0.8
    assert combine({"dq": 1.0, "grid": 1.0, "noise": 1.0}) > 0.999


def test_ela_picture_has_the_image_shape():
    ela = error_level_image(skdata.chelsea(), quality=90)
    assert ela.shape == skdata.chelsea().shape and ela.dtype == np.uint8 and ela.max() == 255
