"""Warp a reference into the claim frame and refine the homography to sub-pixel accuracy with ECC."""

from __future__ import annotations

import cv2
import numpy as np

from refundguard.checks._align.prepare import resize_matrix

ECC_SIDE = 640
ECC_ITERATIONS = 60


def homography_scale(h: np.ndarray, at: tuple[float, float]) -> float:
    """Local linear scale factor of ``h`` at point ``at`` (claim pixels per reference pixel)."""
    x, y = at
    pts = np.array([[x, y], [x + 1, y], [x, y + 1]], np.float64).reshape(-1, 1, 2)
    p = cv2.perspectiveTransform(pts, h).reshape(-1, 2)
    jac = np.stack([p[1] - p[0], p[2] - p[0]], axis=1)
    return float(np.sqrt(abs(np.linalg.det(jac))))


def warp(image: np.ndarray, h: np.ndarray, size: tuple[int, int],
         interpolation: int = cv2.INTER_LINEAR) -> tuple[np.ndarray, np.ndarray]:
    """Warp ``image`` (reference) with ``h`` (reference -> claim) into a canvas of ``size`` = (w, h).

    The reference is first reduced with area averaging when the claim shows it smaller, so that the
    warp does not alias. Returns the warped image and the mask of claim pixels the reference covers
    (eroded by 2 px so interpolated borders are excluded).
    """
    ih, iw = image.shape[:2]
    s = homography_scale(h, (iw / 2, ih / 2))
    if s < 0.8:
        f = max(s, 1.0 / max(iw, ih))
        small = cv2.resize(image, (max(1, round(iw * f)), max(1, round(ih * f))), interpolation=cv2.INTER_AREA)
        h = h @ np.linalg.inv(resize_matrix(small.shape[1] / iw, small.shape[0] / ih))
        image = small
    out = cv2.warpPerspective(image, h, size, flags=interpolation, borderMode=cv2.BORDER_REFLECT)
    ones = np.ones(image.shape[:2], np.uint8)
    valid = cv2.warpPerspective(ones, h, size, flags=cv2.INTER_NEAREST, borderValue=0)
    valid = cv2.erode(valid, np.ones((5, 5), np.uint8)).astype(bool)
    return out, valid


def refine(claim_gray: np.ndarray, ref_gray: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, bool]:
    """Refine ``h`` (reference -> claim, working pixels) by maximising the enhanced correlation coefficient.

    ECC runs on copies whose long side is at most ``ECC_SIDE``; it is invariant to a global gain and
    offset of brightness. Returns the refined homography and whether ECC converged (else ``h`` unchanged).
    """
    ch, cw = claim_gray.shape
    f = min(1.0, ECC_SIDE / max(ch, cw))
    size = (max(1, round(cw * f)), max(1, round(ch * f)))
    template = cv2.resize(claim_gray, size, interpolation=cv2.INTER_AREA) if f < 1 else claim_gray
    s_claim = resize_matrix(size[0] / cw, size[1] / ch)
    h_small = s_claim @ h
    warped, valid = warp(ref_gray, h_small, size)
    if valid.mean() < 0.05:
        return h, False
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, ECC_ITERATIONS, 1e-6)
    w = np.eye(3, dtype=np.float32)
    try:
        _, w = cv2.findTransformECC(template.astype(np.float32), warped.astype(np.float32), w,
                                    cv2.MOTION_HOMOGRAPHY, criteria, valid.astype(np.uint8), 5)
    except cv2.error:
        return h, False
    if not np.all(np.isfinite(w)):
        return h, False
    # warped(W x) ~ claim(x): reference -> claim (small) is W^-1 @ h_small
    refined_small = np.linalg.inv(w.astype(np.float64)) @ h_small
    # reject a refinement that moves the frame by more than a few pixels: ECC then locked on something else
    corners = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], np.float64).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, np.linalg.inv(w.astype(np.float64))) - corners
    if float(np.abs(moved).max()) > 6.0:
        return h, False
    refined = np.linalg.inv(s_claim) @ refined_small
    return refined / refined[2, 2], True
