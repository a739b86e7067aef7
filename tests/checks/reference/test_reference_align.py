"""The private image math of the reference check, piece by piece."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from refundguard.checks._align.capture import capture_evidence, local_shifts
from refundguard.checks._align.changes import find_changes
from refundguard.checks._align.compare import compare
from refundguard.checks._align.match import match
from refundguard.checks._align.photometric import apply_colour, fit_colour
from refundguard.checks._align.prepare import prepare
from refundguard.checks._align.refine import refine, warp


def test_homography_is_recovered_to_subpixel_after_ecc():
    ref = data.astronaut()
    h_true = np.array([[0.9, 0.05, 20.0], [-0.03, 0.95, 10.0], [2e-5, 1e-5, 1.0]])
    claim = cv2.warpPerspective(ref, h_true, (512, 512), flags=cv2.INTER_CUBIC)
    c, r = prepare(claim), prepare(ref)
    m = match(c, r)
    assert m is not None and not m.mirrored
    h, converged = refine(c.gray, r.gray, m.homography)
    assert converged
    pts = np.array([[100, 100], [400, 120], [300, 400]], np.float64).reshape(-1, 1, 2)
    err = np.abs(cv2.perspectiveTransform(pts, h) - cv2.perspectiveTransform(pts, h_true)).max()
    assert err < 0.3


def test_mirrored_reference_is_matched():
    ref = data.coffee()
    c, r = prepare(np.ascontiguousarray(ref[:, ::-1])), prepare(ref)
    m = match(c, r)
    assert m is not None and m.mirrored


def test_colour_model_undoes_a_sepia_filter():
    ref = data.coffee().astype(np.float32) / 255
    sepia = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
    claim = np.clip(0.3 * ref + 0.7 * (ref @ sepia.T), 0, 1)
    valid = np.ones(ref.shape[:2], bool)
    fitted = apply_colour(ref, fit_colour(claim, ref, valid))
    assert np.abs(fitted - claim).mean() < 0.01


def test_identical_photos_have_no_changes_and_full_capture_consistency():
    p = prepare(data.chelsea())
    valid = np.ones(p.gray.shape, bool)
    assert capture_evidence(p.gray, p.gray, valid).consistency > 0.95
    ch = find_changes(p.rgb, p.rgb, valid)
    assert ch.boxes == [] and ch.share == 0.0


def _phase_correlate_windowing_inputs(real):
    """OpenCV 4.x: with a window and no DFT padding, phaseCorrelate multiplied its inputs by it in place."""
    def pc(a, b, window=None):
        if window is not None:
            a *= window
            b *= window
        return real(a, b)
    return pc


def _phase_correlate_leaving_inputs(real):
    """OpenCV 5: phaseCorrelate leaves its inputs untouched."""
    def pc(a, b, window=None):
        return real(a.copy(), b.copy(), window) if window is not None else real(a.copy(), b.copy())
    return pc


def test_local_shifts_do_not_depend_on_whether_opencv_windows_its_inputs(monkeypatch: pytest.MonkeyPatch):
    # a reference a little off in scale (as ECC leaves a pair with a large regenerated area): overlapping tiles
    # measure different shifts, so windowed pixels of one tile change the next one's if the window leaks
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    ref = cv2.warpAffine(gray, np.float32([[1.006, 0.002, -1.2], [0.001, 1.005, 0.4]]), gray.shape[::-1],
                         flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    valid = np.ones(gray.shape, bool)
    real = cv2.phaseCorrelate
    results = []
    for behaviour in (_phase_correlate_windowing_inputs, _phase_correlate_leaving_inputs):
        monkeypatch.setattr(cv2, "phaseCorrelate", behaviour(real))
        results.append(local_shifts(gray, ref, valid))
    monkeypatch.setattr(cv2, "phaseCorrelate", real)
    results.append(local_shifts(gray, ref, valid))
    assert results[0].size > 50
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_warp_mask_marks_only_the_covered_area():
    img = np.ones((100, 100), np.float32)
    _, valid = warp(img, np.array([[1.0, 0, 50], [0, 1, 0], [0, 0, 1]]), (200, 100))
    assert valid[:, :50].sum() == 0 and valid[10:90, 60:140].all() and not valid[:, 150:].any()


def test_blank_and_tiny_photos_are_flagged_unusable():
    assert prepare(np.zeros((300, 300, 3), np.uint8)).problem is not None
    assert prepare(np.zeros((20, 300, 3), np.uint8) + np.arange(300, dtype=np.uint8)[None, :, None]).problem
    assert prepare(data.coffee()).problem is None


def test_compare_reports_full_resolution_transform():
    ref = data.coffee()  # 400 x 600
    big = cv2.resize(ref, (1800, 1200), interpolation=cv2.INTER_CUBIC)
    result = compare(prepare(big), prepare(ref))
    assert result.homography is not None
    assert abs(result.homography[0, 0] - 3.0) < 0.02 and abs(result.homography[1, 1] - 3.0) < 0.02
    assert result.p_same > 0.9 and result.p_edit < 0.5
