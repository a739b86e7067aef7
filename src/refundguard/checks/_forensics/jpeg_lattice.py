"""An earlier JPEG compression at any grid position: non-aligned double quantisation and JPEG history
in lossless files.

A picture that was once a JPEG keeps, in the DCT of its pixels taken **on that JPEG's 8x8 grid**,
coefficients that sit near multiples of the old quantisation steps. The grid of that earlier compression
need not be the file's own:

* a JPEG that was cropped (or had a border added) before it was saved again carries the first grid at
  a shift ``(dy, dx) != (0, 0)`` -- non-aligned double quantisation (Bianchi & Piva 2012, "Image forgery
  localization via block-grained analysis of JPEG artifacts");
* a PNG, WebP-lossless or TIFF exported from a JPEG carries that JPEG's lattice exactly (usually at
  ``(0, 0)``), blurred only by the rounding of the decoded pixels.

A region painted, pasted or regenerated after that compression does not sit on the lattice. This
module finds the shift and the steps from the picture itself (no table is needed), fits per frequency
how tightly the picture sits on the lattice, and gives every 8x8 block on that grid the log-likelihood
ratio "off the lattice" vs "on it": positive values mark blocks foreign to the earlier compression.

1. **Search.** For each candidate shift, the DCT of a strided sample of blocks (about 1,500). For each
   of the first nine zig-zag AC frequencies and each step ``q`` in 2..32 that is small against the
   coefficients' spread, the lattice concentration ``C(q) = mean cos(2 pi c / q)`` over the
   coefficients outside the zero bin (``|c| >= q/2``). Under no lattice ``n C^2`` is of order 1; a
   lattice gives hundreds. The shift's score is the mean over frequencies of ``min(n C^2, 500)`` for
   each frequency's best step. DC is not used: a smooth block decodes to nearly constant integer
   pixels whose common rounding moves DC by up to 4, and smooth areas keep their DC lattice on
   neighbouring grids.
2. **Decide.** The best shift counts when its score is at least :data:`MIN_SCORE` and
   :data:`MIN_RATIO` times the best shift that is not one of its own half-block aliases (a lattice on
   a grid also shows weakly on the grids shifted by 4 pixels along an axis, where flat content
   averages two blocks). For a JPEG file the file's own grid ``(0, 0)`` and its aliases ``(0, 4)``,
   ``(4, 0)``, ``(4, 4)`` are not candidates: the last compression is there by definition (aligned
   double quantisation is :mod:`.jpeg_dct`'s job), so a crop by a multiple of 4 pixels on both axes
   is not seen.
3. **Fit.** On the chosen grid, for each frequency whose lattice is clear, the distance ``d`` of each
   coefficient to the nearest multiple of ``q`` is modelled as a mixture ``a * wrapped-normal(0, s) +
   (1 - a) * uniform`` (EM on the circle): ``s`` is the noise the later processing added (the
   rounding of a lossless export, or the later JPEG's quantisation), ``a`` the share on the lattice.
4. **Score blocks.** ``llr = - sum_f log(a q N_wrapped(d; s) + 1 - a)`` over the block's coefficients
   outside the zero bin (terms clipped to [-3, 2]); a block counts only with at least three such
   coefficients and no clipped pixel: positive where the block is off the lattice.

What it sees depends on the noise the later save added: a lossless export keeps the lattice exact
(any earlier quality); a later JPEG must be of higher quality than the earlier one (its noise must be
small against the earlier steps), as for every double-quantisation method.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from refundguard.checks._forensics.jpeg_dct import ZIGZAG, block_dct, unclipped_blocks

#: frequencies searched for a lattice and scored per block: the first nine zig-zag AC ones. DC is left out:
#: a smooth block decodes to nearly constant integer pixels, whose common rounding moves DC by up to 4
#: (half of 8 x 1 level) -- as much as a foreign block -- and a smooth area keeps its DC lattice on
#: neighbouring grids too.
FREQUENCIES: tuple[tuple[int, int], ...] = ZIGZAG[1:10]
#: candidate lattice steps.
STEPS = np.arange(2, 33)
#: AC coefficients are histogrammed on integer bins over [-_RANGE, _RANGE] (the ends are dropped).
_RANGE = 512
_X = np.arange(-_RANGE, _RANGE + 1, dtype=np.float64)
#: cos(2 pi x / q) on the bins outside each step's zero bin (``|x| >= q/2``), and those bin masks.
_OUTSIDE = (np.abs(_X)[None, :] >= STEPS[:, None] / 2.0).astype(np.float64)
_COS = np.cos(2 * np.pi * _X[None, :] / STEPS[:, None]) * _OUTSIDE
#: blocks sampled per candidate shift in the search.
SEARCH_BLOCKS = 1500
#: per-frequency cap of ``n C^2`` and the decision thresholds on the shift score.
Z_CAP = 500.0
MIN_SCORE = 30.0
MIN_RATIO = 4.0
#: frequencies whose lattice is weaker than this (``n C^2``) are not used for block scores.
MIN_FREQ_Z = 25.0
#: a block's ratio counts only with this many coefficients outside the zero bin; each adds at most TERM_CAP.
MIN_TERMS = 3
TERM_CAP = 2.0
#: shifts that are half-block aliases of a grid (added modulo 8).
_ALIASES = ((0, 4), (4, 0), (4, 4))


@dataclass
class LatticeResult:
    """Where an earlier JPEG compression's grid lies and how each block agrees with it.

    ``shift`` is the grid origin ``(dy, dx)`` in the analysed array, or None when no earlier lattice
    was found; ``score`` and ``runner_up`` the search statistics of the best shift and of the best
    unrelated one; ``steps`` the fitted frequencies (``u``, ``v``, step ``q``, lattice share ``a``,
    noise ``s``); ``llr`` one value per block of that grid (positive: off the lattice) and ``usable``
    the blocks that carry evidence.
    """

    shift: tuple[int, int] | None
    score: float
    runner_up: float
    steps: list[dict[str, float]] = field(default_factory=list)
    llr: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    usable: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))

    @property
    def observed(self) -> bool:
        return self.shift is not None and len(self.steps) >= 2


def _best_step(conc: np.ndarray, n: np.ndarray | float) -> tuple[int, float, float]:
    """``(q, C, min(n C^2, Z_CAP))`` of the best step of one frequency (q 0 when none qualifies).

    Divisors of the true step are as concentrated as the step itself: the largest step within 90 % of
    the best concentration is taken.
    """
    if not np.any(conc > 0):
        return 0, 0.0, 0.0
    best = float(conc.max())
    i = int(np.nonzero(conc >= 0.9 * best)[0].max())
    z = np.asarray(n, dtype=np.float64) * conc ** 2
    return int(STEPS[i]), float(conc[i]), float(min(z.max(), Z_CAP))


def lattice_strength(coef: np.ndarray) -> tuple[float, list[tuple[int, float, float]]]:
    """Search statistic of one grid from the AC coefficients of its blocks.

    For each of :data:`FREQUENCIES`, the concentration ``C(q) = mean cos(2 pi c / q)`` over the
    coefficients outside the zero bin, for every step small against their spread (a step large against
    the spread is "concentrated" by the law's own peak, not by a lattice). Returns the mean over the
    frequencies of the best step's ``min(n C^2, Z_CAP)`` and, per frequency, ``(q, C, n C^2)``.
    """
    hists = np.zeros((_X.size, len(FREQUENCIES)), np.float64)
    spread = np.zeros(len(FREQUENCIES))
    for j, (u, v) in enumerate(FREQUENCIES):
        c = coef[..., u, v].ravel()
        c = c[np.abs(c) >= 1.0]
        if c.size == 0:
            continue
        spread[j] = float(np.percentile(np.abs(c), 75))
        idx = np.clip(np.rint(c).astype(np.int64) + _RANGE, 0, _X.size - 1)
        hists[:, j] = np.bincount(idx, minlength=_X.size)
    hists[0] = hists[-1] = 0.0
    num = _COS @ hists
    den = _OUTSIDE @ hists
    conc = np.clip(np.where(den >= 50, num / np.maximum(den, 1.0), 0.0), 0.0, None)
    conc[STEPS[:, None] > spread[None, :] / 1.5] = 0.0
    per = [_best_step(conc[:, j], den[:, j]) for j in range(len(FREQUENCIES))]
    return float(np.mean([z for _, _, z in per])), per


def _candidates(exclude_final_grid: bool) -> list[tuple[int, int]]:
    skip = {(0, 0), *_ALIASES} if exclude_final_grid else set()
    return [(dy, dx) for dy in range(8) for dx in range(8) if (dy, dx) not in skip]


def _related(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a == b or any(((a[0] + s[0]) % 8, (a[1] + s[1]) % 8) == b for s in _ALIASES)


def search(gray: np.ndarray, *, exclude_final_grid: bool) -> tuple[tuple[int, int] | None, float, float,
                                                                  list[tuple[int, float, float]]]:
    """Find the grid of an earlier compression: ``(shift or None, score, runner_up, per-frequency)``."""
    h, w = gray.shape
    nblocks = max(1, (h // 8) * (w // 8))
    step = max(1, int(np.sqrt(nblocks / SEARCH_BLOCKS)))
    scores: dict[tuple[int, int], tuple[float, list[tuple[int, float, float]]]] = {}
    for shift in _candidates(exclude_final_grid):
        coef = block_dct(gray, shift, step=step)
        if coef.shape[0] * coef.shape[1] < 64:
            continue
        scores[shift] = lattice_strength(coef)
    if not scores:
        return None, 0.0, 0.0, []
    best = max(scores, key=lambda s: scores[s][0])
    top = scores[best][0]
    others = [v[0] for s, v in scores.items() if not _related(best, s)]
    runner = max(others) if others else 0.0
    found = top >= MIN_SCORE and top >= MIN_RATIO * max(runner, 1.0)
    return (best if found else None), top, runner, scores[best][1]


def _wrapped_normal(d: np.ndarray, q: float, s: float) -> np.ndarray:
    """Density of a normal(0, s) wrapped onto [-q/2, q/2) at ``d`` (three images are enough for s < q/2)."""
    k = 1.0 / (s * np.sqrt(2 * np.pi))
    return k * (np.exp(-0.5 * (d / s) ** 2) + np.exp(-0.5 * ((d - q) / s) ** 2) + np.exp(-0.5 * ((d + q) / s) ** 2))


def fit_circle(d: np.ndarray, q: float, iters: int = 15) -> tuple[float, float]:
    """EM fit of ``a * wrapped-normal(0, s) + (1 - a) / q`` to distances ``d`` in [-q/2, q/2); returns (a, s)."""
    a, s = 0.7, q / 8.0
    floor = 0.05
    for _ in range(iters):
        on = a * _wrapped_normal(d, q, s)
        resp = on / (on + (1 - a) / q)
        a = float(np.clip(resp.mean(), 0.02, 0.995))
        var = float((resp * d * d).sum() / max(resp.sum(), 1e-9))
        s = float(np.clip(np.sqrt(var), floor, q / 3.0))
    return a, s


def block_llr(coef: np.ndarray, steps: list[dict[str, float]], usable: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Per-block ``- sum_f log(a q N_wrapped(d; s) + 1 - a)``; positive: off the lattice.

    Only coefficients outside the zero bin count (a zero says nothing); each term is clipped to
    [-3, :data:`TERM_CAP`]. A block counts only with at least :data:`MIN_TERMS` such coefficients: in a
    smooth block the one or two non-zero ones carry the structured rounding of nearly flat pixels and
    can sit off the lattice in an untouched picture. Returns the ratios and the blocks that count.
    """
    llr = np.zeros(coef.shape[:2], np.float32)
    terms = np.zeros(coef.shape[:2], np.int32)
    for f in steps:
        u, v, q, a, s = int(f["u"]), int(f["v"]), float(f["q"]), float(f["a"]), float(f["s"])
        c = coef[..., u, v]
        counted = np.abs(c) >= q / 2
        d = c - q * np.rint(c / q)
        term = -np.log(a * q * _wrapped_normal(d, q, s) + (1 - a))
        llr += np.where(counted, np.clip(term, -3.0, TERM_CAP), 0.0).astype(np.float32)
        terms += counted
    counts = usable & (terms >= MIN_TERMS)
    llr[~counts] = 0.0
    return llr, counts


def usable_blocks(coef: np.ndarray, clipped: np.ndarray | None, shift: tuple[int, int]) -> np.ndarray:
    """Blocks of the shifted grid with texture (some AC energy) and no clipped pixel."""
    ac = np.abs(coef).reshape(*coef.shape[:2], 64)[..., 1:].sum(axis=2)
    ok = ac >= 2.0
    if clipped is not None:
        dy, dx = shift
        nby, nbx = coef.shape[:2]
        ok &= unclipped_blocks(clipped[dy:, dx:])[:nby, :nbx]
    return ok


def lattice_analysis(gray: np.ndarray, *, exclude_final_grid: bool,
                     clipped: np.ndarray | None = None) -> LatticeResult:
    """Search for an earlier JPEG lattice and score every block of its grid (see the module docstring).

    Parameters
    ----------
    gray : (H, W) array
        Luma in [0, 255]; for a JPEG file its decoder's own Y channel in the stored frame.
    exclude_final_grid : bool
        The file itself is a JPEG: its own grid and that grid's half-block aliases are not candidates.
    clipped : (H, W) bool array, optional
        Pixels with a colour channel near 0 or 255 (clipping after decoding moves values off the lattice).
    """
    shift, score, runner, per = search(gray, exclude_final_grid=exclude_final_grid)
    if shift is None:
        return LatticeResult(shift=None, score=score, runner_up=runner)
    coef = block_dct(gray, shift)
    usable = usable_blocks(coef, clipped, shift)
    steps: list[dict[str, float]] = []
    for (u, v), (q, _conc, z) in zip(FREQUENCIES, per, strict=True):
        if q < 2 or z < MIN_FREQ_Z:
            continue
        c = coef[..., u, v][usable]
        c = c[np.abs(c) >= q / 2]
        if c.size < 100:
            continue
        if c.size > 20000:
            c = c[:: c.size // 20000 + 1]
        a, s = fit_circle(c - q * np.rint(c / q), float(q))
        if a < 0.2 or s > q / 4.0:
            continue  # too diffuse to tell one block from another
        steps.append({"u": u, "v": v, "q": int(q), "a": round(a, 3), "s": round(s, 3), "z": round(z, 1)})
    if len(steps) >= 2:
        llr, usable = block_llr(coef, steps, usable)
    else:
        llr = np.zeros(coef.shape[:2], np.float32)
    return LatticeResult(shift=shift, score=score, runner_up=runner, steps=steps, llr=llr, usable=usable)
