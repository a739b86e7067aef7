"""The local resampling cue on real photos: scaled and rotated pastes light up, honest and resized photos do not."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench.tamper import paste_transformed
from refundguard.checks._forensics.fuse import combine
from refundguard.checks._forensics.resample import (
    ResampleResult,
    p_map,
    predictor_residual,
    resample_analysis,
    resample_cells,
)
from refundguard.checks.tamper import REPORT_MIN
from tests.conftest import corpus_path

BLOCK = 32  # the block the pipeline uses for a 1024-pixel picture (8-pixel cells)
Y0, X0, PH, PW = 256, 352, 256, 320  # the pasted patch, block-aligned


@pytest.fixture(scope="module")
def photos() -> tuple[np.ndarray, np.ndarray]:
    """Two real camera photos: the one edited and the donor of the pasted patch."""
    base = np.asarray(Image.open(corpus_path("natural", "P1000827.jpg")).convert("RGB"))
    donor = np.asarray(Image.open(corpus_path("natural", "IMG_0003.jpg")).convert("RGB"))
    return base, donor


def _splice(base: np.ndarray, donor: np.ndarray, scale: float, angle: float) -> np.ndarray:
    return paste_transformed(base, donor, scale, angle, (X0, Y0, PW, PH))


def _luma(pixels: np.ndarray, quality: int | None = None) -> np.ndarray:
    im = Image.fromarray(pixels)
    if quality is not None:
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=quality)
        im = Image.open(io.BytesIO(buf.getvalue()))
    return np.asarray(im.convert("L"), np.float32)


def _inside_outside(r: ResampleResult) -> tuple[np.ndarray, np.ndarray]:
    inside = np.zeros(r.z.shape, bool)
    inside[Y0 // BLOCK:(Y0 + PH) // BLOCK, X0 // BLOCK:(X0 + PW) // BLOCK] = True
    outside = np.ones(r.z.shape, bool)
    outside[Y0 // BLOCK - 1:(Y0 + PH) // BLOCK + 1, X0 // BLOCK - 1:(X0 + PW) // BLOCK + 1] = False
    return inside, outside


def test_predictor_is_exact_on_bilinear_surfaces_and_p_map_is_bounded():
    y, x = np.mgrid[0:40, 0:50].astype(np.float32)
    surface = 3.0 + 0.7 * x - 1.3 * y + 0.05 * x * y
    assert np.abs(predictor_residual(surface)[1:-1, 1:-1]).max() < 1e-3
    noisy = np.random.default_rng(3).normal(128, 20, (40, 50)).astype(np.float32)
    p = p_map(noisy)
    assert p.shape == noisy.shape and p.min() >= 0.0 and p.max() <= 1.0
    assert p_map(surface)[1:-1, 1:-1].min() > 0.999
    assert np.abs(predictor_residual(noisy)).mean() > 5.0


@pytest.mark.parametrize(("scale", "angle"), [(1.2, 0.0), (1.5, 0.0), (0.8, 0.0), (1.0, 5.0), (1.0, 15.0)])
def test_resampled_paste_lights_up_only_inside(photos, scale, angle):
    base, donor = photos
    r = resample_analysis(_luma(_splice(base, donor, scale, angle)), BLOCK)
    inside, outside = _inside_outside(r)
    assert r.z[inside].mean() > np.percentile(r.z[outside], 95)
    assert r.strength[inside].mean() > 10 * r.strength[outside].mean() + 0.03


def test_resampled_paste_survives_jpeg_q90_but_not_q75(photos):
    base, donor = photos
    edited = _splice(base, donor, 1.2, 0.0)
    q90 = resample_analysis(_luma(edited, 90), BLOCK)
    inside, outside = _inside_outside(q90)
    assert q90.strength[inside].mean() > 5 * q90.strength[outside].mean() + 0.03
    q75 = resample_analysis(_luma(edited, 75), BLOCK)  # the documented limit: q75 erases the trace
    inside, outside = _inside_outside(q75)
    assert q75.strength[inside].mean() < 0.05
    assert q75.z[inside].mean() < np.percentile(q75.z[outside], 95)


def test_honest_and_uniformly_resized_photos_stay_quiet(photos):
    base, _ = photos
    for pixels, quality in ((base, None), (base, 90)):
        r = resample_analysis(_luma(pixels, quality), BLOCK)
        assert (r.strength > 0).mean() < 0.05
        assert r.strength.mean() < 0.01
    h, w = base.shape[:2]
    for factor in (1.3, 0.7):
        resized = np.asarray(Image.fromarray(base).resize((round(w * factor), round(h * factor)),
                                                          Image.Resampling.BICUBIC))
        r = resample_analysis(_luma(resized, 85), BLOCK)
        assert (r.strength > 0).mean() < 0.05
        assert r.strength.mean() < 0.01


def test_tiny_or_flat_pictures_give_an_empty_map():
    flat = np.full((100, 120), 90.0, np.float32)
    r = resample_analysis(flat, BLOCK)
    assert r.strength.shape == (3, 3) and not r.strength.any() and not r.valid.any()
    assert resample_analysis(flat[:20, :20], BLOCK).strength.shape == (0, 0)


def test_block_map_is_sampled_onto_the_cue_grid():
    strength = np.array([[0.0, 1.0], [0.5, 0.0]], np.float32)
    r = ResampleResult(z=strength, strength=strength, frequency=np.zeros((2, 2, 2), np.float32),
                       valid=np.ones((2, 2), bool), block=32)
    cells = resample_cells(r, 8, 9, 8)
    assert cells.shape == (9, 8)
    assert cells[0, 4] == 1.0 and cells[4, 0] == 0.5 and cells[0, 0] == 0.0
    assert not cells[8].any()  # beyond the last full block


def test_resampling_alone_is_never_reported_and_never_reaches_review_without_dq():
    quiet = {"dq": 0.0, "grid": 0.0, "noise": 0.0}
    assert combine({**quiet, "resample": 1.0}) < REPORT_MIN
    assert combine({"dq": 0.0, "grid": 1.0, "noise": 1.0, "resample": 1.0}) <= 0.6
    assert combine({"dq": 0.8, "grid": 0.0, "noise": 0.0, "resample": 0.8}) > 0.7
    assert combine({"dq": 1.0, "grid": 1.0, "noise": 1.0, "resample": 1.0}) > 0.999


def test_medians_over_the_picture_taken_a_few_bins_at_a_time_equal_one_median():
    """:func:`relative_to_picture` takes the valid blocks' median bin by bin in chunks: the numbers of one
    median over every bin at once."""
    from refundguard.checks._forensics.resample import _CHUNK_PIXELS, relative_to_picture

    rng = np.random.default_rng(3)
    ratio = rng.gamma(2.0, 1.0, (120, 110, 64)).astype(np.float32)
    valid = rng.random((120, 110)) > 0.1
    assert _CHUNK_PIXELS // int(valid.sum()) < ratio.shape[-1]  # more than one chunk
    expected = ratio / np.maximum(np.median(ratio[valid], axis=0), 1e-6)
    assert np.array_equal(relative_to_picture(ratio.copy(), valid), expected)
