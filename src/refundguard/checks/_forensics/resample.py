"""Local resampling traces: periodic predictor-residual correlations that differ in one region.

Interpolation (scaling, rotation) makes some pixels near-exact linear combinations of their
neighbours, periodically along the resampling lattice (Popescu & Farid 2005). Kirchner (2008) showed
that a fixed linear predictor is enough: the "p-map" ``exp(-e^2 / (2 s^2))`` of its residual ``e`` is
periodic in a resampled picture, and the periodicity shows as isolated peaks in the p-map's spectrum.

A marketplace upload is usually resized as a whole, so a peak seen everywhere is not evidence. The
cue therefore measures, per block and frequency, how much sharper a spectral peak is than the same
frequency in the picture's other blocks (a robust z-score), keeps frequencies whose excess is
consistent over neighbouring blocks (a pasted patch is resampled with one factor and one angle) and
reports the best one per block. A patch scaled or rotated to fit lights up; a picture resampled
uniformly, a JPEG grid (present in every block) or camera demosaicing (likewise) do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._forensics.filters import window_sum, window_sum_inplace

#: the pixel minus Kirchner's predictor, as one 3x3 kernel (symmetric, so correlation = convolution).
_PREDICTOR_RESIDUAL = np.array([[0.25, -0.5, 0.25], [-0.5, 1.0, -0.5], [0.25, -0.5, 0.25]], np.float32)
#: p-map sharpness: residuals within about this many grey levels count as "predictable".
P_SIGMA = 1.0
#: frequencies below this radius (cycles per pixel) carry picture content, not resampling.
F_MIN = 0.08
#: varying blocks a picture needs for its blocks to be compared with each other
MIN_BLOCKS = 8
#: robust z (after smoothing over neighbouring blocks) from which a block's peak starts to count.
Z_START = 2.5
#: z span over which the map rises from 0 to 1.
Z_SPAN = 4.0


def predictor_residual(gray: np.ndarray) -> np.ndarray:
    """Residual of Kirchner's fixed 3x3 linear predictor (edge-padded, same shape as ``gray``).

    The predictor is ``0.5 * (N + S + W + E) - 0.25 * (NW + NE + SW + SE)``; it is exact for bilinear
    surfaces, so pixels interpolated from a regular lattice leave near-zero residuals.

    Parameters
    ----------
    gray : (H, W) array
        Luma in [0, 255].

    Returns
    -------
    (H, W) float32 array.
    """
    return cv2.filter2D(np.ascontiguousarray(gray, dtype=np.float32), cv2.CV_32F, _PREDICTOR_RESIDUAL,
                        borderType=cv2.BORDER_REPLICATE)


def p_map(gray: np.ndarray, sigma: float = P_SIGMA) -> np.ndarray:
    """Kirchner's p-map: ``exp(-e^2 / (2 sigma^2))`` of the predictor residual ``e``, in [0, 1]."""
    e = predictor_residual(gray)
    e *= e
    e *= -1.0 / (2.0 * sigma * sigma)
    return np.exp(e, out=e)


