"""The multiview building blocks made faster give the values they gave before, bit for bit: each is compared
with the straightforward computation it replaced (written out here) on the synthetic views of
``test_views_modules``."""

from __future__ import annotations

import cv2
import numpy as np

from refundguard.checks._views.config import MatchSettings
from refundguard.checks._views.dense import jacobian_scales
from refundguard.checks._views.match import _SEED, features, match, work_image
from refundguard.checks._views.parallax import _direction, epipolar_agreement, parallax_bound
from tests.checks.multiview.test_views_modules import _painted_candidate, base, view_b


def _mutual_pairs_whole_set(fa, fb, ratio: float) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The ratio test with the mutual check as it was: the backward lookup of *every* descriptor of B."""
    cv2.setRNGSeed(_SEED)
    matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 64})
    knn = matcher.knnMatch(fa.descriptors, fb.descriptors, k=2)
    back = {m[0].queryIdx: m[0].trainIdx for m in matcher.knnMatch(fb.descriptors, fa.descriptors, k=1) if m}
    return [(m[0].queryIdx, m[0].trainIdx) for m in knn
            if len(m) == 2 and m[0].distance < ratio * m[1].distance and back.get(m[0].trainIdx) == m[0].queryIdx]


def test_the_mutual_check_on_the_ratio_tests_matches_only_keeps_the_same_matches() -> None:
    wa, wb = work_image(base()), work_image(view_b(base(), 1.1))
    fa, fb = features(wa), features(wb)
    settings = MatchSettings()
    expected = _mutual_pairs_whole_set(fa, fb, settings.ratio)
    vm = match(fa, fb, settings)
    assert vm is not None and len(expected) >= settings.min_inliers
    assert vm.candidates == len(expected)
    idx = np.array(expected)
    # the same candidate matches in the same order: the fundamental matrix RANSAC drew from is the same
    pa, pb = fa.keypoints[idx[:, 0]], fb.keypoints[idx[:, 1]]
    cv2.setRNGSeed(_SEED)
    f_mat, f_mask = cv2.findFundamentalMat(pa, pb, cv2.USAC_MAGSAC, 1.5, 0.999, 5000)
    assert np.array_equal(vm.fundamental, f_mat[:3])
    assert np.array_equal(vm.pts_a, pa[f_mask.ravel().astype(bool)])


def _jacobian_scales_as_written(mapping: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = cv2.GaussianBlur(mapping, (0, 0), 2.0)
    dxdx = cv2.Sobel(m[..., 0], cv2.CV_32F, 1, 0, ksize=3) / 8.0
    dxdy = cv2.Sobel(m[..., 0], cv2.CV_32F, 0, 1, ksize=3) / 8.0
    dydx = cv2.Sobel(m[..., 1], cv2.CV_32F, 1, 0, ksize=3) / 8.0
    dydy = cv2.Sobel(m[..., 1], cv2.CV_32F, 0, 1, ksize=3) / 8.0
    det = np.abs(dxdx * dydy - dxdy * dydx)
    total = dxdx ** 2 + dxdy ** 2 + dydx ** 2 + dydy ** 2
    smallest = np.sqrt(np.maximum((total - np.sqrt(np.maximum(total ** 2 - 4 * det ** 2, 0))) / 2, 0))
    return np.sqrt(det).astype(np.float32), smallest.astype(np.float32)


def test_jacobian_scales_in_place_are_the_same_values() -> None:
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:300, 0:420].astype(np.float32)
    mapping = np.dstack([xs * 1.3 + 0.002 * ys ** 1.5, ys * 0.7 - 0.1 * xs]) + rng.normal(0, 2, (300, 420, 2))
    mapping = mapping.astype(np.float32)
    mapping[40:90, 200:260] = -1.0e4  # a part that maps outside the other view
    scale, resolution = jacobian_scales(mapping)
    want_scale, want_resolution = _jacobian_scales_as_written(mapping)
    assert scale.dtype == resolution.dtype == np.float32
    assert np.array_equal(scale, want_scale) and np.array_equal(resolution, want_resolution)


def _epipolar_agreement_as_written(al, corr, fundamental, mask, max_shift) -> float:  # type: ignore[no-untyped-def]
    def ncc(a: np.ndarray, b: np.ndarray) -> float:
        a = a - a.mean()
        b = b - b.mean()
        den = float(np.sqrt((a * a).sum() * (b * b).sum()))
        return float((a * b).sum() / den) if den > 1e-9 else 0.0

    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    size = (int(x1 - x0 + 12), int(y1 - y0 + 12))
    centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    patch = cv2.getRectSubPix(al.grad_x, size, centre)
    support = cv2.getRectSubPix(al.extra, size, centre) > 0.2 * al.scale
    support = cv2.dilate(support.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    direction = _direction(corr, fundamental, centre)
    assert direction is not None and support.sum() >= 12
    best = -1.0
    for t in np.arange(-max_shift, max_shift + 1e-6, 1.0):
        px, py = centre[0] + t * direction[0], centre[1] + t * direction[1]
        best = max(best, ncc(patch[support], cv2.getRectSubPix(al.grad_y, size, (float(px), float(py)))[support]))
    return best


def test_epipolar_agreement_centres_the_mark_once_for_the_same_correlations() -> None:
    wa, vm, corr_ab, al, mask = _painted_candidate()
    bound = parallax_bound(vm, True, max(wa.shape), 0.08)
    for shift in (bound, 3 * bound):
        assert epipolar_agreement(al, corr_ab, vm.fundamental, mask, shift) == _epipolar_agreement_as_written(
            al, corr_ab, vm.fundamental, mask, shift)
