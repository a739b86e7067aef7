"""The tamper check's OpenCV window means and regions give SciPy's numbers (SciPy is the reference here only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from refundguard.checks._forensics import filters
from refundguard.checks._forensics.resample import spectral_sum


@pytest.mark.parametrize("shape", [(5, 7), (40, 60), (1, 9), (30, 20, 8), (12, 9, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 25])
@pytest.mark.parametrize("mode", ["nearest", "constant"])
def test_box_mean_is_scipys_uniform_filter(shape: tuple[int, ...], size: int, mode: str) -> None:
    a = np.random.default_rng(size).normal(size=shape).astype(np.float32)
    want = ndimage.uniform_filter(a, size=(size, size) + (1,) * (len(shape) - 2), mode=mode)
    got = filters.box_mean(a, size, mode)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_window_sum_and_spectral_sum_are_scipys_filters_times_their_size() -> None:
    rng = np.random.default_rng(3)
    a = rng.random((6, 5, 16, 9)).astype(np.float32)
    np.testing.assert_allclose(filters.window_sum(a, 3, (0, 1)),
                               ndimage.uniform_filter(a, size=(3, 3, 1, 1), mode="constant") * 9, rtol=1e-5)
    modes = ("nearest", "nearest", "wrap", "mirror")
    np.testing.assert_allclose(spectral_sum(a), ndimage.uniform_filter(a, size=(1, 1, 5, 5), mode=modes) * 25,
                               rtol=1e-5)


def test_closed_and_components_are_scipys_closing_and_labels() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        mask = rng.random((int(rng.integers(1, 30)), int(rng.integers(1, 30)))) < rng.random()
        closed = filters.closed(mask)
        assert (closed == ndimage.binary_closing(mask, iterations=1)).all()
        labels, count = ndimage.label(closed, structure=np.ones((3, 3), bool))
        got = filters.components(closed)
        assert len(got) == count
        for i, (region, box) in enumerate(got, start=1):
            assert box == ndimage.find_objects(labels)[i - 1]
            assert (region == (labels == i)).all()


def test_tamper_analysis_of_a_small_photo_does_not_import_scipy() -> None:
    """A photo of fewer than 8 resampling blocks (64x96: 2x3) goes through every cue without SciPy."""
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from refundguard.checks._forensics.pipeline import analyse\n"
            "y, x = np.mgrid[0:64, 0:96]\n"
            "analyse(((x * 2 + y) % 256).astype(np.float32), qtable=np.full((8, 8), 4.0), is_jpeg=True)\n"
            "print(any(m.startswith('scipy') for m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tamper_analysis_with_the_resampling_cue_does_not_import_scipy() -> None:
    """A photo with enough blocks for the resampling cue (384x512: 12x16 blocks of 32 px) takes its spectra from
    NumPy's FFT: SciPy (scipy.fft ~0.3 CPU-s to import) stays unloaded through the whole analysis."""
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from refundguard.checks._forensics.pipeline import analyse\n"
            "rng = np.random.default_rng(3)\n"
            "gray = np.clip(rng.normal(128, 30, (384, 512)), 0, 255).astype(np.uint8)\n"
            "r = analyse(gray, qtable=np.full((8, 8), 4.0), is_jpeg=True)\n"
            "assert 'resample' in r.cues, r.cues\n"
            "print(any(m.startswith('scipy') for m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("size", [2, 3, 5])
def test_window_sum_in_place_is_window_sum(size: int) -> None:
    a = np.random.default_rng(size).random((7, 6, 4)).astype(np.float32)
    for axis in range(3):
        b = a.copy()
        filters.window_sum_inplace(b, size, axis)
        assert np.array_equal(b, filters.window_sum(a, size, (axis,)))
