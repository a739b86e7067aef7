"""An earlier JPEG lattice on any grid: non-aligned double quantisation and JPEG history in lossless files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage import data as skdata

from refundguard.checks._forensics.jpeg_lattice import fit_circle, lattice_analysis
from refundguard.checks._forensics.pipeline import clipped_pixels
from refundguard.checks.tamper import analyse_image
from refundguard.media.load import load_image


def _encode(pixels: np.ndarray, fmt: str = "JPEG", quality: int = 90) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    else:
        Image.fromarray(pixels).save(buf, format=fmt)
    return buf.getvalue()


def _rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _luma(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    if im.format == "JPEG":
        im.draft("L", im.size)
        return np.asarray(im.convert("L"), np.float32)
    p = np.asarray(im.convert("RGB"), np.float32)
    return 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]


def _cropped(photo: np.ndarray, first_quality: int, dy: int = 3, dx: int = 5) -> np.ndarray:
    """``photo`` saved as a JPEG, decoded and cropped by (dy, dx): its grid now lies at (8 - dy, 8 - dx)."""
    return np.ascontiguousarray(_rgb(_encode(photo, quality=first_quality))[dy:, dx:])


def _smoothed(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    out = pixels.copy()
    out[y:y + h, x:x + w] = ndimage.gaussian_filter(pixels.astype(np.float32), (1.5, 1.5, 0))[y:y + h, x:x + w]
    return out


def test_fit_circle_recovers_share_and_noise():
    rng = np.random.default_rng(0)
    q = 6.0
    on = rng.normal(0.0, 0.8, 8000)
    off = rng.uniform(-q / 2, q / 2, 2000)
    d = np.concatenate([on, off])
    d = d - q * np.rint(d / q)
    a, s = fit_circle(d, q)
    assert a == pytest.approx(0.8, abs=0.05)
    assert s == pytest.approx(0.8, abs=0.1)


@pytest.mark.parametrize("first_quality, final_quality", [(75, 92), (85, 95)])
def test_cropped_jpeg_saved_again_shows_the_first_grid(first_quality, final_quality):
    for photo in (skdata.coffee(), skdata.astronaut()):
        data = _encode(_cropped(photo, first_quality), quality=final_quality)
        result = lattice_analysis(_luma(data), exclude_final_grid=True)
        assert result.observed
        assert result.shift == (5, 3)
        assert result.score > 10 * result.runner_up


@pytest.mark.parametrize("quality", [60, 75, 85, 95])
def test_single_jpegs_show_no_earlier_lattice(quality):
    for photo in (skdata.coffee(), skdata.astronaut(), skdata.chelsea(), skdata.rocket()):
        result = lattice_analysis(_luma(_encode(photo, quality=quality)), exclude_final_grid=True)
        assert not result.observed


def test_lossless_pictures_never_compressed_show_no_lattice():
    for photo in (skdata.coffee(), skdata.astronaut()):
        assert not lattice_analysis(_luma(_encode(photo, "PNG")), exclude_final_grid=False).observed


def test_png_exported_from_a_jpeg_marks_the_blocks_painted_afterwards():
    photo = _rgb(_encode(skdata.astronaut(), quality=90))
    box = (200, 120, 96, 80)
    data = _encode(_smoothed(photo, box), "PNG")
    result = lattice_analysis(_luma(data), exclude_final_grid=False, clipped=clipped_pixels(_rgb(data)))
    assert result.observed and result.shift == (0, 0)
    x, y, w, h = box
    inside = np.zeros(result.llr.shape, bool)
    inside[(y + 8) // 8:(y + h) // 8 - 1, (x + 8) // 8:(x + w) // 8 - 1] = True
    textured_inside = inside & result.usable
    assert textured_inside.sum() >= 20
    assert np.median(result.llr[textured_inside]) > 3.0
    assert np.median(result.llr[result.usable & ~inside]) < 0.0


def test_tamper_localises_an_edit_of_a_cropped_jpeg_saved_again():
    """A listing-style JPEG (q75) cropped, a region smoothed, saved at q95: the edit is off the first grid."""
    crop = _cropped(skdata.astronaut(), 75)
    box = (260, 150, 120, 100)
    result = analyse_image(load_image(_encode(_smoothed(crop, box), quality=95)))
    assert result.cues["lattice"]["kind"] == "non_aligned"
    assert result.cues["lattice"]["shift"] == [5, 3]
    region = _best_history_region(result)
    assert region["strengths"]["dq"] > 0.5
    assert _centre_inside(region["box"], box)


def _best_history_region(result) -> dict:
    return max(result.regions, key=lambda r: r["strengths"]["dq"])


def _centre_inside(found: tuple[int, int, int, int], truth: tuple[int, int, int, int]) -> bool:
    rx, ry, rw, rh = found
    x, y, w, h = truth
    return x <= rx + rw / 2 <= x + w and y <= ry + rh / 2 <= y + h


def _covered(found: tuple[int, int, int, int], truth: tuple[int, int, int, int]) -> float:
    """Share of ``truth`` (x, y, w, h) inside ``found``."""
    rx, ry, rw, rh = found
    x, y, w, h = truth
    return max(0, min(rx + rw, x + w) - max(rx, x)) * max(0, min(ry + rh, y + h) - max(ry, y)) / (w * h)


def test_honest_cropped_jpeg_saved_again_is_not_accused_by_the_lattice():
    for photo in (skdata.coffee(), skdata.astronaut(), skdata.chelsea()):
        result = analyse_image(load_image(_encode(_cropped(photo, 75), quality=92)))
        assert result.cues["lattice"]["observed"]
        assert all(r["strengths"]["dq"] < 0.35 for r in result.regions)


def test_tamper_localises_an_edit_in_a_png_exported_from_a_jpeg():
    photo = _rgb(_encode(skdata.coffee(), quality=85))
    box = (300, 100, 110, 90)
    result = analyse_image(load_image(_encode(_smoothed(photo, box), "PNG")))
    assert result.cues["lattice"]["kind"] == "lossless_after_jpeg"
    assert result.score >= 0.5
    assert result.regions[0] is _best_history_region(result)
    assert _covered(result.regions[0]["box"], box) > 0.5
