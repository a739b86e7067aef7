"""Examine one pair of photos of the same object: where does one show damage the other lacks?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from refundguard.checks._views.config import MultiviewConfig
from refundguard.checks._views.dense import Correspondence, correspond
from refundguard.checks._views.evidence import Evidence, Judgement, judge, measure
from refundguard.checks._views.match import ViewMatch, WorkImage
from refundguard.checks._views.parallax import epipolar_agreement, parallax_bound
from refundguard.checks._views.structure import Aligned, Planes, align, candidates

Box = tuple[float, float, float, float]
IntBox = tuple[int, int, int, int]
#: a given region is examined when at least this share of it is compared
_REGION_SEEN = 0.5
#: candidates inside a given region are looked for at this (lower) level
_REGION_LEVEL = 0.25


@dataclass(frozen=True)
class Difference:
    """Damage shown in one photo and missing at the corresponding place of the other (original pixels)."""

    shown_in: int
    missing_in: int
    region_shown: IntBox
    region_expected: IntBox
    evidence: Evidence
    judgement: Judgement
    source: str  # "found" (located by comparing the photos) or "prior" (a region given to examine)

    @property
    def resolved(self) -> bool:
        """Whether the photo that lacks it sees the place well enough to have shown it."""
        return self.judgement.resolved

    @property
    def replaced(self) -> bool:
        return self.judgement.replaced

    def to_dict(self) -> dict[str, Any]:
        return {"shown_in": self.shown_in, "missing_in": self.missing_in, "source": self.source,
                "resolved": self.resolved, "kind": "replaced" if self.replaced else "added",
                "not_resolved_because": list(self.judgement.reasons),
                "regions": {str(self.shown_in): list(self.region_shown),
                            str(self.missing_in): list(self.region_expected)},
                **self.evidence.to_dict()}


@dataclass(frozen=True)
class RegionCheck:
    """A region of one photo (e.g. the claimed damage) looked for at the corresponding place of the other.

    ``status``: ``present`` (the other photo shows the same structure there), ``absent`` (it shows the
    place without it: a :class:`Difference` records why) or ``not_seen`` (the other photo does not
    see that place: out of frame, occluded, or not aligned reliably).
    """

    image: int
    other: int
    region: IntBox
    other_region: IntBox | None
    status: str
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "other": self.other, "region": list(self.region),
                "other_region": None if self.other_region is None else list(self.other_region),
                "status": self.status, **({} if self.evidence is None else self.evidence.to_dict())}


@dataclass
class PairResult:
    """What the comparison of two photos found (regions in each photo's original pixels)."""

    first: int
    second: int
    inliers: int
    agreement: tuple[float, float]  # share of matches each direction's dense map reproduces
    shared: tuple[float, float]  # share of each photo compared with the other
    differences: list[Difference] = field(default_factory=list)
    regions: list[RegionCheck] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.differences

    @property
    def resolved(self) -> list[Difference]:
        return [d for d in self.differences if d.resolved]


def _to_original(box: Box, work: WorkImage) -> IntBox:
    width, height = work.size if work.size != (0, 0) else (work.shape[1], work.shape[0])
    x, y, w, h = (v / work.scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(width, int(np.ceil(x + w))), min(height, int(np.ceil(y + h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _box_mask(box: Box, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    x, y, w, h = (round(v) for v in box)
    mask[max(0, y):max(0, y + h), max(0, x):max(0, x + w)] = True
    return mask


def _overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _mapped_box(corr: Correspondence, mask: np.ndarray) -> Box | None:
    """Bounding box in Y of where the (compared) pixels of ``mask`` lie."""
    sel = mask & corr.valid
    if not sel.any():
        return None
    pts = corr.map[sel]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)


@dataclass(frozen=True)
class _Side:
    """One direction of the comparison: X's structure against Y brought into X's frame."""

    index: int
    other: int
    work: WorkImage
    other_work: WorkImage
    corr: Correspondence
    aligned: Aligned
    fundamental: np.ndarray  # X's points to epipolar lines in Y
    max_shift: float  # longest parallax searched along an epipolar line (X's pixels)


def _judged(side: _Side, mask: np.ndarray, cfg: MultiviewConfig) -> tuple[Evidence, Judgement] | None:
    """Measure and judge a candidate; a difference is also looked for along its epipolar line."""
    ev = measure(side.aligned, mask, cfg.compare)
    if ev is None:
        return None
    verdict = judge(ev, cfg.compare, cfg.visibility)
    if verdict.difference:
        ev = replace(ev, parallax_ncc=epipolar_agreement(side.aligned, side.corr, side.fundamental, mask,
                                                         side.max_shift))
        verdict = judge(ev, cfg.compare, cfg.visibility)
    return ev, verdict


def _difference(side: _Side, mask: np.ndarray, ev: Evidence, verdict: Judgement, source: str) -> Difference:
    x, y, w, h = ev.box
    expected = _mapped_box(side.corr, mask) or (float(x), float(y), float(w), float(h))
    return Difference(side.index, side.other, _to_original(ev.box, side.work), _to_original(expected, side.other_work),
                      ev, verdict, source)


def _examine_side(side: _Side, cfg: MultiviewConfig, hints: Sequence[Box], result: PairResult) -> None:
    found: list[Difference] = []
    for mask in candidates(side.aligned, cfg.compare):
        judged = _judged(side, mask, cfg)
        if judged is None:
            continue
        ev, verdict = judged
        if verdict.difference:
            found.append(_difference(side, mask, ev, verdict, "found"))
    shape = side.work.shape
    for hint in hints:
        box_mask = _box_mask(hint, shape)
        region = _to_original(hint, side.work)
        if box_mask.sum() == 0 or (box_mask & side.aligned.overlap).sum() < _REGION_SEEN * box_mask.sum():
            result.regions.append(RegionCheck(side.index, side.other, region, None, "not_seen"))
            continue
        mapped = _mapped_box(side.corr, box_mask)
        other_region = None if mapped is None else _to_original(mapped, side.other_work)
        absent = None
        for mask in candidates(side.aligned, cfg.compare, within=box_mask, level=_REGION_LEVEL):
            judged = _judged(side, mask, cfg)
            if judged is None:
                continue
            ev, verdict = judged
            if verdict.difference:
                absent = absent or ev
                found.append(_difference(side, mask, ev, verdict, "prior"))
        if absent is None:  # a mark found by comparing the photos that the region covers
            absent = next((d.evidence for d in found if d.source == "found" and _overlaps(d.evidence.box, hint)), None)
        status = "absent" if absent is not None else "present"
        result.regions.append(RegionCheck(side.index, side.other, region, other_region, status,
                                          absent or measure(side.aligned, box_mask, cfg.compare)))
    kept: list[Difference] = []
    for diff in sorted(found, key=lambda d: (d.source != "prior", -d.evidence.contrast)):
        if not any(_overlaps(k.evidence.box, diff.evidence.box) for k in kept):
            kept.append(diff)
    result.differences.extend(kept)


def examine(first: int, second: int, work_a: WorkImage, work_b: WorkImage, vm: ViewMatch,
            config: MultiviewConfig | None = None, hints: tuple[Sequence[Box], Sequence[Box]] = ((), ()),
            planes: tuple[Planes, Planes] | None = None) -> PairResult:
    """Compare photos ``first`` (A) and ``second`` (B) in both directions.

    Parameters
    ----------
    work_a, work_b : working copies; vm : their geometric match (B→A).
    hints : regions to examine in each photo (e.g. damage other checks reported), in *working* pixels.
    planes : A's and B's :class:`~refundguard.checks._views.structure.Planes`, when the caller compares a photo
        in several pairs and keeps what was derived from it (made for this pair otherwise).
    """
    cfg = config or MultiviewConfig()
    pa, pb = planes if planes is not None else (Planes(work_a.gray, work_a.rgb), Planes(work_b.gray, work_b.rgb))
    corr_ab, corr_ba = correspond(work_a.gray, work_b.gray, vm, cfg.align,
                                  flow_images=(pa.plane("flow"), pb.plane("flow")))
    al_a = align(work_a.gray, work_a.rgb, work_b.gray, work_b.rgb, corr_ab, cfg.compare, planes=(pa, pb))
    al_b = align(work_b.gray, work_b.rgb, work_a.gray, work_a.rgb, corr_ba, cfg.compare, planes=(pb, pa))
    pa.drop_bands()
    pb.drop_bands()
    result = PairResult(first, second, vm.inliers, (corr_ab.agreement, corr_ba.agreement),
                        (corr_ab.shared, corr_ba.shared))
    largest = cfg.compare.max_parallax
    side_a = _Side(first, second, work_a, work_b, corr_ab, al_a, vm.fundamental,
                   parallax_bound(vm, True, max(work_a.shape), largest))
    side_b = _Side(second, first, work_b, work_a, corr_ba, al_b, vm.fundamental.T,
                   parallax_bound(vm, False, max(work_b.shape), largest))
    _examine_side(side_a, cfg, hints[0], result)
    _examine_side(side_b, cfg, hints[1], result)
    return result
