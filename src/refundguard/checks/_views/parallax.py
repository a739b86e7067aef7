"""Is a mark one view shows found again along its epipolar line in the other (parallax, not damage)?

A point that does not move with the surface around it — something in front of the item, a part that
sticks out, a reflection at its own virtual depth — is still seen by both cameras: its image in the
other view lies on the *epipolar line* of its position, displaced along it by parallax, never across.
A mark painted into one photo is nowhere on that line. The search compares the mark's structure in X
with the other view's, slid along the line's direction (brought into X's frame through the local
Jacobian of the correspondence) over the parallax the matched points show.
"""

from __future__ import annotations

import cv2
import numpy as np

from refundguard.checks._views.dense import Correspondence
from refundguard.checks._views.match import ViewMatch
from refundguard.checks._views.structure import Aligned


def parallax_bound(vm: ViewMatch, x_is_a: bool, side: int, largest: float) -> float:
    """How far matched points stray from the dominant surface's homography, in X's pixels (with slack).

    A flat object gives a few pixels; a deep scene up to ``largest`` × ``side``.
    """
    if x_is_a:
        src, dst, hom = vm.pts_b, vm.pts_a, vm.homography
    else:
        src, dst, hom = vm.pts_a, vm.pts_b, np.linalg.inv(vm.homography)
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2).astype(np.float64), hom).reshape(-1, 2)
    residual = np.linalg.norm(mapped - dst, axis=1)
    return float(np.clip(1.5 * np.percentile(residual, 95) + 3.0, 4.0, largest * side))


def _direction(corr: Correspondence, fundamental: np.ndarray, centre: tuple[float, float]) -> np.ndarray | None:
    """Unit direction, in X's frame, that moves the mapped point along its epipolar line in Y."""
    cx, cy = centre
    h, w = corr.map.shape[:2]
    xi, yi = int(np.clip(round(cx), 3, w - 4)), int(np.clip(round(cy), 3, h - 4))
    jac = np.column_stack([(corr.map[yi, xi + 3] - corr.map[yi, xi - 3]) / 6.0,
                           (corr.map[yi + 3, xi] - corr.map[yi - 3, xi]) / 6.0]).astype(np.float64)
    line = fundamental @ np.array([cx, cy, 1.0])
    norm = float(np.hypot(line[0], line[1]))
    if norm < 1e-12 or not np.isfinite(norm) or abs(np.linalg.det(jac)) < 1e-6:
        return None
    along_y = np.array([-line[1], line[0]]) / norm
    along_x = np.linalg.solve(jac, along_y)
    length = float(np.hypot(*along_x))
    return along_x / length if length > 1e-9 else None


def epipolar_agreement(al: Aligned, corr: Correspondence, fundamental: np.ndarray, mask: np.ndarray,
                       max_shift: float) -> float:
    """Best correlation of X's unexplained structure at ``mask`` with Y's, slid along the epipolar line.

    ``fundamental`` maps X's points to lines in Y (``x_y^T F x_x = 0``). Only the pixels where X has
    unexplained structure (slightly dilated) are compared, on structure, so a crack must reappear, not
    just the colours around it.
    """
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    pad = 6
    size = (int(x1 - x0 + 2 * pad), int(y1 - y0 + 2 * pad))
    centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    patch = cv2.getRectSubPix(al.grad_x, size, centre)
    support = cv2.getRectSubPix(al.extra, size, centre) > 0.2 * al.scale
    support = cv2.dilate(support.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if support.sum() < 12:
        return 0.0
    values = patch[support]
    direction = _direction(corr, fundamental, centre)
    if direction is None:
        return 0.0
    # X's side of every correlation is the same: centred and its energy summed once (the same values _ncc makes)
    a = values - values.mean()
    energy = (a * a).sum()
    best = -1.0
    for t in np.arange(-max_shift, max_shift + 1e-6, 1.0):
        px, py = centre[0] + t * direction[0], centre[1] + t * direction[1]
        b = cv2.getRectSubPix(al.grad_y, size, (float(px), float(py)))[support]
        b = b - b.mean()
        den = float(np.sqrt(energy * (b * b).sum()))
        best = max(best, float((a * b).sum() / den) if den > 1e-9 else 0.0)
    return best
