"""The tamper check's memory and time savings keep its numbers: uint8 luma, DCT planes, binned noise, chunked
resampling spectra give what the float32 / whole-array forms gave."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from refundguard.checks._forensics import resample
from refundguard.checks._forensics.jpeg_dct import DQ_FREQUENCIES, ZIGZAG, block_dct, block_dct_planes, dq_analysis
from refundguard.checks._forensics.pipeline import analyse, binned_2x2, clipped_pixels
from refundguard.checks.tamper import analyse_image, stored_luma
from refundguard.media.load import load_image


def _double_jpeg(pixels: np.ndarray) -> bytes:
    """A photo saved at q70, a patch smoothed over (off the first lattice), saved again at q92."""
    first = io.BytesIO()
    Image.fromarray(pixels).save(first, format="JPEG", quality=70)
    decoded = np.array(Image.open(io.BytesIO(first.getvalue())).convert("RGB"))
    decoded[120:280, 160:360] = cv2.GaussianBlur(decoded[120:280, 160:360], (0, 0), 2.0)
    out = io.BytesIO()
    Image.fromarray(decoded).save(out, format="JPEG", quality=92)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo() -> bytes:
    return _double_jpeg(np.tile(skdata.astronaut(), (2, 2, 1))[:768, :1024])


def test_the_luma_of_a_jpeg_is_the_decoders_uint8_levels(photo):
    gray, qtable = stored_luma(load_image(photo))
    assert gray.dtype == np.uint8 and qtable is not None
    im = Image.open(io.BytesIO(photo))
    im.draft("L", im.size)
    assert np.array_equal(gray, np.asarray(im.convert("L")))


def test_uint8_luma_gives_the_float32_analysis_bit_for_bit(photo):
    image = load_image(photo)
    gray, qtable = stored_luma(image)
    clipped = clipped_pixels(image.pixels)
    as_float = analyse(gray.astype(np.float32), qtable=qtable, is_jpeg=True, clipped=clipped)
    as_bytes = analyse(gray, qtable=qtable, is_jpeg=True, clipped=clipped)
    assert as_float.cues["dq"]["observed"] and as_float.regions  # the cues found something to compare
    assert as_bytes.score == as_float.score
    assert as_bytes.regions == as_float.regions and as_bytes.cues == as_float.cues
    assert np.array_equal(as_bytes.heat, as_float.heat)
    assert analyse_image(image).score == as_bytes.score


@pytest.mark.parametrize(("offset", "step"), [((0, 0), 1), ((4, 4), 2), ((3, 5), 1)])
def test_dct_planes_are_the_whole_transform_s_planes(offset, step):
    gray = np.random.default_rng(7).integers(0, 256, (203, 317), dtype=np.uint8)
    whole = block_dct(gray.astype(np.float32), offset, step)
    planes = block_dct_planes(gray, DQ_FREQUENCIES, offset, step)
    assert planes.shape == whole.shape and planes.size == whole[..., 0, 0].size * len(DQ_FREQUENCIES)
    for u, v in DQ_FREQUENCIES:
        assert np.array_equal(planes[..., u, v], whole[..., u, v])
    with pytest.raises(IndexError):
        planes[..., 0, 0]  # DC is not among them


def test_dq_analysis_of_planes_equals_that_of_the_whole_transform(photo):
    gray, qtable = stored_luma(load_image(photo))
    whole = dq_analysis(block_dct(gray), block_dct(gray, (4, 4), step=2), qtable)
    planes = dq_analysis(block_dct_planes(gray, DQ_FREQUENCIES), block_dct_planes(gray, DQ_FREQUENCIES, (4, 4), 2),
                         qtable)
    assert whole.observed and planes.used == whole.used and planes.alpha == whole.alpha
    assert planes.grid_fit == whole.grid_fit and np.array_equal(planes.llr, whole.llr)
    assert ZIGZAG[1:21] == DQ_FREQUENCIES


@pytest.mark.parametrize("shape", [(3000, 4000), (61, 87)])
def test_binned_2x2_is_numpys_mean_bit_for_bit(shape):
    gray = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    h, w = shape[0] // 2 * 2, shape[1] // 2 * 2
    want = gray[:h, :w].astype(np.float32).reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    assert np.array_equal(binned_2x2(gray), want)
    fractional = gray.astype(np.float32) * np.float32(0.7)
    assert np.array_equal(binned_2x2(fractional), fractional[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)))


def test_resampling_ratios_in_strips_match_the_whole_array(monkeypatch):
    """The spectra and peak ratios made a few block rows at a time equal those of one pass over all of them (to
    float32 rounding of OpenCV's running box sums)."""
    gray = np.random.default_rng(5).normal(128, 20, (640, 896)).clip(0, 255).astype(np.uint8)
    small = resample.resample_analysis(gray, 32)
    monkeypatch.setattr(resample, "_CHUNK_PIXELS", 10**9)  # one strip: the whole picture at once
    whole = resample.resample_analysis(gray, 32)
    assert np.array_equal(small.valid, whole.valid)
    assert np.allclose(small.z, whole.z, rtol=0, atol=1e-5)
    assert np.array_equal(small.frequency, whole.frequency)


@pytest.mark.parametrize("axis", [0, 1])
def test_the_grid_excess_of_uint8_levels_is_the_float32_one_bit_for_bit(axis):
    from refundguard.checks._forensics.jpeg_grid import boundary_excess

    gray = np.random.default_rng(axis).integers(0, 256, (97, 131), dtype=np.uint8)
    gray[:, :20] = 255  # steps of 255: the largest excess, clipped
    assert np.array_equal(boundary_excess(gray, axis), boundary_excess(gray.astype(np.float32), axis))
    assert np.array_equal(boundary_excess(gray, axis, clip=3.3), boundary_excess(gray.astype(np.float32), axis, 3.3))
