"""Compare one photo with another view of the same item: the one place where the live check meets the
view geometry.

:func:`compare` answers, for a claim photo and a live shot (or two live shots): do they show the same
object (SIFT matches consistent with one rigid scene, :mod:`refundguard.checks._views.match`); how much of each
photo the other covers; which structure one shows that the other lacks at the corresponding place, and whether
the other sees that place well enough to have shown it; and, for given regions of the first photo (the claimed
damage), whether the other shows them (``present``), shows the place without them (``absent``) or does not see
the place (``not_seen``). The structure comparison is the live check's own (:mod:`refundguard.checks._live.place`,
thresholds in ``[checks.live.place]``): its decisions do not move when the multiview check's comparison is tuned.

Working copies and their SIFT features are kept per image (by SHA-256) in a small process-wide cache, so a
live shot analysed when it arrived is not matched from scratch again when the session completes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np

from refundguard.checks._live.config import PlaceSettings
from refundguard.checks._live.place import PlaceSeen, examine_place
from refundguard.checks._live.recapture import frame_edge_support
from refundguard.checks._views.match import Features, ViewMatch, WorkImage, features, map_box, match, work_image
from refundguard.media.load import LoadedImage

Box = tuple[int, int, int, int]


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
    source: str  # "found" (comparing the whole shared area) or "region" (inside a region given to look at)
    best_match: float = 0.0
    ring_agreement: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"shown_in": self.shown_in, "region_shown": list(self.region_shown),
                "region_expected": list(self.region_expected), "resolved": self.resolved,
                "magnification": round(self.magnification, 2), "contrast": round(self.contrast, 2),
                "source": self.source, "best_match": round(self.best_match, 3),
                "ring_agreement": round(self.ring_agreement, 3)}


@dataclass(frozen=True)
class RegionSeen:
    """A region of the first photo looked for in the other: ``present``, ``absent`` or ``not_seen``."""

    region: Box
    other_region: Box | None
    status: str
    place: PlaceSeen | None = None

    def to_dict(self) -> dict[str, object]:
        other = None if self.other_region is None else list(self.other_region)
        out: dict[str, object] = {"region": list(self.region), "other_region": other, "status": self.status}
        if self.place is not None:
            out |= {k: v for k, v in self.place.to_dict().items() if k not in out}
        return out


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
        for r in self.regions:
            if tuple(r.region) == tuple(region):
                return r
        g = self._geometry
        if g is None:
            return RegionSeen(tuple(region), None, "not_seen")  # type: ignore[arg-type]
        return g.look(tuple(region))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return {"matched_points": self.inliers, "shared": [round(s, 3) for s in self.shared],
                "footprint": list(self.footprint), "planar_share": round(self.planar_share, 3),
                "residual_px": round(self.residual, 2), "missing": [m.to_dict() for m in self.missing],
                "regions": [r.to_dict() for r in self.regions], "frame_edge": round(self.frame_edge, 3)}


@dataclass
class _Geometry:
    """Both photos (grey, original pixels), the match and the settings: looks a region up on demand."""

    gray_a: np.ndarray
    gray_b: np.ndarray
    vm: ViewMatch
    scale_a: float
    scale_b: float
    hull_a: np.ndarray
    settings: PlaceSettings
    key: tuple[str, str] = ("", "")  # the two photos' SHA-256

    def homography(self, region: Box | None) -> np.ndarray:
        """A's original pixels → B's: the dominant surface's, or one fitted to the matches around ``region``."""
        work = np.linalg.inv(self.vm.homography)  # A -> B, working pixels
        if region is not None:
            x, y, w, h = (v * self.scale_a for v in region)
            reach = self.settings.local_reach * max(w, h)
            pa, pb = self.vm.pts_a, self.vm.pts_b
            near = ((pa[:, 0] >= x - reach) & (pa[:, 0] <= x + w + reach)
                    & (pa[:, 1] >= y - reach) & (pa[:, 1] <= y + h + reach))
            if near.sum() >= self.settings.local_matches:
                try:
                    local, mask = cv2.findHomography(pa[near], pb[near], cv2.USAC_MAGSAC, 2.0, maxIters=2000,
                                                     confidence=0.995)
                except cv2.error:
                    local, mask = None, None
                if local is not None and mask is not None and mask.sum() >= 0.75 * self.settings.local_matches:
                    work = local
        to_work = np.diag([self.scale_a, self.scale_a, 1.0])
        from_work = np.diag([1 / self.scale_b, 1 / self.scale_b, 1.0])
        return from_work @ work @ to_work

    def look(self, region: Box, side: int | None = None) -> RegionSeen:
        key = (*self.key, tuple(region), side or 0, self.settings.model_dump_json())
        return _LOOKED.get(key, lambda: self._look(region, side))

    def _look(self, region: Box, side: int | None) -> RegionSeen:
        # the whole shared area (``side`` given) is compared by the gradient test alone: the shape test looks at
        # the claimed place, where a painted mark is looked for
        settings = self.settings if side is None else self.settings.model_copy(update={
            "side": side, "max_pixels": side * side, "shape_test": False})
        work = tuple(float(v) * self.scale_a for v in region)
        if _inside_share(work, self.hull_a) < settings.seen_share:
            return RegionSeen(region, None, "not_seen")
        hom = self.homography(region if side is None else None)
        matches = (self.vm.pts_a / self.scale_a, self.vm.pts_b / self.scale_b)
        place = examine_place(self.gray_a, self.gray_b, hom, region, settings, matches)
        return RegionSeen(region, place.other_region, place.status, place)


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
_LOOKED = _Memo(256)
_MATCHED = _Memo(64)


