"""JPEG blocking-grid position and presence, globally and per window.

JPEG quantises 8x8 blocks independently, so the luma steps across block borders a little more than
inside blocks. Summing that excess per column (row) phase modulo 8 gives an 8-bin profile whose peak
is the grid phase (Li, Yuan & Yu 2009, "block artifact grid"). A file saved once has its peak at phase 0
everywhere; a region pasted from another JPEG at an offset not a multiple of 8 keeps a second peak at
its own phase (a non-aligned grid), and a region painted after decoding has no grid of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from refundguard.checks._forensics.filters import box_mean


def boundary_excess(gray: np.ndarray, axis: int, clip: float = 12.0) -> np.ndarray:
    """Step across each pixel border minus the mean step of its two neighbours.

    Parameters
    ----------
    gray : (H, W) array
    axis : 1 for vertical borders (steps along x), 0 for horizontal borders.
    clip : float
        Excess values are clipped to ``[-clip, clip]`` so that image edges do not dominate.

    Returns
    -------
    (H, W) float32 array; entry ``[.., x]`` (axis 1) is the excess of the border just before
    column ``x``, so the JPEG grid of an uncropped file shows at ``x % 8 == 0``.

    For the decoder's uint8 levels every step is an integer and every excess a multiple of 1/2, so the
    excess is formed in int16 (``2 * centre - left - right``, exact) and halved once: the float32 numbers of
    the general path, bit for bit, in half its time.
    """
    if gray.dtype == np.uint8:
        return _level_excess(gray, axis, clip)
    g = gray.astype(np.float32, copy=False)
    d = np.abs(np.diff(g, axis=axis))
    n = d.shape[axis]
    mid = [slice(None), slice(None)]
    lo, hi, cen = list(mid), list(mid), list(mid)
    lo[axis], cen[axis], hi[axis] = slice(0, n - 2), slice(1, n - 1), slice(2, n)
    out = np.zeros(g.shape, np.float32)
    dst = list(mid)
    dst[axis] = slice(2, n)
    e = out[tuple(dst)]
    np.add(d[tuple(lo)], d[tuple(hi)], out=e)
    e *= -0.5
    e += d[tuple(cen)]
    np.clip(e, -clip, clip, out=e)
    return out


def _level_excess(gray: np.ndarray, axis: int, clip: float) -> np.ndarray:
    """:func:`boundary_excess` of uint8 levels, in integers until the last step."""
    d = np.abs(np.diff(gray.astype(np.int16), axis=axis))
    n = d.shape[axis]
    lo, hi, cen, dst = ([slice(None), slice(None)] for _ in range(4))
    lo[axis], cen[axis], hi[axis], dst[axis] = slice(0, n - 2), slice(1, n - 1), slice(2, n), slice(2, n)
    twice = d[tuple(cen)] * np.int16(2)
    twice -= d[tuple(lo)]
    twice -= d[tuple(hi)]
    out = np.zeros(gray.shape, np.float32)
    e = out[tuple(dst)]
    e[...] = twice
    e *= 0.5
    np.clip(e, -clip, clip, out=e)
    return out


def phase_profiles(gray: np.ndarray, cell: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell sums of the border excess by phase modulo 8, along x and along y.

    Returns two (ny, nx, 8) arrays for cells of ``cell`` x ``cell`` pixels (``cell`` a multiple of 8).
    """
    h, w = gray.shape
    ny, nx = h // cell, w // cell
    k = cell // 8
    px = np.empty((ny, nx, 8), np.float32)
    py = np.empty((ny, nx, 8), np.float32)
    # Reduce along contiguous runs first (rows of a cell, then the k blocks), which is what makes it fast; a few
    # rows of cells at a time (the same sums: each row's excess along x is its own, and along y a strip needs
    # the two rows above it and one below), so the excess of a 12 MP picture never exists whole (48 MiB a copy).
    rows = max(1, _STRIP_PIXELS // max(1, w * cell))
    for top in range(0, ny, rows):
        end = min(ny, top + rows)
        y0, y1 = top * cell, end * cell
        ex = boundary_excess(gray[y0:y1], 1)[:, :nx * cell]
        px[top:end] = ex.reshape(end - top, cell, nx * cell).sum(axis=1).reshape(end - top, nx, k, 8).sum(axis=2)
        base = max(0, y0 - 2)
        ey = boundary_excess(gray[base:y1 + 1], 0)[y0 - base:y1 - base, :nx * cell]
        py[top:end] = (ey.reshape(y1 - y0, nx, cell).sum(axis=2).reshape(end - top, k, 8, nx).sum(axis=1)
                       .transpose(0, 2, 1))
    return px, py


#: pixels of the strips :func:`phase_profiles` works through at once (float32 working copies of ~8 MiB)
_STRIP_PIXELS = 2_000_000


@dataclass
class GridResult:
    """Global grid phase and strength, and per-cell maps of a foreign or missing grid.

    ``strength`` is the global peak's excess over the mean of the other phases, divided by their
    spread (a z-like number; above ~6 the file clearly shows a JPEG grid). ``shifted`` and
    ``missing`` are (ny, nx) maps in [0, 1].
    """

    phase: tuple[int, int]
    strength: float
    shifted: np.ndarray
    missing: np.ndarray


#: robust z (against the picture's own off-grid scatter) from which a foreign grid starts to count,
#: when seen on both axes / on one axis only.
BOTH_Z = 1.5
ONE_Z = 4.0


def _standardise(a: np.ndarray) -> np.ndarray:
    med = float(np.median(a))
    mad = 1.4826 * float(np.median(np.abs(a - med))) + 1e-6
    return (a - med) / mad


def _peak_z(profile: np.ndarray) -> tuple[int, float]:
    p = int(np.argmax(profile))
    others = np.delete(profile, p)
    spread = float(others.std()) + 1e-6
    return p, float((profile[p] - others.mean()) / spread)


def grid_analysis(gray: np.ndarray, cell: int, window: int,
                  native: tuple[tuple[int, int], ...] = ()) -> GridResult:
    """Estimate the JPEG grid and flag windows whose grid is shifted or absent.

    Parameters
    ----------
    gray : (H, W) array
        Luma in the file's stored orientation.
    cell : int
        Cell size in pixels (multiple of 8); the maps have one value per cell.
    window : int
        Side of the sliding window, in cells, over which local profiles are summed.
    native : (dy, dx) phases
        Grids known to cover the whole picture besides the strongest one (a JPEG file's own grid at
        (0, 0), and the grid of an earlier compression found by :mod:`.jpeg_lattice`): never foreign.
    """
    px, py = phase_profiles(gray, cell)
    ny, nx = px.shape[:2]
    if ny == 0 or nx == 0:
        z = np.zeros((max(ny, 0), max(nx, 0)), np.float32)
        return GridResult((0, 0), 0.0, z, z)
    gx, zx = _peak_z(px.sum(axis=(0, 1)))
    gy, zy = _peak_z(py.sum(axis=(0, 1)))
    strength = min(zx, zy)
    lx = box_mean(px, window) * window * window
    ly = box_mean(py, window) * window * window
    shifted = np.zeros((ny, nx), np.float32)
    missing = np.zeros((ny, nx), np.float32)
    if strength < 2.0:
        return GridResult((gy, gx), strength, shifted, missing)
    # Local contrast of every phase against the median phase, in units of the image-wide spread of
    # the off-grid phases (window sums of honest content scatter around zero).
    cx = lx - np.median(lx, axis=2, keepdims=True)
    cy = ly - np.median(ly, axis=2, keepdims=True)
    off_x = np.delete(cx, sorted({gx, *(p[1] for p in native)}), axis=2)
    off_y = np.delete(cy, sorted({gy, *(p[0] for p in native)}), axis=2)
    sx = 1.4826 * float(np.median(np.abs(off_x))) + 1e-3
    sy = 1.4826 * float(np.median(np.abs(off_y))) + 1e-3
    # A foreign grid keeps one phase over its whole region: smooth each phase's z once more, so that a
    # consistent phase accumulates while the scatter of honest content averages out; then measure it
    # against this picture's own scatter of smoothed off-grid values (textures differ per picture).
    zx_off = _standardise(box_mean(off_x / sx, window)).max(axis=2)
    zy_off = _standardise(box_mean(off_y / sy, window)).max(axis=2)
    # A foreign grid shows on both axes unless its offset is a multiple of 8 on one of them.
    both = np.minimum(zx_off, zy_off)
    one = np.maximum(zx_off, zy_off)
    shifted = np.clip(np.maximum((both - BOTH_Z) / 3.0, (one - ONE_Z) / 4.0), 0.0, 1.0).astype(np.float32)
    on_x = cx[..., gx] / sx
    on_y = cy[..., gy] / sy
    on = 0.5 * (on_x + on_y)
    typical = float(np.median(on))
    if typical > 6.0:
        missing = np.clip((0.25 * typical - on) / (0.25 * typical), 0.0, 1.0).astype(np.float32)
    return GridResult((gy, gx), strength, shifted, missing)
