"""The relit re-shoot test measures the same smooth residual on a claim downscaled from the reference (issue #16)."""

from __future__ import annotations

import cv2
import numpy as np

from refundguard.checks._align.relight import smooth_residual


def _pair(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A textured surface under a light that changes across it, a changed blob, at ``size`` pixels a side."""
    rng = np.random.default_rng(7)
    texture = cv2.GaussianBlur(rng.random((400, 400)).astype(np.float32), (0, 0), 1.5) * 0.2 + 0.4
    yy, xx = np.mgrid[0:400, 0:400].astype(np.float32) / 400
    light = 0.02 * np.sin(6 * xx) * np.cos(5 * yy)  # another light: a smooth residual everywhere
    changed = np.zeros((400, 400), np.float32)
    cv2.circle(changed, (200, 200), 60, 1.0, -1)
    ref, claim = texture, texture + light
    shrink = [cv2.resize(a, (size, size), interpolation=cv2.INTER_AREA) for a in (claim, ref, changed)]
    valid = np.ones((size, size), bool)
    return shrink[0], shrink[1], valid, shrink[2] > 0


def test_a_downscaled_claim_measures_the_residual_of_its_full_size_claim():
    full = smooth_residual(*_pair(400))
    small_claim, small_ref, valid, changed = _pair(176)
    scaled = smooth_residual(small_claim, small_ref, valid, changed, scale=176 / 400)
    unscaled = smooth_residual(small_claim, small_ref, valid, changed)
    assert abs(scaled - full) < 0.06 * full
    assert abs(unscaled - full) > abs(scaled - full)  # claim-pixel margins and blur measure something else


def test_scale_above_one_is_the_reference_scale():
    claim, ref, valid, changed = _pair(300)
    assert smooth_residual(claim, ref, valid, changed, scale=2.0) == smooth_residual(claim, ref, valid, changed)