@dataclass(frozen=True)
class _View:
    """Pixels to compare and the key their working copy is cached under."""

    pixels: np.ndarray
    key: str

    @property
    def size(self) -> tuple[int, int]:
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def _prepare(view: _View, *, plain_surface: bool = False) -> tuple[WorkImage, Features]:
    """The working copy and its SIFT features; ``plain_surface``: a copy for a low-texture item (a magnetic tile, a
    plain ceramic): brought up to the working size when the photo is smaller and its local contrast equalised
    (CLAHE), so that SIFT finds enough of the surface's faint texture to match on."""
    def make() -> tuple[WorkImage, Features]:
        work = work_image(view.pixels)
        if plain_surface:
            work = _equalised(work, view.size)
        return work, features(work)

    return _PREPARED.get((view.key, plain_surface), make)


def _equalised(work: WorkImage, size: tuple[int, int], side: int = 1024) -> WorkImage:
    h, w = work.gray.shape
    up = max(1.0, side / max(h, w))
    gray = work.gray if up == 1.0 else cv2.resize(work.gray, (round(w * up), round(h * up)),
                                                  interpolation=cv2.INTER_CUBIC)
    gray = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray)
    return WorkImage(gray=gray, scale=work.scale * gray.shape[1] / w, rgb=None, size=size)


def prepare(image: LoadedImage) -> tuple[WorkImage, Features]:
    """The working copy and SIFT features of ``image`` (cached by SHA-256)."""
    return _prepare(_View(image.pixels, image.sha256))


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


