"""Compare one photo with another view of the same item: the one place where the live check meets the
multiview geometry (:mod:`refundguard.checks._views`).

:func:`compare` answers, for a claim photo and a live shot (or two live shots): do they show the same
object; how much of each photo the other covers; which structure one shows that the other lacks at the
corresponding place, and whether the other sees that place well enough to have shown it; and, for given
regions of the first photo (the claimed damage), whether the other shows them (``present``), shows the place
without them (``absent``) or does not see the place (``not_seen``). Everything the live check needs from the
geometry goes through this function, so the multiview rebuild can replace its inside without touching the
check.

Working copies and their SIFT features are kept per image (by SHA-256) in a small process-wide cache, so a
live shot analysed when it arrived is not matched from scratch again when the session completes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import cv2
import numpy as np

from refundguard.checks._live.recapture import frame_edge_support
from refundguard.checks._views.match import (
    Features,
    ViewMatch,
    WorkImage,
    area_scale,
    features,
    map_box,
    match,
    work_image,
)
from refundguard.checks._views.pair import examine
from refundguard.media.load import LoadedImage

Box = tuple[int, int, int, int]
#: the other photo "resolves" a place when it sees it with at least this fraction of a pixel per pixel
RESOLVES = 0.6
#: a region is "seen" by the other photo when at least this share of it maps inside the other's matched area
SEEN_SHARE = 0.6


@dataclass(frozen=True)
class Missing:
    """Structure photo ``shown_in`` shows at ``region_shown`` and the other lacks at ``region_expected``
    (each in its own photo's pixels); ``resolved``: the other sees that place well enough to have shown it."""

    shown_in: int  # 0: the first photo, 1: the other
    region_shown: Box
    region_expected: Box
    resolved: bool
    magnification: float
    contrast: float
    source: str  # "found" or "region" (inside a region given to look at)

    def to_dict(self) -> dict[str, object]:
        return {"shown_in": self.shown_in, "region_shown": list(self.region_shown),
                "region_expected": list(self.region_expected), "resolved": self.resolved,
                "magnification": round(self.magnification, 2), "contrast": round(self.contrast, 2),
                "source": self.source}


@dataclass(frozen=True)
class RegionSeen:
    """A region of the first photo looked for in the other: ``present``, ``absent`` or ``not_seen``."""

    region: Box
    other_region: Box | None
    status: str

    def to_dict(self) -> dict[str, object]:
        other = None if self.other_region is None else list(self.other_region)
        return {"region": list(self.region), "other_region": other, "status": self.status}


@dataclass(frozen=True)
class Comparison:
    """What comparing two views of one item found (regions in each photo's own pixels)."""

    inliers: int
    shared: tuple[float, float]  # share of each photo's area that the other covers (matched area)
    footprint: Box  # where the other photo's frame lies in the first photo
    planar_share: float  # share of the matches that one homography explains (a flat scene: close to 1)
    residual: float  # median distance (working pixels) of the matches from that homography
    missing: tuple[Missing, ...]
    regions: tuple[RegionSeen, ...]
    #: share of the first photo's border that, mapped into the other, lies inside it along a straight edge
    #: (the first photo shown whole inside the other: displayed on a screen or printed, then photographed)
    frame_edge: float = 0.0
    _geometry: _Geometry | None = None

    def seen(self, region: Box) -> RegionSeen:
        """Whether the other photo shows ``region`` of the first (see :class:`RegionSeen`)."""
        g = self._geometry
        if g is None:
            return RegionSeen(tuple(region), None, "not_seen")
        hint = tuple(float(v) * g.scale_a for v in region)
        mapped = map_box(g.to_b, hint)
        if _inside_share(mapped, g.hull_b) < SEEN_SHARE or _inside_share(hint, g.hull_a) < SEEN_SHARE:
            return RegionSeen(tuple(region), None, "not_seen")
        gone = any(m.shown_in == 0 and m.resolved and _overlap(m.region_shown, region) for m in self.missing)
        return RegionSeen(tuple(region), _to_original(mapped, g.scale_b, g.size_b), "absent" if gone else "present")

    def to_dict(self) -> dict[str, object]:
        return {"matched_points": self.inliers, "shared": [round(s, 3) for s in self.shared],
                "footprint": list(self.footprint), "planar_share": round(self.planar_share, 3),
                "residual_px": round(self.residual, 2), "missing": [m.to_dict() for m in self.missing],
                "regions": [r.to_dict() for r in self.regions], "frame_edge": round(self.frame_edge, 3)}


@dataclass(frozen=True)
class _Geometry:
    to_b: np.ndarray  # first -> other, working pixels
    scale_a: float
    scale_b: float
    size_b: tuple[int, int]
    hull_a: np.ndarray
    hull_b: np.ndarray


K = TypeVar("K")
V = TypeVar("V")


class _Memo:
    """A small thread-safe LRU."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[object, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object, make: Callable[[], V]) -> V:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]  # type: ignore[return-value]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_PREPARED = _Memo(24)
_COMPARED = _Memo(64)


@dataclass(frozen=True)
class _View:
    """Pixels to compare and the key their working copy is cached under."""

    pixels: np.ndarray
    key: str

    @property
    def size(self) -> tuple[int, int]:
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def _prepare(view: _View) -> tuple[WorkImage, Features]:
    def make() -> tuple[WorkImage, Features]:
        work = work_image(view.pixels)
        return work, features(work)

    return _PREPARED.get(view.key, make)


def prepare(image: LoadedImage) -> tuple[WorkImage, Features]:
    """The working copy and SIFT features of ``image`` (cached by SHA-256)."""
    return _prepare(_View(image.pixels, image.sha256))


def _to_original(box: Sequence[float], scale: float, size: tuple[int, int]) -> Box:
    x, y, w, h = (float(v) / scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(size[0], int(np.ceil(x + w))), min(size[1], int(np.ceil(y + h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _hull_share(points: np.ndarray, shape: tuple[int, int]) -> tuple[float, np.ndarray]:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.astype(np.float32)).astype(np.int32), 1)
    return float(mask.mean()), mask.astype(bool)


def _overlap(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _inside_share(box: Sequence[float], mask: np.ndarray) -> float:
    x, y, w, h = (round(v) for v in box)
    x0, y0, x1, y1 = max(0, x), max(0, y), min(mask.shape[1], x + w), min(mask.shape[0], y + h)
    area = max(1, w * h)
    return 0.0 if x1 <= x0 or y1 <= y0 else float(mask[y0:y1, x0:x1].sum()) / area


def compare(photo: LoadedImage, other: LoadedImage, *, regions: Sequence[Box] = ()) -> Comparison | None:
    """Compare ``photo`` (0) with ``other`` (1); None when they do not show the same object."""
    key = (photo.sha256, other.sha256, tuple(tuple(r) for r in regions))
    return _COMPARED.get(key, lambda: _compare(_View(photo.pixels, photo.sha256), _View(other.pixels, other.sha256),
                                               regions))


def _compare(view_a: _View, view_b: _View, regions: Sequence[Box]) -> Comparison | None:
    wa, fa = _prepare(view_a)
    wb, fb = _prepare(view_b)
    vm = match(fa, fb)
    if vm is None:
        return None
    size_a, size_b = view_a.size, view_b.size
    hints = [tuple(float(v) * wa.scale for v in r) for r in regions]
    res = examine(0, 1, wa, wb, vm, None, (hints, []))  # type: ignore[arg-type]
    to_b = np.linalg.inv(vm.homography)  # A -> B (working pixels)
    share_a, hull_a = _hull_share(vm.pts_a, wa.shape)
    share_b, hull_b = _hull_share(vm.pts_b, wb.shape)
    missing = []
    for d in res.differences:
        x, y, w, h = d.evidence.box
        centre = (x + w / 2.0, y + h / 2.0)
        hom = to_b if d.shown_in == 0 else vm.homography
        mag = area_scale(hom, centre)
        inside = any(_overlap(d.evidence.box, hint) for hint in hints) if d.shown_in == 0 else False
        missing.append(Missing(shown_in=0 if d.shown_in == 0 else 1, region_shown=tuple(d.region_shown),
                               region_expected=tuple(d.region_expected), resolved=mag >= RESOLVES,
                               magnification=mag, contrast=d.evidence.contrast,
                               source="region" if inside or d.source == "prior" else "found"))
    frame_b = (0.0, 0.0, float(wb.shape[1]), float(wb.shape[0]))
    footprint = _to_original(map_box(vm.homography, frame_b), wa.scale, size_a)
    ha, wa_ = wa.shape
    corners = np.float64([[0, 0], [wa_, 0], [wa_, ha], [0, ha]]).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, to_b).reshape(-1, 2)
    geometry = _Geometry(to_b, wa.scale, wb.scale, size_b, hull_a, hull_b)
    comp = Comparison(inliers=vm.inliers, shared=(share_a, share_b), footprint=footprint,
                      planar_share=vm.plane_inliers / max(1, vm.inliers), residual=_residual(vm),
                      missing=tuple(missing), regions=(), frame_edge=frame_edge_support(wb.gray, quad),
                      _geometry=geometry)
    return replace(comp, regions=tuple(comp.seen(r) for r in regions))


def _residual(vm: ViewMatch) -> float:
    mapped = cv2.perspectiveTransform(vm.pts_b.reshape(-1, 1, 2).astype(np.float64), vm.homography).reshape(-1, 2)
    return float(np.median(np.linalg.norm(mapped - vm.pts_a, axis=1)))
