"""Where does an aligned, colour-normalised reference differ from the claim? Map, mask and boxes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BLUR_SIGMA = 1.0
HI_SIGMAS = 7.0
LO_SIGMAS = 3.0
HI_FLOOR = 0.09
LO_FLOOR = 0.035
MIN_AREA_SHARE = 2e-4
MIN_AREA_PX = 24


@dataclass(frozen=True)
class Changes:
    """Changed area of the claim (working pixels).

    Attributes
    ----------
    heat : (h, w) float32 in [0, 1], 0 outside the reference footprint; values >= 0.5 mark exactly the
        changed pixels (``mask``), lower values show sub-threshold differences.
    mask : (h, w) bool, the changed pixels.
    boxes : (x, y, w, h) per changed component, largest first.
    noise : robust sigma of the residual difference over the footprint (JPEG/resampling noise level).
    share : changed pixels / footprint pixels.
    peak : strongest difference inside the mask, in units of the high threshold (0 when nothing changed).
    """

    heat: np.ndarray
    mask: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    noise: float
    share: float
    peak: float


def difference(claim: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-pixel colour difference tolerant of sub-pixel misalignment and resampling.

    Both images are lightly blurred; the reference may shift by up to one pixel in any direction and
    the smallest max-channel absolute difference is kept, so edges that moved by interpolation do not
    light up while new structure (a crack, a stain, inpainted content) does.
    """
    c = cv2.GaussianBlur(claim, (0, 0), BLUR_SIGMA)
    r = cv2.GaussianBlur(ref, (0, 0), BLUR_SIGMA)
    pad = cv2.copyMakeBorder(r, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    h, w = c.shape[:2]
    best: np.ndarray | None = None
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            ch = cv2.split(cv2.absdiff(c, np.ascontiguousarray(pad[dy:dy + h, dx:dx + w])))
            d = cv2.max(cv2.max(ch[0], ch[1]), ch[2])
            best = d if best is None else cv2.min(best, d)
    assert best is not None
    return best


def find_changes(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray,
                 unchanged: np.ndarray | None = None) -> Changes:
    """Threshold the difference map with hysteresis, clean it with morphology, keep solid components.

    Parameters
    ----------
    claim, ref : (h, w, 3) float32, aligned and colour-normalised.
    valid : pixels the reference covers.
    unchanged : optional pixels known to share the capture (tiles whose fine detail correlates); the
        noise level is estimated there, so an edit covering most of the photo cannot inflate it.
    """
    d = difference(claim, ref)
    d[~valid] = 0.0
    inside = d[valid]
    if unchanged is not None and int((unchanged & valid).sum()) >= max(500, 0.05 * inside.size):
        inside = d[unchanged & valid]
    noise = float(1.4826 * np.median(inside)) + 0.003 if inside.size else 1.0
    hi = max(HI_SIGMAS * noise, HI_FLOOR)
    lo = max(LO_SIGMAS * noise, LO_FLOOR)
    heat = np.clip(d / hi, 0.0, 1.0).astype(np.float32)
    grow = (d > lo).astype(np.uint8)
    grow = cv2.morphologyEx(grow, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    grow = cv2.morphologyEx(grow, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    grow &= valid.astype(np.uint8)
    seeds = d > hi
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grow, connectivity=8)
    footprint = int(valid.sum())
    min_area = max(MIN_AREA_PX, int(MIN_AREA_SHARE * footprint))
    keep = np.zeros(n, bool)
    seeded = np.bincount(labels[seeds], minlength=n)
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] >= min_area and seeded[i] >= 4:
            keep[i] = True
    mask = keep[labels]
    order = sorted((i for i in range(1, n) if keep[i]), key=lambda i: -stats[i, cv2.CC_STAT_AREA])
    boxes = [(int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 2]), int(stats[i, 3])) for i in order]
    share = float(mask.sum()) / max(1, footprint)
    peak = float(d[mask].max() / hi) if mask.any() else 0.0
    heat = np.where(mask, np.maximum(heat, 0.5), np.minimum(heat, 0.49)) * valid
    return Changes(heat=heat.astype(np.float32), mask=mask, boxes=boxes, noise=noise, share=share, peak=peak)
