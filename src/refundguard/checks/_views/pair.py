"""Examine one pair of photos of the same object: where does one show damage the other lacks?"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from refundguard.checks._views.compare import (
    PARALLAX_NCC,
    Aligned,
    Anomaly,
    align,
    candidates,
    epipolar_search,
    is_anomalous,
    measure,
)
from refundguard.checks._views.match import ViewMatch, WorkImage, area_scale, local_homography, map_box, planes

Box = tuple[float, float, float, float]
#: largest parallax searched along an epipolar line, as a fraction of the working image's longest side
MAX_PARALLAX = 0.08


@dataclass(frozen=True)
class Difference:
    """Damage shown in one photo and missing at the corresponding place of the other (original pixels)."""

    shown_in: int
    missing_in: int
    region_shown: tuple[int, int, int, int]
    region_expected: tuple[int, int, int, int]
    anomaly: Anomaly
    source: str  # "found" (located by comparing the photos) or "prior" (a region another check reported)


@dataclass
class PairResult:
    """What the comparison of two photos found."""

    first: int
    second: int
    inliers: int
    surfaces: int
    differences: list[Difference] = field(default_factory=list)
    agreeing_priors: list[dict[str, object]] = field(default_factory=list)


def _hull_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    hull = cv2.convexHull(points.astype(np.float32)).astype(np.int32)
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(bool)


def _to_original(box: Box, scale: float, width: int, height: int) -> tuple[int, int, int, int]:
    x, y, w, h = (v / scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(width, int(np.ceil(x + w))), min(height, int(np.ceil(y + h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _box_mask(box: Box, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    x, y, w, h = (round(v) for v in box)
    mask[max(0, y):max(0, y + h), max(0, x):max(0, x + w)] = True
    return mask


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@dataclass(frozen=True)
class _Side:
    """One direction of the comparison: X's structure against Y brought into X's frame."""

    index: int
    other: int
    work: WorkImage
    other_work: WorkImage
    aligned: Aligned
    to_other: np.ndarray  # homography X→Y (working pixels)
    epipolar: np.ndarray  # maps a point of X to its epipolar line in the warped-Y frame
    match: ViewMatch
    x_is_a: bool
    size: tuple[int, int]  # original (width, height) of X
    other_size: tuple[int, int]
    max_shift: float  # largest parallax searched along epipolar lines (working pixels)


def _judge(side: _Side, anomaly: Anomaly) -> Anomaly | None:
    if not is_anomalous(anomaly):
        return None
    x, y, w, h = anomaly.box
    line = side.epipolar @ np.array([x + w / 2.0, y + h / 2.0, 1.0])
    ncc, _ = epipolar_search(side.aligned, anomaly.box, line, side.max_shift)
    if ncc >= PARALLAX_NCC:
        return None
    return replace(anomaly, parallax_ncc=ncc)


def _expected(side: _Side, box: Box) -> Box:
    """Where ``box`` of X lies in Y: through the homography of the nearby matches, else the dominant one."""
    vm = side.match
    if side.x_is_a:
        local = local_homography(vm, box)
        to_other = np.linalg.inv(local) if local is not None else side.to_other
    else:
        flipped = ViewMatch(np.linalg.inv(vm.homography), vm.fundamental.T, vm.pts_b, vm.pts_a, vm.plane,
                            vm.candidates)
        local = local_homography(flipped, box)
        to_other = np.linalg.inv(local) if local is not None else side.to_other
    return map_box(to_other, box)


def _examine_side(side: _Side, hints: list[Box], result: PairResult) -> None:
    shape = side.work.shape
    min_area = max(30, int(1e-4 * shape[0] * shape[1]))
    found: list[tuple[Anomaly, str]] = [(a, "found") for a in candidates(side.aligned, min_area)]
    for hint in hints:
        mask = _box_mask(hint, shape)
        inside = candidates(side.aligned, 12, within=mask, level=0.25)
        if not inside:
            whole = measure(side.aligned, mask)
            if whole is not None:
                result.agreeing_priors.append({"image": side.index, "region": [round(v) for v in hint],
                                               **whole.to_dict()})
            continue
        for anomaly in inside:
            if _judge(side, anomaly) is None:
                result.agreeing_priors.append({"image": side.index, "region": list(anomaly.box), **anomaly.to_dict()})
            else:
                found.append((anomaly, "prior"))
    kept: list[Difference] = []
    for anomaly, source in found:
        judged = _judge(side, anomaly)
        if judged is None:
            continue
        if any(_overlaps(d.anomaly.box, judged.box) for d in kept):
            continue
        shown = _to_original(judged.box, side.work.scale, *side.size)
        expected = _to_original(_expected(side, judged.box), side.other_work.scale, *side.other_size)
        kept.append(Difference(side.index, side.other, shown, expected, judged, source))
    result.differences.extend(kept)


def parallax_bound(homography: np.ndarray, src: np.ndarray, dst: np.ndarray, side: int) -> float:
    """How far matched points stray from the dominant surface's homography (``src``→``dst``), in pixels.

    Points off that surface are displaced by parallax; the 95th percentile of the displacements of the
    matched points (with slack) bounds the search along epipolar lines. A flat object gives a few pixels.
    """
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2).astype(np.float64), homography).reshape(-1, 2)
    residual = np.linalg.norm(mapped - dst, axis=1)
    return float(np.clip(1.5 * np.percentile(residual, 95) + 3.0, 4.0, MAX_PARALLAX * side))


def examine(first: int, second: int, work_a: WorkImage, work_b: WorkImage, vm: ViewMatch,
            sizes: tuple[tuple[int, int], tuple[int, int]], hints: tuple[list[Box], list[Box]]) -> PairResult:
    """Compare photos ``first`` (A) and ``second`` (B) in both directions.

    Parameters
    ----------
    work_a, work_b : working copies; vm : their geometric match (B→A).
    sizes : original (width, height) of A and B.
    hints : damage regions other checks reported, in each photo's *working* pixels.
    """
    surfaces = planes(vm)
    inverse = [np.linalg.inv(h) for h in surfaces]
    centre_a = tuple(vm.pts_a.mean(axis=0))
    centre_b = tuple(vm.pts_b.mean(axis=0))
    grow_b_in_a = area_scale(surfaces[0], centre_b)
    grow_a_in_b = area_scale(inverse[0], centre_a)
    region_a = _hull_mask(vm.pts_a, work_a.shape)
    region_b = _hull_mask(vm.pts_b, work_b.shape)
    result = PairResult(first, second, vm.inliers, len(surfaces))
    shift_a = parallax_bound(surfaces[0], vm.pts_b, vm.pts_a, max(work_a.shape))
    shift_b = parallax_bound(inverse[0], vm.pts_a, vm.pts_b, max(work_b.shape))
    side_a = _Side(first, second, work_a, work_b, align(work_a.gray, work_b.gray, surfaces, region_a, grow_b_in_a),
                   inverse[0], np.linalg.inv(surfaces[0]).T @ vm.fundamental, vm, True, sizes[0], sizes[1], shift_a)
    side_b = _Side(second, first, work_b, work_a, align(work_b.gray, work_a.gray, inverse, region_b, grow_a_in_b),
                   surfaces[0], surfaces[0].T @ vm.fundamental.T, vm, False, sizes[1], sizes[0], shift_b)
    _examine_side(side_a, hints[0], result)
    _examine_side(side_b, hints[1], result)
    return result
