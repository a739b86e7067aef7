"""Match one object between two photos: SIFT features, ratio test, RANSAC fundamental matrix and homography."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._views.config import MatchSettings

#: seed of OpenCV's random generator for matching (results are reproducible)
_SEED = 14


@dataclass(frozen=True)
class WorkImage:
    """Working copies of a photo (grey and colour) and the factor from original to working pixels."""

    gray: np.ndarray  # (h, w) uint8
    scale: float
    rgb: np.ndarray | None = None  # (h, w, 3) uint8, same size as ``gray``
    size: tuple[int, int] = (0, 0)  # original (width, height)

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

    ``homography`` maps B to A (the dominant surface); ``fundamental`` is the epipolar geometry
    (``x_b^T F x_a = 0``); ``pts_a``/``pts_b`` are the epipolar-consistent matches; ``plane`` flags
    those that also obey the homography.
    """

    homography: np.ndarray
    fundamental: np.ndarray
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

    def flipped(self) -> ViewMatch:
        """The same relation seen from B (A and B swapped)."""
        return ViewMatch(np.linalg.inv(self.homography), self.fundamental.T, self.pts_b, self.pts_a, self.plane,
                         self.candidates)


def work_image(rgb: np.ndarray, side: int = 1024) -> WorkImage:
    """Working copies whose longest side is at most ``side`` pixels (area averaging)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, side / max(h, w))
    small = np.ascontiguousarray(rgb)
    if scale < 1.0:
        small = cv2.resize(small, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return WorkImage(gray=gray, scale=scale, rgb=small, size=(w, h))


def features(image: WorkImage, n: int = 4000) -> Features:
    """SIFT keypoints (as points) and descriptors of a working image."""
    sift = cv2.SIFT_create(nfeatures=n)
    kps, desc = sift.detectAndCompute(image.gray, None)
    if desc is None or not kps:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32))
    return Features(np.float32([k.pt for k in kps]), desc.astype(np.float32))


def _backward(matcher: cv2.FlannBasedMatcher, fb: Features, fa: Features, wanted: list[int]) -> dict[int, int]:
    """Nearest neighbour in ``fa`` of each of ``fb``'s descriptors ``wanted`` (the mutual check's other way).

    Only the descriptors of ``fb`` that some ratio-test match points to are looked up: the index is built on
    all of ``fa`` as before (the same trees from the same generator state) and each query is searched on its
    own, so every neighbour is the one the whole set's lookup found -- at a fraction of the queries."""
    if not wanted:
        return {}
    rows = np.asarray(wanted)
    found = matcher.knnMatch(np.ascontiguousarray(fb.descriptors[rows]), fa.descriptors, k=1)
    return {int(rows[m[0].queryIdx]): m[0].trainIdx for m in found if m}


def match(fa: Features, fb: Features, settings: MatchSettings | None = None) -> ViewMatch | None:
    """Match two feature sets; None when they do not reliably show the same object.

    Lowe's ratio test with a mutual check, then a RANSAC (MAGSAC++) fundamental matrix keeps the
    matches consistent with one rigid scene seen from two positions; a homography fitted to those
    describes the dominant surface.
    """
    cfg = settings or MatchSettings()
    if len(fa.keypoints) < cfg.min_inliers or len(fb.keypoints) < cfg.min_inliers:
        return None
    # randomised k-d trees (FLANN): several times faster than brute force on 4000 × 4000 descriptors. They
    # and RANSAC draw from OpenCV's per-thread generator: seeded, the same photos always give the same match
    cv2.setRNGSeed(_SEED)
    matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 64})
    knn = matcher.knnMatch(fa.descriptors, fb.descriptors, k=2)
    ratio = [(m[0].queryIdx, m[0].trainIdx) for m in knn if len(m) == 2 and m[0].distance < cfg.ratio * m[1].distance]
    back = _backward(matcher, fb, fa, sorted({t for _, t in ratio}))
    pairs = [(q, t) for q, t in ratio if back.get(t) == q]
    if len(pairs) < cfg.min_inliers:
        return None
    idx = np.array(pairs)
    pa, pb = fa.keypoints[idx[:, 0]], fb.keypoints[idx[:, 1]]
    try:  # OpenCV's USAC asserts on some degenerate point sets instead of returning no model
        f_mat, f_mask = cv2.findFundamentalMat(pa, pb, cv2.USAC_MAGSAC, 1.5, 0.999, 5000)
    except cv2.error:
        return None
    if f_mat is None or f_mask is None:
        return None
    keep = f_mask.ravel().astype(bool)
    if keep.sum() < cfg.min_inliers or keep.sum() < cfg.min_inlier_share * len(pairs):
        return None
    pa, pb = pa[keep], pb[keep]
    try:
        h_mat, h_mask = cv2.findHomography(pb, pa, cv2.USAC_MAGSAC, 3.0, maxIters=5000, confidence=0.999)
    except cv2.error:
        return None
    if h_mat is None or h_mask is None or not np.isfinite(h_mat).all() or abs(np.linalg.det(h_mat)) < 1e-9:
        return None
    return ViewMatch(homography=h_mat, fundamental=f_mat[:3], pts_a=pa, pts_b=pb,
                     plane=h_mask.ravel().astype(bool), candidates=len(pairs))


def equalised(image: WorkImage, clip: float) -> WorkImage:
    """``image`` with its contrast equalised locally (CLAHE, 8×8 tiles): a dim or unevenly lit photo's texture
    at the contrast of a well-lit one."""
    gray = cv2.createCLAHE(clipLimit=clip, tileGridSize=(8, 8)).apply(image.gray)
    return WorkImage(gray=gray, scale=image.scale, rgb=image.rgb, size=image.size)


class EqualisedFeatures:
    """SIFT features of photos' locally equalised copies (:func:`equalised`), made once per photo however many
    of its pairs retry: a claim photo that matches none of the others is in every one of its pairs."""

    def __init__(self, settings: MatchSettings) -> None:
        self.settings = settings
        self._made: dict[int, tuple[WorkImage, Features]] = {}  # by id; the image is kept, so its id stays its own

    def __call__(self, image: WorkImage) -> Features:
        made = self._made.get(id(image))
        if made is None:
            made = (image, features(equalised(image, self.settings.equalised_retry), self.settings.features))
            self._made[id(image)] = made
        return made[1]


def match_views(wa: WorkImage, fa: Features, wb: WorkImage, fb: Features, settings: MatchSettings | None = None,
                *, retry: EqualisedFeatures | None = None) -> ViewMatch | None:
    """:func:`match` of two photos' features; when that finds no match and ``settings.equalised_retry`` is
    set, the same on features of their locally equalised copies (``retry``, shared by the pairs of one claim;
    a fresh one when not given).

    A photo under another light — a dim, low-contrast surface lit from one side — yields few SIFT features
    (tens, not thousands) and too few matches; equalised, the same surface gives hundreds. The retry runs
    only for pairs that did not match, so every pair that matched before keeps its match."""
    cfg = settings or MatchSettings()
    vm = match(fa, fb, cfg)
    if vm is not None or cfg.equalised_retry <= 0:
        return vm
    retry = retry or EqualisedFeatures(cfg)
    return match(retry(wa), retry(wb), cfg)


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
