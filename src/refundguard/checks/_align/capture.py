"""Same-capture evidence: do claim and aligned reference share fine detail and align to sub-pixel?

Two photos derived from one capture share its fine texture and sensor noise pattern and, once a
homography is fitted, agree to a fraction of a pixel everywhere except where they were edited. Two
different captures of the same object, even from nearly the same viewpoint, do not: parallax moves
off-plane parts, lighting and noise are independent, so their high-pass residuals decorrelate.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TILE = 32
SHIFT_TILE = 64
HP_SIGMA = 1.5
PIXEL_SIGMA = 0.8
TEXTURE_MIN = 0.006  # high-pass std (gray in [0, 1]) a tile needs to say anything
NCC_CONSISTENT = 0.5
NCC_MID = 0.8
SHIFT_ALIGNED = 0.3


@dataclass(frozen=True)
class CaptureEvidence:
    """Statistics over the area the reference covers.

    Attributes
    ----------
    consistency : combined same-capture score in [0, 1]: the mean of ``aligned`` and the larger of
        ``fine`` and ``mid`` (see docs/reference_check.md for the measurements behind it).
    fine : share of textured tiles whose fine high-pass residuals correlate (NCC >= 0.5): shared noise.
    mid : share of tiles whose mid-band detail (DoG 1-3 px) correlates strongly (NCC >= 0.8).
    aligned : share of textured 64 px tiles whose residual shift is under 0.3 px: sub-pixel alignment.
    pixel : median NCC of pixel-level detail (image minus Gaussian σ 0.8) over textured tiles: copies of
        one file keep it (>= 0.65 through every laundering step measured), re-shoots do not.
    median_ncc : median fine high-pass NCC over textured tiles.
    residual_px : median local misalignment (phase correlation on 64 px tiles), claim working pixels.
    textured_tiles : number of tiles with enough detail to judge.
    tile_ncc : (rows, cols) per-tile NCC (NaN where untextured or outside the reference).
    """

    consistency: float
    fine: float
    mid: float
    aligned: float
    pixel: float
    median_ncc: float
    residual_px: float
    textured_tiles: int
    tile_ncc: np.ndarray


def high_pass(gray: np.ndarray, sigma: float = HP_SIGMA) -> np.ndarray:
    """Detail residual: the image minus its Gaussian blur."""
    return gray - cv2.GaussianBlur(gray, (0, 0), sigma)


def mid_band(gray: np.ndarray) -> np.ndarray:
    """Difference of Gaussians (1 and 3 px): structure that survives re-encoding and regeneration."""
    return cv2.GaussianBlur(gray, (0, 0), 1.0) - cv2.GaussianBlur(gray, (0, 0), 3.0)


def _tile_view(a: np.ndarray, t: int) -> np.ndarray:
    rows, cols = a.shape[0] // t, a.shape[1] // t
    return a[: rows * t, : cols * t].reshape(rows, t, cols, t).swapaxes(1, 2)


def tile_ncc(hp_claim: np.ndarray, hp_ref: np.ndarray, valid: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Per-tile normalised cross-correlation of two detail images (NaN where not judgeable)."""
    hc = _tile_view(hp_claim, tile)
    hr = _tile_view(hp_ref, tile)
    vm = _tile_view(valid.astype(np.float32), tile).mean(axis=(2, 3))
    hc = hc - hc.mean(axis=(2, 3), keepdims=True)
    hr = hr - hr.mean(axis=(2, 3), keepdims=True)
    sc = np.sqrt((hc * hc).mean(axis=(2, 3)))
    sr = np.sqrt((hr * hr).mean(axis=(2, 3)))
    ncc = (hc * hr).mean(axis=(2, 3)) / np.maximum(sc * sr, 1e-12)
    judgeable = (vm > 0.95) & (np.minimum(sc, sr) > TEXTURE_MIN)
    return np.where(judgeable, ncc, np.nan).astype(np.float32)


def local_shifts(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, tile: int = SHIFT_TILE,
                 max_tiles: int = 160) -> np.ndarray:
    """Sub-pixel shift magnitudes between claim and reference on the most textured overlapping tiles.

    Each tile is multiplied by the Hanning window in place, on this function's blurred copies, before its
    phase correlation, most textured tile first; overlapping tiles measured later see the windowed pixels.
    That is what ``cv2.phaseCorrelate(r, c, win)`` did on OpenCV 4.x (it windowed its inputs in place when
    no DFT padding was needed) and what the same-capture thresholds (``SHIFT_ALIGNED``, ``SAME_CENTER`` of
    :mod:`.compare`) were measured with; OpenCV 5 leaves its inputs untouched. Windowing here, not inside
    OpenCV, gives the same shifts on either version.
    """
    c = cv2.GaussianBlur(claim, (0, 0), 1.0)
    r = cv2.GaussianBlur(ref, (0, 0), 1.0)
    win = cv2.createHanningWindow((tile, tile), cv2.CV_32F)
    step = tile // 2
    candidates: list[tuple[float, int, int]] = []
    for y in range(0, c.shape[0] - tile + 1, step):
        for x in range(0, c.shape[1] - tile + 1, step):
            if valid[y:y + tile, x:x + tile].mean() < 0.99:
                continue
            energy = float(np.std(r[y:y + tile, x:x + tile]))
            if energy > 0.02:
                candidates.append((energy, y, x))
    candidates.sort(reverse=True)
    shifts = []
    for _, y, x in candidates[:max_tiles]:
        rt, ct = r[y:y + tile, x:x + tile], c[y:y + tile, x:x + tile]
        rt *= win
        ct *= win
        (dx, dy), _ = cv2.phaseCorrelate(rt, ct)
        shifts.append(float(np.hypot(dx, dy)))
    return np.array(shifts, np.float64)


def capture_evidence(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray) -> CaptureEvidence:
    """Measure how strongly an aligned reference shares the claim's capture (see module docstring)."""
    ncc = tile_ncc(high_pass(claim), high_pass(ref), valid)
    vals = ncc[np.isfinite(ncc)]
    mid = tile_ncc(mid_band(claim), mid_band(ref), valid)
    mvals = mid[np.isfinite(mid)]
    shifts = local_shifts(claim, ref, valid)
    pix = tile_ncc(high_pass(claim, PIXEL_SIGMA), high_pass(ref, PIXEL_SIGMA), valid)
    pvals = pix[np.isfinite(pix)]
    n = int(vals.size)
    fine = float((vals >= NCC_CONSISTENT).mean()) if n else 0.0
    mid_share = float((mvals >= NCC_MID).mean()) if mvals.size else 0.0
    aligned = float((shifts < SHIFT_ALIGNED).mean()) if shifts.size else 0.0
    consistency = 0.5 * aligned + 0.5 * max(fine, mid_share)
    return CaptureEvidence(consistency=consistency, fine=fine, mid=mid_share, aligned=aligned,
                           pixel=float(np.median(pvals)) if pvals.size else 0.0,
                           median_ncc=float(np.median(vals)) if n else 0.0,
                           residual_px=float(np.median(shifts)) if shifts.size else float("nan"),
                           textured_tiles=n, tile_ncc=ncc)