def _to_original(box: Sequence[float], scale: float, size: tuple[int, int]) -> Box:
    x, y, w, h = (float(v) / scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(size[0], int(np.ceil(x + w))), min(size[1], int(np.ceil(y + h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def compare(photo: LoadedImage, other: LoadedImage, *, regions: Sequence[Box] = (), overview: bool = False,
            settings: PlaceSettings | None = None) -> Comparison | None:
    """Compare ``photo`` (0) with ``other`` (1); None when they do not show the same object.

    ``regions`` of the photo are looked for in the other (:class:`RegionSeen`); with ``overview`` the whole area
    they share is compared as well (at a coarser resolution), and what one shows there and the other lacks is in
    ``missing`` with source ``found``."""
    cfg = settings or PlaceSettings()
    key = (photo.sha256, other.sha256, tuple(tuple(r) for r in regions), overview, cfg.model_dump_json())
    return _COMPARED.get(key, lambda: _compare(photo, other, regions, overview, cfg))


def _missing(seen: RegionSeen, source: str) -> list[Missing]:
    place = seen.place
    if place is None:
        return []
    resolved = place.resolution >= 1.0 - 1e-6 or place.status != "not_seen"
    out = [Missing(0, lack.box, lack.other_box, resolved, place.resolution, lack.contrast, source, lack.best_match,
                   lack.ring_agreement) for lack in place.lacking]
    out += [Missing(1, lack.box, lack.other_box, resolved, place.resolution, lack.contrast, source, lack.best_match,
                    lack.ring_agreement) for lack in place.extra]
    return out


def _compare(photo: LoadedImage, other: LoadedImage, regions: Sequence[Box], overview: bool,
             cfg: PlaceSettings) -> Comparison | None:
    view_a, view_b = _View(photo.pixels, photo.sha256), _View(other.pixels, other.sha256)

    def matched() -> tuple[ViewMatch | None, bool]:
        found = match(_prepare(view_a)[1], _prepare(view_b)[1])
        if found is not None or not cfg.plain_surfaces:
            return found, False
        # too little texture for the photos' own features (a plain tile): equalised copies of both
        return match(_prepare(view_a, plain_surface=True)[1], _prepare(view_b, plain_surface=True)[1]), True

    vm, plain = _MATCHED.get((photo.sha256, other.sha256, cfg.plain_surfaces), matched)
    if vm is None:
        return None
    wa, _ = _prepare(view_a, plain_surface=plain)
    wb, _ = _prepare(view_b, plain_surface=plain)
    size_a = view_a.size
    share_a, hull_a = _hull_share(vm.pts_a, wa.shape)
    share_b, _ = _hull_share(vm.pts_b, wb.shape)
    geometry = _Geometry(photo.gray, other.gray, vm, wa.scale, wb.scale, hull_a, cfg, (photo.sha256, other.sha256))
    to_b = np.linalg.inv(vm.homography)  # A -> B (working pixels)
    frame_b = (0.0, 0.0, float(wb.shape[1]), float(wb.shape[0]))
    footprint = _to_original(map_box(vm.homography, frame_b), wa.scale, size_a)
    missing: list[Missing] = []
    if overview:  # the whole area the photos share, coarser: what a place given to look at would not cover
        ys, xs = np.nonzero(hull_a)
        shared = _to_original((float(xs.min()), float(ys.min()), float(np.ptp(xs) + 1), float(np.ptp(ys) + 1)),
                              wa.scale, size_a)
        missing += [m for m in _missing(geometry.look(shared, cfg.overview_side), "found")
                    if not any(_overlap(m.region_shown if m.shown_in == 0 else m.region_expected, r)
                               for r in regions)]
    seen = tuple(geometry.look(tuple(r)) for r in regions)  # type: ignore[arg-type]
    for r in seen:
        missing += _missing(r, "region")
    ha, wa_ = wa.shape
    corners = np.float64([[0, 0], [wa_, 0], [wa_, ha], [0, ha]]).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, to_b).reshape(-1, 2)
    return Comparison(inliers=vm.inliers, shared=(share_a, share_b), footprint=footprint,
                      planar_share=vm.plane_inliers / max(1, vm.inliers), residual=_residual(vm),
                      missing=tuple(missing), regions=seen, frame_edge=frame_edge_support(wb.gray, quad),
                      _geometry=geometry)


def _residual(vm: ViewMatch) -> float:
    mapped = cv2.perspectiveTransform(vm.pts_b.reshape(-1, 1, 2).astype(np.float64), vm.homography).reshape(-1, 2)
    return float(np.median(np.linalg.norm(mapped - vm.pts_a, axis=1)))
