"""The area detector: where does an aligned pair differ by more than its noise, as solid regions?

This is the reference check's first change detector (claimbench's large cracks, stains, tears, pasted
defects and AI inpainting). The difference is the max-channel absolute difference of the lightly
blurred claim and normalised reference, minimised over +-1 px shifts of the reference, so edges moved
by interpolation stay dark while new structure lights up. Its noise level is the robust sigma over the
tiles the capture test found consistent. Hysteresis (seeds above ``max(hi_sigmas * noise, hi_floor)``,
grown above ``max(lo_sigmas * noise, lo_floor)``), an opening and a closing make solid components; a
component needs ``min_area_px`` (or ``min_area_share`` of the footprint) and ``min_seed_px`` seeds.

It finds large changes with their whole extent (a good outline), but judges every pixel against one
noise level for the whole photo: thin lines vanish under the blur and the area floor, and texture that
re-encoding churns (foliage) can light up. :mod:`changes` is the structure-aware detector that covers
both; :func:`compare.compare` uses the two together.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._align.settings import AreaSettings


@dataclass(frozen=True)
class AreaChanges:
    """Changed area of the claim (working pixels).

    Attributes
    ----------
    mask : (h, w) bool, the changed pixels.
    labels : (h, w) int32, one label per component (0 = unchanged).
    boxes : (x, y, w, h) per component, indexed by ``label - 1``.
    areas : pixels per component, indexed by ``label - 1``.
    strength : (h, w) float32, the difference over the high threshold (0 outside the footprint).
    noise : robust sigma of the difference over the footprint (JPEG/resampling noise level).
    share : changed pixels / footprint pixels.
    """

    mask: np.ndarray
    labels: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    areas: list[int]
    strength: np.ndarray
    noise: float
    share: float


def difference(claim: np.ndarray, ref: np.ndarray, blur_sigma: float) -> np.ndarray:
    """Per-pixel colour difference tolerant of sub-pixel misalignment and resampling (see module docstring)."""
    c = cv2.GaussianBlur(claim, (0, 0), blur_sigma)
    r = cv2.GaussianBlur(ref, (0, 0), blur_sigma)
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


def find_area_changes(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, unchanged: np.ndarray | None = None,
                      settings: AreaSettings | None = None) -> AreaChanges:
    """Threshold the difference map with hysteresis, clean it with morphology, keep solid components.

    Parameters
    ----------
    claim, ref : (h, w, 3) float32, aligned and colour-normalised.
    valid : pixels the reference covers.
    unchanged : optional pixels known to share the capture (tiles whose fine detail correlates); the
        noise level is estimated there, so an edit covering most of the photo cannot inflate it.
    settings : thresholds (defaults when None).
    """
    s = settings or AreaSettings()
    d = difference(claim, ref, s.blur_sigma)
    d[~valid] = 0.0
    inside = d[valid]
    if unchanged is not None and int((unchanged & valid).sum()) >= max(500, 0.05 * inside.size):
        inside = d[unchanged & valid]
    noise = float(1.4826 * np.median(inside)) + 0.003 if inside.size else 1.0
    hi = max(s.hi_sigmas * noise, s.hi_floor)
    lo = max(s.lo_sigmas * noise, s.lo_floor)
    grow = (d > lo).astype(np.uint8)
    grow = cv2.morphologyEx(grow, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    grow = cv2.morphologyEx(grow, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    grow &= valid.astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grow, connectivity=8)
    footprint = int(valid.sum())
    min_area = max(s.min_area_px, int(s.min_area_share * footprint))
    seeded = np.bincount(labels[d > hi], minlength=n)
    order = sorted((i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area and seeded[i] >= s.min_seed_px),
                   key=lambda i: -stats[i, cv2.CC_STAT_AREA])
    relabel = np.zeros(n, np.int32)
    relabel[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    labels = relabel[labels]
    mask = labels > 0
    boxes = [(int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 2]), int(stats[i, 3])) for i in order]
    strength = (d / hi).astype(np.float32) * valid
    return AreaChanges(mask=mask, labels=labels, boxes=boxes, areas=[int(stats[i, cv2.CC_STAT_AREA]) for i in order],
                       strength=strength, noise=noise, share=float(mask.sum()) / max(1, footprint))
