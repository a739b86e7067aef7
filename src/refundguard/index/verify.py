"""Geometric verification of local-feature matches: do they agree on one similarity transform?

Descriptor matches alone are weak evidence (textures repeat, corners look alike); a reused photo or a
pasted damage template maps its keypoints to the query's by a single rotation + uniform scale +
translation (a crop or a rescale; a mirror is handled by matching the mirrored query). RANSAC finds
that transform and counts the matches it explains.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: RANSAC reprojection threshold, in units of the longer image side (positions are normalised)
REPROJECTION = 0.015
#: a uniform scale outside this range is not a plausible reuse (and often a degenerate fit)
SCALE_RANGE = (0.2, 5.0)


@dataclass(frozen=True, slots=True)
class Verified:
    """The outcome of verifying one candidate: inlier matches and the similarity's scale and angle."""

    inliers: int
    matches: int
    scale: float
    angle_deg: float


def verify(stored: np.ndarray, query: np.ndarray) -> Verified:
    """Fit a similarity transform ``stored -> query`` with RANSAC and count its inliers.

    Parameters
    ----------
    stored, query : (m, 2) float32 normalised keypoint positions of the m descriptor matches, paired by row.
    """
    m = int(stored.shape[0])
    if m < 3:
        return Verified(0, m, 0.0, 0.0)
    matrix, mask = cv2.estimateAffinePartial2D(stored.astype(np.float32), query.astype(np.float32),
                                               method=cv2.RANSAC, ransacReprojThreshold=REPROJECTION,
                                               maxIters=500, confidence=0.99, refineIters=5)
    if matrix is None or mask is None:
        return Verified(0, m, 0.0, 0.0)
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    angle = float(np.degrees(np.arctan2(matrix[1, 0], matrix[0, 0])))
    if not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
        return Verified(0, m, scale, angle)
    inliers = _distinct_inliers(stored[mask.ravel() > 0], query[mask.ravel() > 0])
    return Verified(inliers, m, scale, angle)


def _distinct_inliers(stored: np.ndarray, query: np.ndarray) -> int:
    """Inliers counted once per distinct stored and query position (one keypoint must not vote twice)."""
    if stored.shape[0] == 0:
        return 0
    s = {tuple(np.round(p, 3)) for p in stored}
    q = {tuple(np.round(p, 3)) for p in query}
    return min(len(s), len(q))
