"""Match one object between two photos: SIFT features, ratio test, RANSAC fundamental matrix and homography."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: longest side of the working copies (features and comparisons are computed at this size)
WORK_SIDE = 900
#: fewest epipolar-consistent matches for "these photos show the same object"
MIN_INLIERS = 30


@dataclass(frozen=True)
class WorkImage:
    """A grey working copy of a photo and the factor from original pixels to working pixels."""

    gray: np.ndarray  # (h, w) uint8
    scale: float

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.gray.shape[0]), int(self.gray.shape[1])


@dataclass(frozen=True)
class Features:
    keypoints: np.ndarray  # (n, 2) float32 in working pixels
    descriptors: np.ndarray  # (n, 128) float32


@dataclass(frozen=True)
class ViewMatch:
    """The geometric relation between view A and view B, in working pixels.

    ``homography`` maps B to A; ``fundamental`` is the epipolar geometry (``x_b^T F x_a = 0``);
    ``pts_a``/``pts_b`` are the epipolar-consistent matches; ``plane`` flags those that also obey the
    homography (the dominant surface).
    """

    homography: np.ndarray
    fundamental: np.ndarray  # x_b^T F x_a = 0
    pts_a: np.ndarray
    pts_b: np.ndarray
    plane: np.ndarray
    candidates: int

    @property
    def inliers(self) -> int:
        return len(self.pts_a)

    @property
    def plane_inliers(self) -> int:
        return int(self.plane.sum())


def work_image(rgb: np.ndarray, side: int = WORK_SIDE) -> WorkImage:
    """Grey working copy whose longest side is at most ``side`` pixels."""
    h, w = rgb.shape[:2]
    scale = min(1.0, side / max(h, w))
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return WorkImage(gray=gray, scale=scale)


def features(image: WorkImage, n: int = 4000) -> Features:
    """SIFT keypoints (as points) and descriptors of a working image."""
    sift = cv2.SIFT_create(nfeatures=n)
    kps, desc = sift.detectAndCompute(image.gray, None)
    if desc is None or not kps:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32))
    return Features(np.float32([k.pt for k in kps]), desc.astype(np.float32))


def match(fa: Features, fb: Features, ratio: float = 0.75) -> ViewMatch | None:
    """Match two feature sets; None when they do not reliably show the same object.

    Lowe's ratio test with a mutual check, then a RANSAC (MAGSAC++) fundamental matrix keeps the
    matches consistent with one rigid scene seen from two positions; a homography fitted to those
    describes the dominant surface.
    """
    if len(fa.keypoints) < MIN_INLIERS or len(fb.keypoints) < MIN_INLIERS:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    knn = matcher.knnMatch(fa.descriptors, fb.descriptors, k=2)
    back = {m[0].queryIdx: m[0].trainIdx for m in matcher.knnMatch(fb.descriptors, fa.descriptors, k=1) if m}
    pairs = [(m[0].queryIdx, m[0].trainIdx) for m in knn
             if len(m) == 2 and m[0].distance < ratio * m[1].distance and back.get(m[0].trainIdx) == m[0].queryIdx]
    if len(pairs) < MIN_INLIERS:
        return None
    idx = np.array(pairs)
    pa, pb = fa.keypoints[idx[:, 0]], fb.keypoints[idx[:, 1]]
    f_mat, f_mask = cv2.findFundamentalMat(pa, pb, cv2.USAC_MAGSAC, 1.5, 0.999, 5000)
    if f_mat is None or f_mask is None:
        return None
    keep = f_mask.ravel().astype(bool)
    if keep.sum() < MIN_INLIERS or keep.sum() < 0.25 * len(pairs):
        return None
    pa, pb = pa[keep], pb[keep]
    h_mat, h_mask = cv2.findHomography(pb, pa, cv2.USAC_MAGSAC, 3.0, maxIters=5000, confidence=0.999)
    if h_mat is None or h_mask is None or not np.isfinite(h_mat).all():
        return None
    return ViewMatch(homography=h_mat, fundamental=f_mat[:3], pts_a=pa, pts_b=pb,
                     plane=h_mask.ravel().astype(bool), candidates=len(pairs))


def local_homography(vm: ViewMatch, box: tuple[float, float, float, float], min_points: int = 12
                     ) -> np.ndarray | None:
    """A homography B→A fitted to the matches near ``box`` (x, y, w, h in A's working pixels), or None."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    for grow in (1.5, 2.5, 4.0):
        rx, ry = max(w, 40) * grow, max(h, 40) * grow
        near = (np.abs(vm.pts_a[:, 0] - cx) <= rx) & (np.abs(vm.pts_a[:, 1] - cy) <= ry)
        if near.sum() >= min_points:
            h_mat, mask = cv2.findHomography(vm.pts_b[near], vm.pts_a[near], cv2.USAC_MAGSAC, 3.0,
                                             maxIters=2000, confidence=0.995)
            if h_mat is not None and mask is not None and mask.sum() >= min_points * 0.6 and np.isfinite(h_mat).all():
                return h_mat
    return None


def planes(vm: ViewMatch, max_planes: int = 3, min_points: int = 15) -> list[np.ndarray]:
    """Homographies B→A of the main surfaces: the dominant one, then those fitted to what is left.

    A box photographed from two angles is several planes; a scene with depth is approximately a few
    planes at different distances. Structure explained by any of them is not a difference between the
    photos. Sequential RANSAC on the epipolar-consistent matches.
    """
    found = [vm.homography]
    rest = ~vm.plane
    while len(found) < max_planes and rest.sum() >= min_points:
        h_mat, mask = cv2.findHomography(vm.pts_b[rest], vm.pts_a[rest], cv2.USAC_MAGSAC, 3.0,
                                         maxIters=2000, confidence=0.995)
        if h_mat is None or mask is None or mask.sum() < min_points or not np.isfinite(h_mat).all():
            break
        found.append(h_mat)
        idx = np.flatnonzero(rest)
        rest[idx[mask.ravel().astype(bool)]] = False
    return found


def area_scale(homography: np.ndarray, point: tuple[float, float]) -> float:
    """Linear magnification of ``homography`` at ``point`` (sqrt of the Jacobian determinant)."""
    x, y = point
    h = homography
    den = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    if abs(den) < 1e-12:
        return 1.0
    u = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / den
    v = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / den
    jac = np.array([[h[0, 0] - u * h[2, 0], h[0, 1] - u * h[2, 1]],
                    [h[1, 0] - v * h[2, 0], h[1, 1] - v * h[2, 1]]]) / den
    return float(np.sqrt(abs(np.linalg.det(jac))))


def map_box(homography: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Bounding box (x, y, w, h) of ``box`` mapped through ``homography``."""
    x, y, w, h = box
    corners = np.float64([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]).reshape(-1, 1, 2)
    out = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    x0, y0 = out.min(axis=0)
    x1, y1 = out.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)
