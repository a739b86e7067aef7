"""Launder the aligned reference the way the claim was laundered, before the two are differenced.

A copy re-sent through a messaging app or saved again as a JPEG carries that encoder's error: ringing
and blocking that follow the photo's texture, block by block. The aligned reference has none of it, so
the difference of the pair is that error plus any edit, and a faint scratch drowns in it. When the
claim's pixel grid is the compared frame (the claim was not reduced for comparison and the frame starts
on a JPEG block boundary), the reference is encoded with the quality that best reproduces the claim on a
window of unchanged area: where nothing was edited the same encoder then makes nearly the same error, and
what remains is what the laundering did *not* do. A claim that was not JPEG-compressed in this grid (a
PNG, a JPEG resized after saving) is explained no better by any quality and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._align.settings import LaunderingSettings

BLOCK = 8


@dataclass(frozen=True)
class Simulated:
    """The estimated laundering: ``quality`` (None: none found), the window's mean absolute difference
    before (``before``) and after (``after``) encoding the reference with it."""

    quality: int | None
    before: float
    after: float


def encode(rgb: np.ndarray, quality: int) -> np.ndarray:
    """``rgb`` ((h, w, 3) float32 in [0, 1]) through a baseline JPEG at ``quality`` (4:2:0), back as float32."""
    bgr = cv2.cvtColor(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        return rgb
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def _window(stats: np.ndarray, ref: np.ndarray, side: int) -> tuple[int, int, int, int] | None:
    """A ``side``-px window on the block grid, at least half statistics pixels, where the reference has the
    most texture among them (JPEG's error is made in texture; a flat sky tells no quality apart)."""
    h, w = stats.shape
    side = min(side, (h // BLOCK) * BLOCK, (w // BLOCK) * BLOCK)
    if side < 4 * BLOCK:
        return None
    gray = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    detail = np.abs(gray - cv2.GaussianBlur(gray, (0, 0), 1.0)) * stats
    grid = (max(1, w // BLOCK), max(1, h // BLOCK))
    n = side // BLOCK
    boxes = [cv2.boxFilter(cv2.resize(a.astype(np.float32), grid, interpolation=cv2.INTER_AREA), -1, (n, n),
                           anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)[: max(1, grid[1] - n + 1),
                                                                           : max(1, grid[0] - n + 1)]
             for a in (stats, detail)]
    score = np.where(boxes[0] >= 0.5, boxes[1], -1.0)
    cy, cx = np.unravel_index(int(np.argmax(score)), score.shape)
    if float(score[cy, cx]) < 0:
        return None
    return int(cx) * BLOCK, int(cy) * BLOCK, side, side


def estimate(claim: np.ndarray, ref: np.ndarray, stats: np.ndarray, s: LaunderingSettings) -> Simulated:
    """The JPEG quality that best turns ``ref`` into ``claim`` on a window of ``stats`` pixels (module docstring)."""
    win = _window(stats, ref, s.window_px)
    if win is None:
        return Simulated(None, 0.0, 0.0)
    x, y, w, h = win
    c, r, m = claim[y:y + h, x:x + w], ref[y:y + h, x:x + w], stats[y:y + h, x:x + w]
    before = float(np.abs(c - r)[m].mean())
    best, quality = before, None
    for q in s.qualities:
        err = float(np.abs(c - encode(r, q))[m].mean())
        if err < best:
            best, quality = err, q
    if quality is None or best > s.min_gain * before:
        return Simulated(None, before, best)
    return Simulated(quality, before, best)


def launder_like(claim: np.ndarray, refs: list[np.ndarray], valid: np.ndarray, stats: np.ndarray,
                 offset_px: tuple[float, float], s: LaunderingSettings) -> tuple[list[np.ndarray], Simulated]:
    """``refs`` (aligned renderings of the reference in the claim frame) encoded like the claim, inside ``valid``.

    ``offset_px`` is where the compared frame starts in the claim's own pixels; off the block grid (or when
    disabled) nothing is simulated.
    """
    if not s.enabled or any(abs(v - BLOCK * round(v / BLOCK)) > 1e-6 for v in offset_px):
        return refs, Simulated(None, 0.0, 0.0)
    sim = estimate(claim, refs[0], stats, s)
    if sim.quality is None:
        return refs, sim
    keep = valid[:, :, None]
    return [np.where(keep, encode(r, sim.quality), r).astype(np.float32) for r in refs], sim
