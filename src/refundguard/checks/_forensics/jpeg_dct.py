"""Blockwise 8x8 DCT of JPEG luma and aligned double-quantisation (A-DQ) likelihood maps.

An image JPEG-compressed twice on the same 8x8 grid, first with step ``q1`` and then with ``q2``, has
DCT coefficient histograms with periodic gaps or peaks (Lin et al. 2009; Bianchi & Piva 2012). A region
pasted or regenerated between the two saves was compressed only once with ``q2`` (or on another grid),
so its coefficients follow the single-compression law. For each low-frequency coefficient we estimate
``q1`` and the two laws from the file itself (the unquantised law is approximated by the DCT on a grid
shifted by 4 pixels, Fridrich's calibration) and give every block the log-likelihood ratio
``log p_single(k) - log p_double(k)``: positive means "compressed once", i.e. foreign to a double-
compressed picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: (row, column) of the 64 DCT frequencies in JPEG zig-zag order.
ZIGZAG: tuple[tuple[int, int], ...] = tuple(
    sorted(((u, v) for u in range(8) for v in range(8)),
           key=lambda p: (p[0] + p[1], p[1] if (p[0] + p[1]) % 2 == 0 else p[0]))
)


#: the AC frequencies :func:`dq_analysis` reads by default (the first 20 in zig-zag order)
DQ_FREQUENCIES: tuple[tuple[int, int], ...] = ZIGZAG[1:21]


def dct_matrix() -> np.ndarray:
    """The orthonormal 8-point DCT-II matrix ``D`` (``D @ x`` transforms a column)."""
    n = np.arange(8)
    d = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16) * np.sqrt(2 / 8)
    d[0] /= np.sqrt(2)
    return d.astype(np.float32)


_D = dct_matrix()
#: the 2-D DCT of a flattened 8x8 block as one 64x64 matrix (row-major flattening).
_D2 = np.kron(_D, _D).T.astype(np.float32)


#: blocks transformed at once by :func:`block_dct` (its working copy: 64 float32 each, ~4 MiB)
_CHUNK_BLOCKS = 16384


def block_dct(gray: np.ndarray, offset: tuple[int, int] = (0, 0), step: int = 1) -> np.ndarray:
    """DCT of every 8x8 block of ``gray`` (level-shifted by 128), as JPEG computes it.

    Parameters
    ----------
    gray : (H, W) array
        Luma in [0, 255].
    offset : (dy, dx)
        Grid origin; ``(0, 0)`` is the JPEG grid of an uncropped file.
    step : int
        Keep every ``step``-th block row and column (subsampling for statistics).

    Returns
    -------
    (nby, nbx, 8, 8) float32 array of coefficients.
    """
    out = _transform(gray, offset, step, None)
    return out.reshape(out.shape[0], out.shape[1], 8, 8)


def _transform(gray: np.ndarray, offset: tuple[int, int], step: int, keep: list[int] | None) -> np.ndarray:
    """(rows, cols, n) DCT coefficients of every 8x8 block: all 64 (``keep`` None) or those at the flat
    indices ``keep``."""
    dy, dx = offset
    g = gray[dy:, dx:]
    nby, nbx = g.shape[0] // 8, g.shape[1] // 8
    n = 64 if keep is None else len(keep)
    if nby == 0 or nbx == 0:
        return np.zeros((0, 0, n), np.float32)
    blocks = g[:nby * 8, :nbx * 8].reshape(nby, 8, nbx, 8).transpose(0, 2, 1, 3)
    if step > 1:
        blocks = blocks[::step, ::step]
    rows, cols = blocks.shape[:2]
    out = np.empty((rows, cols, n), np.float32)
    # a few block rows at a time: one working copy of that size beside the result, not a second full-size one
    chunk = max(1, _CHUNK_BLOCKS // max(cols, 1))
    for top in range(0, rows, chunk):
        flat = np.array(blocks[top:top + chunk], dtype=np.float32).reshape(-1, 64)  # a copy: shifted in place
        flat -= 128.0
        if keep is None:
            np.matmul(flat, _D2, out=out[top:top + chunk].reshape(-1, 64))
        else:  # the very product made for all 64 (BLAS picks its kernel by the shapes), then the planes kept
            out[top:top + chunk] = np.matmul(flat, _D2).reshape(-1, cols, 64)[..., keep]
    return out


@dataclass(frozen=True)
class DctPlanes:
    """Some frequencies of the blockwise DCT of a picture, indexed as the whole (nby, nbx, 8, 8) array of
    :func:`block_dct` is: ``planes[..., u, v]`` is the (nby, nbx) plane of frequency ``(u, v)``.

    The double-quantisation cue reads 20 of the 64 frequencies: keeping only those takes a third of the
    memory (15 instead of 46 MiB for a 12 MP photo).
    """

    values: np.ndarray  # (nby, nbx, len(frequencies)) float32
    frequencies: tuple[tuple[int, int], ...]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return int(self.values.shape[0]), int(self.values.shape[1]), 8, 8

    @property
    def size(self) -> int:
        return int(self.values.size)

    def __getitem__(self, key: tuple[object, int, int]) -> np.ndarray:
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] is Ellipsis):
            raise IndexError("DctPlanes are read one frequency at a time: planes[..., u, v]")
        u, v = int(key[1]), int(key[2])  # type: ignore[call-overload]
        try:
            k = self.frequencies.index((u, v))
        except ValueError:
            raise IndexError(f"frequency {(u, v)} was not computed") from None
        return self.values[..., k]


def block_dct_planes(gray: np.ndarray, frequencies: tuple[tuple[int, int], ...], offset: tuple[int, int] = (0, 0),
                     step: int = 1) -> DctPlanes:
    """:func:`block_dct` restricted to ``frequencies``: the same numbers bit for bit (each chunk of blocks is
    transformed by the same matrix product as there; only the planes asked for are kept)."""
    return DctPlanes(_transform(gray, offset, step, [u * 8 + v for u, v in frequencies]), tuple(frequencies))


@dataclass
class DQResult:
    """Aligned double-quantisation analysis of one image.

    ``llr`` holds one value per 8x8 block (positive: single-compressed); ``used`` lists the
    frequencies whose histogram showed double quantisation, with the estimated first step and the
    log-likelihood gain per coefficient; ``alpha`` is the fitted fraction of double-compressed blocks.
    """

    llr: np.ndarray
    used: list[dict[str, float]] = field(default_factory=list)
    grid_fit: float = 0.0
    alpha: float = 0.0

    @property
    def observed(self) -> bool:
        return len(self.used) >= 2


def unclipped_blocks(clipped: np.ndarray) -> np.ndarray:
    """(nby, nbx) mask of 8x8 blocks without any clipped pixel.

    ``clipped`` marks pixels where any colour channel is near 0 or 255. Clipping after decoding
    moves the luma off the first compression's lattice, so such blocks say nothing about history.
    """
    nby, nbx = clipped.shape[0] // 8, clipped.shape[1] // 8
    return ~clipped[:nby * 8, :nbx * 8].reshape(nby, 8, nbx, 8).any(axis=(1, 3))


def quantisation_fit(coef: np.ndarray | DctPlanes, qtable: np.ndarray, n_freq: int = 10) -> float:
    """How well coefficients sit on multiples of the file's steps (1: perfectly, 0: uniform).

    A file decoded on its own grid gives coefficients close to ``k * q``; a cropped or
    resampled one does not.
    """
    scores = []
    for u, v in ZIGZAG[1:n_freq + 1]:
        q = float(qtable[u, v])
        if q < 3:
            continue
        x = coef[..., u, v].ravel() / q
        nz = np.abs(x) > 0.5
        if nz.sum() < 50:
            continue
        dev = np.abs(x[nz] - np.rint(x[nz]))
        scores.append(1.0 - 4.0 * float(dev.mean()))
    return float(np.clip(np.mean(scores), 0.0, 1.0)) if scores else 0.0


def _hist(values: np.ndarray, kmax: int) -> np.ndarray:
    """Histogram of integer values in [-kmax, kmax]; the zero bin and the clipped tails are emptied.

    Zero carries the dead-zone of both quantisers and the calibration mismatch of the unquantised law,
    so the fit uses the non-zero values only (as Lin et al. do).
    """
    v = np.clip(values.astype(np.int64), -kmax, kmax) + kmax
    h = np.bincount(v.ravel(), minlength=2 * kmax + 1).astype(np.float64)
    h[kmax] = 0.0
    h[0] = h[-1] = 0.0
    return h


def _mixture_fit(h: np.ndarray, p0: np.ndarray, p1: np.ndarray, iters: int = 12) -> tuple[float, float]:
    """EM for ``h ~ a p0 + (1 - a) p1``; returns (a, log-likelihood)."""
    a = 0.7
    n = h.sum()
    for _ in range(iters):
        mix = a * p0 + (1 - a) * p1
        resp = a * p0 / mix
        a = min(0.98, max(0.02, float((h * resp).sum() / n)))
    return a, float((h * np.log(a * p0 + (1 - a) * p1)).sum())


def dq_analysis(coef: np.ndarray | DctPlanes, calib: np.ndarray | DctPlanes, qtable: np.ndarray, *,
                n_freq: int = len(DQ_FREQUENCIES),
                kmax: int = 60, min_gain: float = 0.08, max_q2: int = 16) -> DQResult:
    """Per-block log-likelihood ratio of single vs aligned double quantisation.

    Parameters
    ----------
    coef : (nby, nbx, 8, 8) array or DctPlanes
        DCT of the decoded luma on the file's grid (:func:`block_dct` with offset 0, or
        :func:`block_dct_planes` of at least the ``n_freq`` frequencies read).
    calib : (mby, mbx, 8, 8) array or DctPlanes
        DCT on a grid shifted by (4, 4): an estimate of the unquantised coefficient law.
    qtable : (8, 8)
        The file's luma quantisation table (natural order).
    n_freq : int
        Number of zig-zag AC frequencies examined.
    max_q2 : int
        Frequencies with a larger final step are skipped.
    min_gain : float
        Minimal log-likelihood gain per non-zero coefficient (nats) of the double over the single
        law for a frequency to count as showing double quantisation (single-compressed files reach
        about 0.05 from calibration mismatch; double-compressed ones 0.2-0.7).

    Returns
    -------
    DQResult
    """
    nby, nbx = coef.shape[:2]
    llr = np.zeros((nby, nbx), np.float32)
    used: list[dict[str, float]] = []
    alphas = []
    if nby * nbx < 64 or calib.size == 0:
        return DQResult(llr=llr)
    eps = 1e-4
    for u, v in ZIGZAG[1:n_freq + 1]:
        q2 = int(qtable[u, v])
        if q2 < 2 or q2 > max_q2:
            continue  # step 1 keeps no trace; coarse steps leave too few non-zero values
        k = np.rint(coef[..., u, v] / q2).astype(np.int64)
        h = _hist(k, kmax)
        n = h.sum()
        cs = calib[..., u, v].ravel()
        if n < 500:
            continue
        p1 = _hist(np.rint(cs / q2), kmax) + eps * len(cs)
        p1 /= p1.sum()
        best: tuple[float, int, float, np.ndarray] | None = None
        ll1 = float((h * np.log(p1)).sum())
        for q1 in range(1, min(3 * q2, 40) + 1):
            if q1 == q2 or (q1 < q2 and q2 % q1 == 0):
                continue  # q1 dividing q2 leaves no trace
            p0 = _hist(np.rint(np.rint(cs / q1) * q1 / q2), kmax) + eps * len(cs)
            p0 /= p0.sum()
            a, ll = _mixture_fit(h, p0, p1)
            if best is None or ll > best[0]:
                best = (ll, q1, a, p0)
        if best is None:
            continue
        ll0, q1, a, p0 = best
        gain = (ll0 - ll1) / n
        if gain < min_gain or a < 0.3:
            continue
        r = np.clip(np.log(p1) - np.log(p0), -3.0, 3.0).astype(np.float32)
        r[kmax] = 0.0
        r[0] = r[-1] = 0.0
        llr += r[np.clip(k, -kmax, kmax) + kmax]
        used.append({"u": u, "v": v, "q2": q2, "q1": q1, "gain": round(gain, 4), "alpha": round(a, 3)})
        alphas.append(a)
    return DQResult(llr=llr, used=used, grid_fit=quantisation_fit(coef, qtable),
                    alpha=float(np.mean(alphas)) if alphas else 0.0)
