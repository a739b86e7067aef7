"""Feature matching and a RANSAC homography from a reference photo into a claim photo."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._align.prepare import Prepared

RATIO = 0.8
RANSAC_PX = 3.0
MIN_INLIERS = 15


@dataclass(frozen=True)
class Match:
    """A geometric match of a reference into a claim, both at working resolution.

    ``homography`` maps reference working pixels to claim working pixels; when ``mirrored`` the
    reference was mirrored left-right first (the mirror is already folded into ``homography``).
    """

    homography: np.ndarray
    inliers: int
    candidates: int
    mirrored: bool

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / max(1, self.candidates)


def _mirror_matrix(width: int) -> np.ndarray:
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def _plausible(h: np.ndarray, ref_size: tuple[int, int], claim_size: tuple[int, int]) -> bool:
    """Reject degenerate homographies: folded, wildly scaled, or covering a sliver of the claim."""
    w, hh = ref_size
    corners = np.array([[0, 0], [w, 0], [w, hh], [0, hh]], np.float64).reshape(-1, 1, 2)
    proj = cv2.perspectiveTransform(corners, h).reshape(-1, 2)
    if not np.all(np.isfinite(proj)):
        return False
    area = abs(cv2.contourArea(proj.astype(np.float32)))
    ref_area = w * hh
    if not cv2.isContourConvex(proj.astype(np.float32)):
        return False
    scale = np.sqrt(area / ref_area)
    if not 0.05 <= scale <= 20.0:
        return False
    cw, ch = claim_size
    xs = np.clip(proj[:, 0], 0, cw)
    ys = np.clip(proj[:, 1], 0, ch)
    covered = abs(cv2.contourArea(np.stack([xs, ys], 1).astype(np.float32)))
    return covered >= 0.08 * cw * ch


#: largest squared descriptor length for which every sum in :func:`_two_nearest` is exact in float32 (2^23)
_EXACT_NORM2 = float(1 << 23)
#: query descriptors per matrix product in :func:`_two_nearest`
_BLOCK = 256


def _whole_numbers(d: np.ndarray) -> bool:
    return d.dtype == np.float32 and bool(np.all(d >= 0)) and np.array_equal(np.rint(d), d)


def _two_nearest(query: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Each query descriptor's nearest and second-nearest train descriptor (indexes) and their L2 distances,
    exactly as ``cv2.BFMatcher(NORM_L2).knnMatch(query, train, k=2)`` finds them, or None where that cannot be
    guaranteed.

    SIFT's descriptors are whole numbers 0-255 stored as float32, of length ~512. For such vectors every
    product, dot product and squared length is a whole number below 2^24, which float32 holds exactly, so
    ``|q|^2 + |t|^2 - 2 q.t`` from one matrix product (BLAS, ~0.02 CPU-s for 2500 x 2500) is the exact squared
    distance, whatever the order of the sums -- as OpenCV's own float32 sum of squared differences is; the
    square root of the same float32 is the same distance. Ties keep the lower train index first, as OpenCV's
    insertion does. The brute-force matcher took ~0.12 CPU-s for the same pairs.
    """
    if len(train) < 2 or not (_whole_numbers(query) and _whole_numbers(train)):
        return None
    qq = np.einsum("ij,ij->i", query, query)
    tt = np.einsum("ij,ij->i", train, train)
    if max(float(qq.max(initial=0.0)), float(tt.max(initial=0.0))) > _EXACT_NORM2:
        return None
    first = np.empty(len(query), np.intp)
    second = np.empty(len(query), np.intp)
    d_first = np.empty(len(query), np.float32)
    d_second = np.empty(len(query), np.float32)
    for top in range(0, len(query), _BLOCK):  # a block of queries at a time: ~2.5 MB, not one 25 MB matrix
        q = slice(top, top + _BLOCK)
        d2 = query[q] @ train.T
        d2 *= -2.0
        d2 += tt[None, :]
        d2 += qq[q, None]
        rows = np.arange(len(d2))
        best = np.argmin(d2, axis=1)  # the lowest index among equal distances, as OpenCV keeps it
        d_first[q] = d2[rows, best]
        d2[rows, best] = np.inf
        first[q] = best
        second[q] = np.argmin(d2, axis=1)
        d_second[q] = d2[rows, second[q]]
    return first, second, np.sqrt(d_first), np.sqrt(d_second)


def ratio_matches(query: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes (query, train) of the nearest-neighbour matches that pass the ratio test (Lowe's ``RATIO``)."""
    nearest = _two_nearest(query, train)
    if nearest is None:  # not SIFT's whole-number descriptors: OpenCV's brute-force matcher
        pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(query, train, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
        return (np.array([m.queryIdx for m in good], np.intp), np.array([m.trainIdx for m in good], np.intp))
    first, _, d_first, d_second = nearest
    keep = d_first.astype(np.float64) < RATIO * d_second.astype(np.float64)
    return np.flatnonzero(keep), first[keep]


def _match_once(claim: Prepared, ref: Prepared, mirrored: bool) -> Match | None:
    """Ratio-tested SIFT matches of ``ref`` (or its mirror image) into ``claim`` and a MAGSAC homography."""
    fc = claim.features()
    fr = ref.features(mirrored)
    if len(fc) < 4 or len(fr) < 4:
        return None
    query, train = ratio_matches(fr.descriptors, fc.descriptors)
    if len(query) < MIN_INLIERS:
        return None
    src = fr.points[query].reshape(-1, 1, 2)
    dst = fc.points[train].reshape(-1, 1, 2)
    h, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_PX, maxIters=4000, confidence=0.999)
    if h is None or mask is None:
        return None
    inliers = int(mask.sum())
    if mirrored:
        h = h @ _mirror_matrix(ref.size[0])
    if inliers < MIN_INLIERS or not _plausible(h, ref.size, claim.size):
        return None
    return Match(homography=h / h[2, 2], inliers=inliers, candidates=len(query), mirrored=mirrored)


def match(claim: Prepared, ref: Prepared) -> Match | None:
    """Best homography of ``ref`` into ``claim`` (trying the mirrored reference when the direct one is weak)."""
    direct = _match_once(claim, ref, mirrored=False)
    if direct is not None and direct.inliers >= 60 and direct.inlier_ratio >= 0.3:
        return direct
    flipped = _match_once(claim, ref, mirrored=True)
    options = [m for m in (direct, flipped) if m is not None]
    return max(options, key=lambda m: m.inliers) if options else None
