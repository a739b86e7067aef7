"""Fuse the cue maps into a heatmap, find compact anomalous regions and score them.

Score meaning (``tamper.local``; what a score is worth in log-odds is fitted on labelled claims, see
docs/verdict.md and docs/checks/tamper.md): the score is the strength of the best *localised, coherent*
anomaly, never of diffuse texture.

* < 0.30  nothing worth reporting (the check emits no finding);
* 0.30-0.60 one cue, or weak agreement: a hint for a reviewer;
* 0.60-0.80 a very strong compression-history break (aligned double quantisation or blocks off an
  earlier JPEG lattice: a counted statistical test) or that plus another cue of moderate strength;
* 0.80-1.00 two or three independent cues agreeing on the same compact region; 1.0 needs
  all cues at full strength.

Noise alone is capped at 0.35, resampling alone at 0.25 (below the reporting threshold: periodic
textures and JPEG artefacts leave chance spectral peaks), the grid alone at 0.5 and any agreement
without compression-history support at 0.6, because textures, flat areas and resampled JPEGs mimic
them (CocoGlide real photos re-saved at q80 showed grid + noise agreement). So only
compression-history evidence can come near ``review`` alone, and ``high`` stays out of reach of this
finding alone at every fit so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from refundguard.checks._forensics.filters import closed, components

#: single-cue ceilings: how far one cue alone may push the score.
SINGLE_CAP = {"dq": 0.8, "grid": 0.5, "noise": 0.35, "resample": 0.25}
#: ceiling of an agreement of the other cues without double-quantisation support.
NO_DQ_CAP = 0.6
#: weight of each cue in the displayed heatmap.
HEAT_WEIGHT = {"dq": 0.9, "grid": 0.7, "noise": 0.5, "resample": 0.5}


@dataclass
class RegionEvidence:
    """One candidate region, on the cue grid: bounding box in cells, per-cue strength and score."""

    box: tuple[int, int, int, int]
    cells: int
    strengths: dict[str, float]
    score: float
    fill: float
    share: float
    mask: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0), bool))


def cue_maps(dq_llr: np.ndarray | None, grid: np.ndarray | None, noise_z: np.ndarray | None,
             shape: tuple[int, int], resample: np.ndarray | None = None,
             lattice: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Turn raw cue statistics (window means on the cue grid) into [0, 1] anomaly maps.

    Parameters
    ----------
    dq_llr : mean per-block log-likelihood ratio of single vs double quantisation, or None.
    grid : shifted/missing-grid map already in [0, 1], or None.
    noise_z : window-mean robust z of the noise level, or None.
    resample : local resampling strength already in [0, 1] (:mod:`.resample`), or None.
    lattice : share of blocks off an earlier JPEG lattice already in [0, 1] (:mod:`.jpeg_lattice`), or None;
        it is compression-history evidence like ``dq_llr`` and shares its map (the larger of the two).
    """
    zero = np.zeros(shape, np.float32)
    maps = {"dq": zero, "grid": zero, "noise": zero, "resample": zero}
    if dq_llr is not None:
        maps["dq"] = np.clip((dq_llr - 0.5) / 2.0, 0.0, 1.0).astype(np.float32)
    if lattice is not None:
        maps["dq"] = np.maximum(maps["dq"], np.clip(lattice, 0.0, 1.0)).astype(np.float32)
    if grid is not None:
        maps["grid"] = np.clip(grid, 0.0, 1.0).astype(np.float32)
    if noise_z is not None:
        maps["noise"] = np.clip((np.abs(noise_z) - 1.5) / 2.0, 0.0, 1.0).astype(np.float32)
    if resample is not None:
        maps["resample"] = np.clip(resample, 0.0, 1.0).astype(np.float32)
    return maps


def heatmap(maps: dict[str, np.ndarray]) -> np.ndarray:
    """Noisy-OR of the weighted cue maps, in [0, 1]."""
    keep = np.ones(next(iter(maps.values())).shape, np.float32)
    for name, m in maps.items():
        keep *= 1.0 - HEAT_WEIGHT[name] * m
    return 1.0 - keep


def combine(strengths: dict[str, float]) -> float:
    """Score of one region from its per-cue strengths (see the module docstring).

    Two cues of at least 0.35 agreeing give ``0.3 + 0.6 * mean(two best) + 0.1 * mean(the others)``.
    """
    single = max(SINGLE_CAP[k] * v for k, v in strengths.items())
    v = [*sorted(strengths.values(), reverse=True), 0.0, 0.0]
    rest = v[2:len(strengths)] or [0.0]
    multi = 0.3 + 0.6 * (v[0] + v[1]) / 2 + 0.1 * float(np.mean(rest)) if v[1] >= 0.35 else 0.0
    if strengths.get("dq", 0.0) < 0.35:
        multi = min(multi, NO_DQ_CAP)  # the other cues agree on real textures too often to accuse
    return float(min(1.0, max(single, multi)))


def find_regions(maps: dict[str, np.ndarray], heat: np.ndarray, *, threshold: float = 0.35,
                 min_frac: float = 0.002, max_frac: float = 0.45, min_cells: int = 6) -> list[RegionEvidence]:
    """Connected hot regions with their evidence, best first.

    A region counts only if it is compact (it fills at least 30 % of its box without penalty),
    local (between ``min_frac`` and ``max_frac`` of the picture) and holds most of the hot area
    (``share``); diffuse anomalies spread over the picture are scored down.
    """
    hot = heat >= threshold
    n = heat.size
    total_hot = int(hot.sum())
    if total_hot == 0:
        return []
    out: list[RegionEvidence] = []
    for mask, sl in components(closed(hot) & (heat > 0.5 * threshold)):
        cells = int(mask.sum())
        if cells < max(min_cells, int(min_frac * n)) or cells > max_frac * n:
            continue
        outside = ~mask
        strengths = {}
        for name, m in maps.items():
            inside = float(m[mask].mean())
            rest = float(np.median(m[outside])) if outside.any() else 0.0
            strengths[name] = float(np.clip(inside - rest, 0.0, 1.0))
        box = (sl[1].start, sl[0].start, sl[1].stop - sl[1].start, sl[0].stop - sl[0].start)
        fill = cells / float(box[2] * box[3])
        share = float(hot[mask].sum()) / total_hot
        score = combine(strengths)
        score *= min(1.0, fill / 0.3) * float(np.clip(share / 0.6, 0.3, 1.0))
        out.append(RegionEvidence(box=box, cells=cells, strengths=strengths, score=float(score), fill=fill,
                                  share=share, mask=mask))
    out.sort(key=lambda r: -r.score)
    return out
