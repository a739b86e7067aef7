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


#: corner movement (px, at ECC_SIDE) beyond which a diverging ECC run is given up (see :func:`ecc_warp`; the
#: check passes ``[checks.reference] ecc_give_up_px``, whose default this is)
ECC_GIVE_UP_PX = 48.0
#: largest corner movement (px, at ECC_SIDE) of an accepted refinement: more, and ECC locked on something else
ECC_MAX_MOVE_PX = 6.0
ECC_EPS = 1e-6
ECC_FILTER = 5


def _moved(w: np.ndarray, size: tuple[int, int]) -> float:
    """Largest corner displacement (px) of the frame under the inverse of the ECC warp ``w``."""
    corners = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], np.float64).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, np.linalg.inv(w.astype(np.float64))) - corners
    return float(np.abs(moved).max())


def ecc_warp(template: np.ndarray, image: np.ndarray, mask: np.ndarray, size: tuple[int, int],
             iterations: int = ECC_ITERATIONS, give_up_px: float = ECC_GIVE_UP_PX) -> np.ndarray | None:
    """OpenCV's ECC homography of ``image`` onto ``template``, one iteration per call; None when it fails.

    The loop is OpenCV's own (``cv2.findTransformECC`` with ``iterations`` and ``ECC_EPS``): each call runs
    one iteration from the warp the previous one returned, and the loop stops where OpenCV's would (the
    correlation changed by less than ``ECC_EPS``, or ``iterations`` done), so the warp is bit for bit the one
    of a single call. Between iterations the frame's corner movement is looked at: a run that has moved the
    frame by more than ``give_up_px`` has diverged (two captures of a scene, measured: 8-16 px after the first
    iteration, 270-550 px after sixty) and is given up, since a refinement that moves it by more than
    ``ECC_MAX_MOVE_PX`` is rejected anyway. docs/reference_check.md gives the measurement that no refinement
    of the benchmarks' pairs came back from ``give_up_px`` to an accepted one.
    """
    w = np.eye(3, dtype=np.float32)
    last = -1.0  # OpenCV's loop starts from rho = -1
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 1, ECC_EPS)
    for step in range(iterations):
        try:
            rho, w = cv2.findTransformECC(template, image, w, cv2.MOTION_HOMOGRAPHY, criteria, mask, ECC_FILTER)
        except cv2.error:
            return None
        if abs(rho - last) < ECC_EPS or step == iterations - 1:
            break
        last = rho
        try:
            if _moved(w, size) > give_up_px:
                return None
        except np.linalg.LinAlgError:  # a singular intermediate warp: OpenCV's loop goes on, and so does this
            continue
    return w


def refine(claim_gray: np.ndarray, ref_gray: np.ndarray, h: np.ndarray,
           give_up_px: float = ECC_GIVE_UP_PX, exclude: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Refine ``h`` (reference -> claim, working pixels) by maximising the enhanced correlation coefficient.

    ECC runs on copies whose long side is at most ``ECC_SIDE``; it is invariant to a global gain and
    offset of brightness. Returns the refined homography and whether ECC converged (else ``h`` unchanged).
    ``give_up_px``: see :func:`ecc_warp` (``[checks.reference] ecc_give_up_px``). ``exclude``: claim pixels
    (working frame) left out of the correlation, e.g. changed areas found by a first comparison.
    """
    ch, cw = claim_gray.shape
    f = min(1.0, ECC_SIDE / max(ch, cw))
    size = (max(1, round(cw * f)), max(1, round(ch * f)))
    template = cv2.resize(claim_gray, size, interpolation=cv2.INTER_AREA) if f < 1 else claim_gray
    s_claim = resize_matrix(size[0] / cw, size[1] / ch)
    h_small = s_claim @ h
    warped, valid = warp(ref_gray, h_small, size)
    if exclude is not None:
        valid &= cv2.resize(exclude.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) == 0
    if valid.mean() < 0.05:
        return h, False
    w = ecc_warp(template.astype(np.float32), warped.astype(np.float32), valid.astype(np.uint8), size,
                 give_up_px=give_up_px)
    if w is None or not np.all(np.isfinite(w)):
        return h, False
    # warped(W x) ~ claim(x): reference -> claim (small) is W^-1 @ h_small
    refined_small = np.linalg.inv(w.astype(np.float64)) @ h_small
    # reject a refinement that moves the frame by more than a few pixels: ECC then locked on something else
    if _moved(w, size) > ECC_MAX_MOVE_PX:
        return h, False
    refined = np.linalg.inv(s_claim) @ refined_small
    return refined / refined[2, 2], True
