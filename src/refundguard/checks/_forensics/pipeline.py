"""The blind local-trace analysis of one picture: cues, fusion, regions, score (arrays in, result out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from refundguard.checks._forensics.filters import box_mean
from refundguard.checks._forensics.fuse import RegionEvidence, cue_maps, find_regions, heatmap
from refundguard.checks._forensics.jpeg_dct import DQ_FREQUENCIES, block_dct_planes, dq_analysis, unclipped_blocks
from refundguard.checks._forensics.jpeg_grid import grid_analysis
from refundguard.checks._forensics.jpeg_lattice import LatticeResult, lattice_analysis
from refundguard.checks._forensics.noise import noise_zmap
from refundguard.checks._forensics.orient import orient_array, orient_box
from refundguard.checks._forensics.resample import ResampleResult, block_size, resample_analysis, resample_cells
from refundguard.parallel import Forked, fork

#: pictures smaller than this (shorter side, pixels) are not analysed.
MIN_SIDE = 64
#: above this longer side (pixels) the noise cue runs on 2x2-binned luma.
NOISE_BIN_ABOVE = 2400


@dataclass
class TamperResult:
    """Outcome for one picture, in the displayed frame.

    ``heat`` is a [0, 1] map on a grid of ``cell`` pixels; ``regions`` are pixel boxes
    ``(x, y, w, h)`` with their evidence; ``score`` is the best region's score (0 when none).
    """

    score: float
    heat: np.ndarray
    cell: int
    regions: list[dict[str, Any]] = field(default_factory=list)
    cues: dict[str, Any] = field(default_factory=dict)


def clipped_pixels(pixels: np.ndarray, low: int = 4, high: int = 251) -> np.ndarray:
    """Pixels where any channel of ``pixels`` ((H, W, 3) or (H, W)) is at most ``low`` or at least ``high``."""
    if pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3 and 0 <= low < high <= 255:
        # the same mask in one pass: a uint8 pixel is unclipped when every channel lies in [low + 1, high - 1]
        inside = cv2.inRange(np.ascontiguousarray(pixels), (low + 1,) * 3, (high - 1,) * 3)
        return inside == 0
    p = pixels if pixels.ndim == 3 else pixels[..., None]
    out = np.zeros(p.shape[:2], bool)
    for c in range(p.shape[2]):
        ch = p[..., c]
        out |= (ch >= high) | (ch <= low)
    return out


def grid_geometry(height: int, width: int) -> tuple[int, int]:
    """Cue-grid cell size (pixels, multiple of 8) and smoothing window (cells) for a picture."""
    cell = 8 * max(1, math.ceil(max(height, width) / 1600))
    window = max(3, round(min(height, width) / cell / 12))
    return cell, window


def _cell_sums(values: np.ndarray, valid: np.ndarray, k: int, ny: int, nx: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of ``k`` x ``k`` blocks: the sum of ``values`` over valid blocks, and the number of valid blocks.

    Block maps smaller than the cue grid (a shifted grid has fewer whole blocks) count as invalid there.
    """
    v = np.zeros((ny * k, nx * k), np.float32)
    x = np.zeros((ny * k, nx * k), np.float32)
    my, mx = min(ny * k, valid.shape[0]), min(nx * k, valid.shape[1])
    v[:my, :mx] = valid[:my, :mx]
    x[:my, :mx] = values[:my, :mx]
    return (x * v).reshape(ny, k, nx, k).sum(axis=(1, 3)), v.reshape(ny, k, nx, k).sum(axis=(1, 3))


def _dq_cells(llr: np.ndarray, valid: np.ndarray, k: int, ny: int, nx: int, window: int) -> np.ndarray:
    """Window mean of the block log-likelihood ratios over valid (unclipped) blocks, per cell."""
    num, den = _cell_sums(llr, valid, k, ny, nx)
    num = box_mean(num, window)
    den = box_mean(den, window)
    enough = den >= 0.3 * k * k
    return np.where(enough, num / np.maximum(den, 1e-6), 0.0).astype(np.float32)


#: per-block log-likelihood ratios (off vs on an earlier lattice) are bounded to this range before averaging.
LATTICE_LLR_RANGE = (-3.0, 6.0)
#: mean ratio over a neighbourhood mapped to 0 and to 1 of the lattice cue.
LATTICE_MEAN = (0.5, 2.5)


