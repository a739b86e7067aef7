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


def _match_once(claim: Prepared, ref: Prepared, mirrored: bool) -> Match | None:
    """Ratio-tested SIFT matches of ``ref`` (or its mirror image) into ``claim`` and a MAGSAC homography."""
    fc = claim.features()
    fr = ref.features(mirrored)
    if len(fc) < 4 or len(fr) < 4:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    pairs = matcher.knnMatch(fr.descriptors, fc.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    src = fr.points[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    dst = fc.points[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    h, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_PX, maxIters=4000, confidence=0.999)
    if h is None or mask is None:
        return None
    inliers = int(mask.sum())
    if mirrored:
        h = h @ _mirror_matrix(ref.size[0])
    if inliers < MIN_INLIERS or not _plausible(h, ref.size, claim.size):
        return None
    return Match(homography=h / h[2, 2], inliers=inliers, candidates=len(good), mirrored=mirrored)


def match(claim: Prepared, ref: Prepared) -> Match | None:
    """Best homography of ``ref`` into ``claim`` (trying the mirrored reference when the direct one is weak)."""
    direct = _match_once(claim, ref, mirrored=False)
    if direct is not None and direct.inliers >= 60 and direct.inlier_ratio >= 0.3:
        return direct
    flipped = _match_once(claim, ref, mirrored=True)
    options = [m for m in (direct, flipped) if m is not None]
    return max(options, key=lambda m: m.inliers) if options else None