def _frequency_mask(block: int) -> np.ndarray:
    """(block, block // 2 + 1) mask of the rfft2 bins used.

    Bins near DC (picture content) and the JPEG lattice ``(k / 8, l / 8)`` (blocking artefacts, whose
    strength varies with content) are left out.
    """
    fy = np.fft.fftfreq(block)[:, None]
    fx = np.fft.rfftfreq(block)[None, :]
    step = block // 8
    iy = np.arange(block)[:, None] % step
    ix = np.arange(block // 2 + 1)[None, :] % step
    near_y = (iy == 0) | (iy == 1) | (iy == step - 1)
    near_x = (ix == 0) | (ix == 1) | (ix == step - 1)
    lattice = near_y & near_x if step >= 4 else (iy == 0) & (ix == 0)
    return (np.hypot(fy, fx) >= F_MIN) & ~lattice


#: blocks' worth of p-map transformed at once by :func:`block_power` (its working copies are ~10x this in bytes:
#: ~20 MiB beside the result for a 12 MP picture; 2 M pixels took ~80 MiB, for the same numbers and time)
_CHUNK_PIXELS = 500_000


def block_power(p: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-block power spectrum of the p-map, normalised to a mean of 1 over the used bins.

    Parameters
    ----------
    p : (H, W) array
        p-map (:func:`p_map`).
    block : int
        Block side in pixels (non-overlapping; a multiple of 8).

    Returns
    -------
    power : (nby, nbx, block, block // 2 + 1) float32
        Hann-windowed ``|rfft2|^2`` of each block's zero-mean p-map.
    valid : (nby, nbx) bool
        Blocks whose p-map varies (not flat, saturated or noise-free areas).

    Each block is independent of the others, so rows of blocks are transformed a few at a time (the same
    numbers; the working copies of a 12 MP picture then take ~30 MiB instead of ~180).
    """
    return _strips_power(p.shape, block, lambda y0, y1: p[y0:y1])


def luma_block_power(gray: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`block_power` of the p-map of ``gray``, the p-map made strip by strip (each strip with one row of
    the picture above and below it, so its numbers are the whole p-map's): the p-map of a 12 MP picture never
    exists whole (46 MiB)."""
    h = gray.shape[0]

    def strip(y0: int, y1: int) -> np.ndarray:
        top, bottom = max(0, y0 - 1), min(h, y1 + 1)
        return p_map(gray[top:bottom])[y0 - top:y1 - top]

    return _strips_power(gray.shape, block, strip)


def _strips_power(shape: tuple[int, ...], block: int, strip: Callable[[int, int], np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape[:2]
    nby, nbx = h // block, w // block
    if nby == 0 or nbx == 0:
        return np.zeros((nby, nbx, block, block // 2 + 1), np.float32), np.zeros((nby, nbx), bool)
    win = np.hanning(block).astype(np.float32)
    window = np.outer(win, win)
    mask = _frequency_mask(block)
    power = np.empty((nby, nbx, block, block // 2 + 1), np.float32)
    valid = np.empty((nby, nbx), bool)
    rows = max(1, _CHUNK_PIXELS // (nbx * block * block))
    for top in range(0, nby, rows):
        end = min(nby, top + rows)
        rows_p = strip(top * block, end * block)[:, :nbx * block]
        power[top:end], valid[top:end] = _rows_power(rows_p, block, window, mask)
    return power, valid


def _centred_blocks(strip: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """The zero-mean ``block`` x ``block`` blocks of a strip of whole block rows, and which of them vary (the
    p-map's standard deviation over 0.03)."""
    nby, nbx = strip.shape[0] // block, strip.shape[1] // block
    b = strip.reshape(nby, block, nbx, block).transpose(0, 2, 1, 3)
    b = b - b.mean(axis=(2, 3), keepdims=True, dtype=np.float32)
    return b, np.einsum("ijkl,ijkl->ij", b, b) > 0.03**2 * block * block


def _rows_power(strip: np.ndarray, block: int, window: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`block_power` of one strip of whole block rows."""
    b, valid = _centred_blocks(strip, block)
    b *= window
    # NumPy's FFT (pocketfft, in the input's float32 precision since NumPy 2.0) rather than SciPy's: importing
    # scipy.fft costs ~0.3 CPU-s per process (it loads scipy.special and NumPy's f2py); the two give the same
    # spectra to float32 rounding (largest relative difference ~1e-7)
    spectrum = np.fft.rfft2(b, axes=(2, 3))
    del b
    power = spectrum.real * spectrum.real
    power += spectrum.imag * spectrum.imag
    del spectrum
    power /= power[:, :, mask].mean(axis=2)[:, :, None, None] + 1e-9
    return power.astype(np.float32, copy=False), valid


def spectral_sum(power: np.ndarray, size: int = 5) -> np.ndarray:
    """Sum over the ``size`` x ``size`` spectral neighbourhood of every bin of (nby, nbx, fy, fx) half spectra,
    wrapping along ``fy`` and mirrored at both ends of ``fx`` (SciPy's ``mode=("wrap", "mirror")``).

    The blocks' spectra are stacked into one tall picture, each wrapped by ``size // 2`` rows on both sides, and
    box-filtered by OpenCV (mirrored at its left and right borders); each block's own rows are kept.
    """
    nby, nbx, fy, fx = power.shape
    r = size // 2
    stacked = np.pad(power.reshape(nby * nbx, fy, fx), ((0, 0), (r, r), (0, 0)), mode="wrap")
    summed = cv2.boxFilter(stacked.reshape(-1, fx), -1, (size, size), normalize=False,
                           borderType=cv2.BORDER_REFLECT_101)
    del stacked
    return summed.reshape(nby, nbx, fy + 2 * r, fx)[:, :, r:r + fy]  # a view: each block's own rows


def peak_ratio(power: np.ndarray, valid: np.ndarray, smooth: int) -> np.ndarray:
    """Welch-averaged spectral peak ratio of every block, relative to the picture's typical one.

    The power spectra of the ``smooth`` x ``smooth`` neighbouring blocks are averaged (a patch keeps one
    resampling frequency over its area, chance peaks do not), each bin is divided by the mean of its
    5x5 spectral neighbourhood (an isolated peak stands out, broad content does not), and that ratio
    is divided by its median over the picture's valid blocks at the same frequency (a peak present
    everywhere, as after a global resize, a JPEG grid or demosaicing, cancels).

    Returns
    -------
    (nby, nbx, F) float32 ratio for the ``F`` bins of :func:`_frequency_mask`. ``power`` is overwritten (it
    holds the averaged spectra afterwards).
    """
    return relative_to_picture(block_peak_ratio(power, valid, smooth), valid)


def block_peak_ratio(power: np.ndarray, valid: np.ndarray, smooth: int) -> np.ndarray:
    """The first part of :func:`peak_ratio`: each block's Welch-averaged peak ratio, not yet divided by the
    picture's median (``power`` is overwritten; the caller may drop it before :func:`relative_to_picture`)."""
    v = valid.astype(np.float32)[..., None, None]
    # in place where an array is not needed again (``power`` itself becomes the averaged spectra): the same
    # arithmetic, full-size arrays fewer at once. Window means over neighbouring blocks (zeros outside), then
    # the sum over each bin's 5x5 spectral neighbourhood (wrapping along fy, mirrored at the ends of fx)
    avg = power
    avg *= v
    window_sum_inplace(avg, smooth, 0)
    window_sum_inplace(avg, smooth, 1)
    avg /= smooth * smooth
    den = window_sum(v, smooth, (0, 1)) / (smooth * smooth)
    avg /= np.maximum(den, 1e-6)
    # each block's peak ratio needs only its own averaged spectrum: rows of blocks a few at a time, so that the
    # 5x5 spectral sums (two arrays of the spectra's size) never exist for the whole picture
    mask = _frequency_mask(power.shape[2])
    nby, nbx = avg.shape[:2]
    ratio = np.empty((nby, nbx, int(mask.sum())), np.float32)
    rows = max(1, _CHUNK_PIXELS // max(1, nbx * avg.shape[2] * avg.shape[3]))
    for top in range(0, nby, rows):
        part = avg[top:top + rows]
        bg = spectral_sum(part)
        bg -= part
        bg /= 24.0
        bg += 1e-6
        part /= bg
        del bg
        ratio[top:top + rows] = part[:, :, mask]
    return ratio


def relative_to_picture(ratio: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The second part of :func:`peak_ratio`: ``ratio`` divided, bin by bin, by its median over the valid blocks
    (in place)."""
    # the median along the contiguous axis: the same numbers, a third faster than along axis 0
    # (of a copy made here, so the median may reorder it in place instead of copying it once more); a few bins
    # at a time, each bin's median being its own: the copies never hold the valid blocks' ratios of all bins
    if valid.any():
        step = max(1, _CHUNK_PIXELS // int(valid.sum()))
        ref = np.concatenate([np.median(np.ascontiguousarray(ratio[:, :, k:k + step][valid].T), axis=1,
                                        overwrite_input=True) for k in range(0, ratio.shape[-1], step)])
    else:
        ref = np.ones(ratio.shape[-1], np.float32)
    ratio /= np.maximum(ref, 1e-6)
    return ratio


@dataclass
class ResampleResult:
    """Per-block local resampling evidence.

    ``z`` is each block's robust z (against the picture's own blocks) of the log of its best relative
    peak ratio; ``strength`` maps it to [0, 1]; ``frequency`` is the (fy, fx) of that peak in cycles
    per pixel; ``block`` the block side in pixels.
    """

    z: np.ndarray
    strength: np.ndarray
    frequency: np.ndarray
    valid: np.ndarray
    block: int


def resample_analysis(gray: np.ndarray, block: int, *, smooth: int = 3) -> ResampleResult:
    """Blocks whose p-map spectrum has a peak that the picture's other blocks lack.

    Parameters
    ----------
    gray : (H, W) array
        Luma in [0, 255] at full resolution (downsampling would erase the traces).
    block : int
        Block side in pixels (a multiple of 8).
    smooth : int
        Side (blocks) of the Welch averaging window.

    Returns
    -------
    ResampleResult
    """
    nby, nbx = gray.shape[0] // block, gray.shape[1] // block
    if nby * nbx < MIN_BLOCKS:  # too few blocks to compare whatever their spectra: not transformed at all
        p = p_map(gray)
        valid = _centred_blocks(p[:nby * block, :nbx * block], block)[1] if nby and nbx else np.zeros((nby, nbx), bool)
        power = None
    else:
        power, valid = luma_block_power(gray, block)
    zero = np.zeros((nby, nbx), np.float32)
    if power is None or int(valid.sum()) < MIN_BLOCKS:
        return ResampleResult(zero, zero, np.zeros((nby, nbx, 2), np.float32), valid, block)
    ratio = block_peak_ratio(power, valid, smooth if min(nby, nbx) >= smooth else 1)
    del power  # the spectra (a quarter more than the ratios) are not held while the picture's medians are taken
    ratio = relative_to_picture(ratio, valid)
    best = np.argmax(ratio, axis=2)
    top = np.log(np.maximum(np.take_along_axis(ratio, best[..., None], axis=2)[..., 0], 1e-6))
    # Chance maxima over many frequencies depend on the picture (texture, size): measure each block
    # against the picture's own typical maximum.
    typical = float(np.median(top[valid]))
    scatter = 1.4826 * float(np.median(np.abs(top[valid] - typical))) + 0.05
    z = np.where(valid, (top - typical) / scatter, 0.0).astype(np.float32)
    strength = np.clip((z - Z_START) / Z_SPAN, 0.0, 1.0).astype(np.float32)
    fy = np.fft.fftfreq(block)[:, None] * np.ones((1, block // 2 + 1))
    fx = np.ones((block, 1)) * np.fft.rfftfreq(block)[None, :]
    mask = _frequency_mask(block)
    freqs = np.stack([fy[mask], fx[mask]], axis=1).astype(np.float32)
    return ResampleResult(z, strength, freqs[best], valid, block)


def block_size(cell: int) -> int:
    """Block side (pixels) for a cue grid of ``cell``-pixel cells: 32 for small pictures, else 64."""
    return 32 if cell < 16 else 64


def resample_cells(result: ResampleResult, cell: int, ny: int, nx: int) -> np.ndarray:
    """The block strength map sampled at the centres of the ``cell``-pixel cue grid, shape (ny, nx)."""
    out = np.zeros((ny, nx), np.float32)
    nby, nbx = result.strength.shape
    if nby == 0 or nbx == 0:
        return out
    iy = np.minimum((np.arange(ny) * cell + cell // 2) // result.block, nby - 1)
    ix = np.minimum((np.arange(nx) * cell + cell // 2) // result.block, nbx - 1)
    inside_y = np.arange(ny) * cell + cell // 2 < nby * result.block
    inside_x = np.arange(nx) * cell + cell // 2 < nbx * result.block
    out[:] = result.strength[iy[:, None], ix[None, :]]
    out[~inside_y, :] = 0.0
    out[:, ~inside_x] = 0.0
    return out