def lattice_cells(llr: np.ndarray, usable: np.ndarray, k: int, ny: int, nx: int, window: int) -> np.ndarray:
    """Mean block ratio "off the earlier lattice" around each cell, mapped to [0, 1].

    The ratios are summed over the usable blocks of a neighbourhood half the size of the other cues'
    window (a likelihood-ratio test over that area: honest blocks that happen to sit off the lattice
    are outvoted by their neighbours, a painted region accumulates), each bounded by
    :data:`LATTICE_LLR_RANGE` so that one block cannot decide alone. A neighbourhood needs at least
    three usable blocks.
    """
    num, den = _cell_sums(np.clip(llr, *LATTICE_LLR_RANGE), usable, k, ny, nx)
    size = max(3, window // 2)
    num = box_mean(num, size) * size * size
    den = box_mean(den, size) * size * size
    mean = np.where(den >= max(3.0, 0.25 * size * size * k * k), num / np.maximum(den, 1e-6), 0.0)
    a, b = LATTICE_MEAN
    return np.clip((mean - a) / (b - a), 0.0, 1.0).astype(np.float32)


def analyse(gray: np.ndarray, *, qtable: np.ndarray | None = None, is_jpeg: bool = False,
            orientation: int = 1, clipped: np.ndarray | None = None, use_resample: bool = True,
            use_lattice: bool = True) -> TamperResult:
    """Run every cue on ``gray`` (luma in the file's stored frame) and fuse them.

    Parameters
    ----------
    gray : (H, W) array
        Luma in [0, 255] in the stored frame (for JPEG: the decoder's own Y channel, uint8; every cue
        converts what it reads to float32 a strip at a time).
    qtable : (8, 8) array, optional
        The file's luma quantisation table; enables the double-quantisation cue.
    is_jpeg : bool
        The file itself is a JPEG (the final save's grid then covers the whole picture, so a missing
        grid is not a cue).
    orientation : int
        EXIF orientation used to map results to the displayed frame.
    clipped : (H, W) bool array, optional
        Stored-frame pixels with a colour channel near 0 or 255 (see :func:`clipped_pixels`);
        by default derived from the luma alone.
    use_resample, use_lattice : bool
        Include the local resampling cue (:mod:`.resample`) / the earlier-lattice cue
        (:mod:`.jpeg_lattice`); off only to measure their contribution.
    """
    h, w = gray.shape
    cell, window = grid_geometry(h, w)
    # The resampling and noise cues need only the luma: they are offered to the shared pool
    # (refundguard.parallel) while this thread does the compression cues (NumPy, SciPy and OpenCV release
    # the GIL); when no worker is free, this thread does them itself.
    resampled = fork(resample_analysis, gray, block_size(cell)) if use_resample else None
    noised = fork(_noise_map, gray, cell, window)
    return _analyse(gray, cell, window, qtable, is_jpeg, orientation, clipped, resampled, noised, use_lattice)


def _noise_map(gray: np.ndarray, cell: int, window: int) -> np.ndarray:
    h, w = gray.shape
    if max(h, w) > NOISE_BIN_ABOVE and cell >= 16:
        # Large phone pictures: camera noise is spatially correlated (demosaicing, noise reduction), so
        # 2x2-binned luma keeps the noise contrast between regions at a quarter of the cost.
        return noise_zmap(binned_2x2(gray), cell // 2, window)[0]
    return noise_zmap(gray, cell, window)[0]


def binned_2x2(gray: np.ndarray) -> np.ndarray:
    """Means of 2x2 pixels (float32), the odd last row and column dropped.

    For the decoder's uint8 levels the four pixels are added as four slices (float32 sums of four integers are
    exact in any order, so these are NumPy's ``mean(axis=(1, 3))`` numbers, bit for bit, at a sixth of its time:
    a reduction over two strided axes is slow); other luma goes through that mean itself.
    """
    h, w = gray.shape[0] // 2 * 2, gray.shape[1] // 2 * 2
    if gray.dtype != np.uint8:
        return gray[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3), dtype=np.float32)
    out = gray[0:h:2, 0:w:2].astype(np.float32)
    out += gray[0:h:2, 1:w:2]
    out += gray[1:h:2, 0:w:2]
    out += gray[1:h:2, 1:w:2]
    out *= 0.25
    return out


def _analyse(gray: np.ndarray, cell: int, window: int, qtable: np.ndarray | None, is_jpeg: bool, orientation: int,
             clipped: np.ndarray | None, resampled: Forked[ResampleResult] | None, noised: Forked[np.ndarray],
             use_lattice: bool) -> TamperResult:
    h, w = gray.shape
    ny, nx = h // cell, w // cell
    cues: dict[str, Any] = {"cell": cell, "window": window}
    dq_map = None
    lattice_map = None
    if clipped is None:
        clipped = clipped_pixels(gray)
    if is_jpeg and qtable is not None:
        # only the frequencies the cue reads (a third of the picture's size in float32, not held afterwards)
        coef = block_dct_planes(gray, DQ_FREQUENCIES)
        dq = dq_analysis(coef, block_dct_planes(gray, DQ_FREQUENCIES, (4, 4), step=2), qtable)
        del coef
        cues["dq"] = {"observed": dq.observed, "frequencies": len(dq.used), "grid_fit": round(dq.grid_fit, 3),
                      "double_fraction": round(dq.alpha, 3),
                      "first_steps": {f"{d['u']},{d['v']}": int(d["q1"]) for d in dq.used[:6]}}
        if dq.observed and dq.grid_fit >= 0.3:
            usable = unclipped_blocks(clipped)
            # Per-block ratio scaled to "4 frequencies' worth", so that the map's scale does not depend
            # on how many frequencies showed double quantisation.
            dq_map = _dq_cells(dq.llr / max(len(dq.used), 1) * 4.0, usable, cell // 8, ny, nx, window)
    # An earlier compression on another grid (a cropped JPEG saved again), or the JPEG a lossless file
    # was exported from: blocks off that lattice were changed after it.
    lattice = (lattice_analysis(gray, exclude_final_grid=is_jpeg, clipped=clipped) if use_lattice
               else LatticeResult(shift=None, score=0.0, runner_up=0.0))
    cues["lattice"] = {"observed": lattice.observed, "score": round(lattice.score, 1),
                       "runner_up": round(lattice.runner_up, 1)}
    native = ((0, 0),) if is_jpeg else ()  # grids that cover the whole picture are never foreign
    if lattice.observed and lattice.shift is not None:
        cues["lattice"].update({
            "kind": "non_aligned" if is_jpeg else "lossless_after_jpeg", "shift": list(lattice.shift),
            "steps": {f"{f['u']},{f['v']}": int(f["q"]) for f in lattice.steps[:6]}})
        lattice_map = lattice_cells(lattice.llr, lattice.usable, cell // 8, ny, nx, window)
        native = (*native, lattice.shift)
    grid = grid_analysis(gray, cell, window, native)
    cues["grid"] = {"phase": list(grid.phase), "strength": round(grid.strength, 2)}
    grid_map = grid.shifted if is_jpeg else np.maximum(grid.shifted, grid.missing)
    noise_z = noised.result()
    shapes = [m.shape for m in (grid_map, noise_z, dq_map, lattice_map) if m is not None]
    ny, nx = min(s[0] for s in shapes), min(s[1] for s in shapes)
    resample_map = None
    if resampled is not None:
        rs = resampled.result()
        cues["resample"] = {"block": rs.block, "hot_blocks": int((rs.strength > 0).sum())}
        resample_map = resample_cells(rs, cell, ny, nx)
    maps = cue_maps(dq_map[:ny, :nx] if dq_map is not None else None, grid_map[:ny, :nx], noise_z[:ny, :nx],
                    (ny, nx), resample=resample_map,
                    lattice=lattice_map[:ny, :nx] if lattice_map is not None else None)
    heat = heatmap(maps)
    found = find_regions(maps, heat)
    regions = [_region_dict(r, cell, orientation, w, h) for r in found[:3] if r.score >= 0.05]
    full = np.zeros((math.ceil(h / cell), math.ceil(w / cell)), np.float32)
    full[:ny, :nx] = heat
    score = regions[0]["score"] if regions else 0.0
    return TamperResult(score=score, heat=orient_array(full, orientation), cell=cell, regions=regions, cues=cues)


def _region_dict(r: RegionEvidence, cell: int, orientation: int, width: int, height: int) -> dict[str, Any]:
    bx, by, bw, bh = r.box
    x, y, ww, hh = orient_box((bx * cell, by * cell, bw * cell, bh * cell), orientation, width, height)
    return {"box": (int(x), int(y), int(ww), int(hh)), "score": round(r.score, 4),
            "strengths": {k: round(v, 3) for k, v in r.strengths.items()},
            "fill": round(r.fill, 3), "share": round(r.share, 3), "cells": r.cells}
