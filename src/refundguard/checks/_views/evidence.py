"""Measure one candidate (structure X shows and Y lacks) and judge what it is evidence of.

A candidate is a *difference* when it is clearly visible in X and unexplained by Y while the surface
around it agrees (``ring``): the surrounding texture obeys the correspondence, so the comparison is
sound right there. It is then judged on two questions:

* **Could Y have shown it?** (``resolved``) Y sees the place with enough pixels in its worst direction
  (``resolution``: distance and viewing angle), as sharply as X (``sharpness``: fine detail of Y in the
  ring against X's, which falls when Y is out of focus or blurred), neither blown out nor black
  (``clipped``), and the ring is aligned (``ring_valid``) with the same texture (``ring_agreement``).
* **Is it damage-like?** Damage is *added* structure — a crack, scratch, stain, chip or tear on a
  surface the other view shows plain. When Y shows other, comparable structure at the very place
  (``replaced``), the views show different content there (a reflection, an occluder, a moving object),
  which is weaker evidence. A candidate that X brightens towards white without darkening anywhere is a
  specular highlight that moved with the viewpoint, not damage (cracks, stains and tears darken).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from refundguard.checks._views.config import CompareSettings, VisibilitySettings
from refundguard.checks._views.structure import Aligned

#: below this brightness variation (log units) in the ring, the surface is plain: no texture to correlate
_PLAIN_RING = 0.02


@dataclass(frozen=True)
class Evidence:
    """What was measured at one candidate; ``box`` is (x, y, w, h) in X's working frame."""

    box: tuple[int, int, int, int]
    unexplained: float  # share of the candidate's structure Y lacks
    ring: float  # share of the surrounding ring's structure Y lacks
    contrast: float  # strongest unexplained structure, × the object's typical structure
    lift: float  # X's brightening towards white when it nowhere darkens (a highlight's mark), else 0
    darkening: float  # how much darker X is than Y at the mark, against the ring (log units)
    replaced: float  # share of Y's structure at the place that X lacks
    resolution: float  # Y pixels per X pixel there, worst direction
    sharpness: float | None  # Y's fine detail in the ring against X's (None: plain surface)
    clipped: float  # share of the place Y shows blown out or black
    ring_valid: float  # share of the ring both views see, aligned
    ring_agreement: float | None  # correlation of the ring's texture (None: plain surface)
    area: int
    darkest: float = 0.0  # how much darker X is than Y at the mark (90th percentile, log units, against the ring)
    light: float = 0.0  # X brighter than Y at the mark, when nowhere darker (log units; 0 otherwise)
    interior_light: float = 0.0  # X brighter than Y around the mark, inside its box (log units)
    other_dark: float = 0.0  # how much darker Y sees the place than the surface around it (log units)
    other_plain: float | None = None  # Y's fine detail at the place against its ring (None: plain ring)
    hole_fit: float = 1.0  # share of those holes that the mark's own box covers (the mark made the hole)
    filled: float = 0.0  # share of the mark inside an enclosed hole of the flow, mapped by the surface around
    parallax_ncc: float = 0.0  # best agreement with the other view along the epipolar line
    light_width: float = 0.0  # mean width (px) of what X brightens at the mark (thin: a scuff line)
    light_elongation: float = 0.0  # ... its length over its width (a line: many times; a blob: about 1)
    light_grey: float = 0.0  # ... its brightest grey level in X (95th percentile, 0-255: a glint is white)
    ring_trusted: float = 1.0  # share of the ring the flow itself aligned (not filled from the surface around)
    foreshortening: float = 1.0  # Y's worst over best direction of magnification there (1: seen face-on as X)
    brightest: float = 0.0  # how much brighter X is than Y at the mark (90th percentile, log units, against the ring)
    interior_agreement: float | None = None  # correlation of X's and Y's fine detail inside the box, off the mark
    share: float = 0.0  # the mark's area, share of X's working image
    planar: bool = False  # the pair is a flat scene (one homography maps it): nothing lies at another depth

    def to_dict(self) -> dict[str, float | None]:
        def r(v: float | None, n: int = 3) -> float | None:
            return None if v is None else round(float(v), n)

        return {"unexplained": r(self.unexplained), "ring_unexplained": r(self.ring), "contrast": r(self.contrast, 2),
                "highlight_lift": r(self.lift), "darkening": r(self.darkening), "replaced": r(self.replaced),
                "resolution": r(self.resolution, 2), "sharpness": r(self.sharpness, 2), "clipped": r(self.clipped),
                "ring_valid": r(self.ring_valid), "ring_agreement": r(self.ring_agreement),
                "darkest": r(self.darkest), "moved_light": r(self.light), "interior_light": r(self.interior_light),
                "other_dark": r(self.other_dark), "other_plain": r(self.other_plain),
                "filled": r(self.filled), "foreshortening": r(self.foreshortening), "hole_fit": r(self.hole_fit),
                "epipolar_best_ncc": r(self.parallax_ncc),
                "light_width": r(self.light_width, 2), "light_elongation": r(self.light_elongation, 1),
                "light_grey": r(self.light_grey, 0),
                "ring_trusted": r(self.ring_trusted),
                "brightest": r(self.brightest), "interior_agreement": r(self.interior_agreement),
                "share": r(self.share, 5), "planar": self.planar}


@dataclass(frozen=True)
class Judgement:
    """The verdict on one measured candidate."""

    difference: bool  # structure X shows alone on an otherwise consistent surface
    resolved: bool  # Y sees the place well enough to have shown it
    replaced: bool  # Y shows other content there (not an addition)
    reasons: tuple[str, ...] = field(default=())  # why Y could not have shown it (codes), when not resolved


def _ring(mask: np.ndarray, size: int) -> np.ndarray:
    inner = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8))
    outer = cv2.dilate(mask.astype(np.uint8), np.ones((2 * size + 1, 2 * size + 1), np.uint8))
    return (outer > 0) & (inner == 0)


def _lift(image: np.ndarray, mask: np.ndarray, ring: np.ndarray, max_darkening: float) -> float:
    """X's brightening towards white at ``mask`` over its ``ring`` when it nowhere darkens (else 0)."""
    around = float(np.median(image[ring]))
    up = (float(np.percentile(image[mask], 90)) - around) / max(255.0 - around, 8.0)
    down = (around - float(np.percentile(image[mask], 10))) / max(around, 8.0)
    return up if down <= max_darkening else 0.0


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-9 else 0.0


def _detail(lum: np.ndarray, box: tuple[int, int, int, int], pad: int) -> np.ndarray:
    """Fine detail (log-luminance minus its 2-px blur) of a padded box."""
    x, y, w, h = box
    y0, y1 = max(0, y - pad), min(lum.shape[0], y + h + pad)
    x0, x1 = max(0, x - pad), min(lum.shape[1], x + w + pad)
    patch = lum[y0:y1, x0:x1]
    return patch - cv2.GaussianBlur(patch, (0, 0), 2.0)


def measure(al: Aligned, mask: np.ndarray, settings: CompareSettings | None = None) -> Evidence | None:
    """Measure the candidate ``mask`` (bool, X's frame); None when too little of it is compared."""
    cfg = settings or CompareSettings()
    mask = mask & al.overlap
    if mask.sum() < 12:
        return None
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    size = int(np.clip(0.6 * max(box[2], box[3]), 12, 60))
    full_ring = _ring(mask, size)
    ring = full_ring & al.overlap
    if ring.sum() < 50:
        return None
    floor = 0.25 * al.scale
    structure = float(al.grad_x[mask].sum())
    unexplained = float(al.extra[mask].sum() / (structure + floor * mask.sum()))
    ring_part = float(al.extra[ring].sum() / (al.grad_x[ring].sum() + floor * ring.sum()))
    contrast = float(np.percentile(al.extra[mask], 95) / al.scale)
    near = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & al.overlap
    replaced = float(al.missing[near].sum() / (al.grad_y[near].sum() + floor * near.sum()))
    # darkening at the strongest unexplained pixels, against the ring's offset between the views
    strong = mask & (al.extra >= np.percentile(al.extra[mask], 50))
    offset = al.lum_y - al.lum_x
    darkening = float(np.median(offset[strong]) - np.median(offset[ring]))
    # visibility in Y
    resolution = float(np.median(al.resolution[mask]))
    # worst over best direction of the magnification: s_min / s_max = s_min² / det, det = scale²
    foreshortening = float(np.median(np.clip(al.resolution[mask] ** 2 / np.maximum(al.area_scale[mask], 1e-6) ** 2,
                                             0, 1)))
    clipped = float(al.clipped[near].mean())
    ring_valid = float(ring.sum() / max(full_ring.sum(), 1))
    trusted = ring & ~al.filled if al.filled is not None else ring
    ring_trusted = float(trusted.sum() / max(full_ring.sum(), 1))
    textured = float(al.lum_x[ring].std()) >= _PLAIN_RING
    agreement = _ncc(al.lum_x[ring], al.lum_y[ring]) if textured else None
    sharpness = None
    if textured:
        dx = _detail(al.lum_x, box, size)
        dy = _detail(al.lum_y, box, size)
        sel = _window(ring, box, size)
        sx = float(dx[sel].std()) if sel.any() else 0.0
        sharpness = float(dy[sel].std() / sx) if sx > 1e-4 else None
    lift = _lift(al.gray_x.astype(np.float32), mask, ring, cfg.highlight_max_darkening)
    filled = float(al.filled[mask].mean()) if al.filled is not None else 0.0
    hole_fit = _hole_fit(al, mask, box) if filled > 0 else 1.0
    light, interior_light, other_dark, other_plain, darkest, brightest = _light(al, mask, box, ring, offset, cfg)
    light_width, light_elongation, light_grey = _light_shape(al, mask, box, ring, offset)
    return Evidence(brightest=brightest, interior_agreement=_interior_agreement(al, mask, box),
                    ring_trusted=ring_trusted, light_width=light_width,
                    light_elongation=light_elongation, light_grey=light_grey, filled=filled,
                    hole_fit=hole_fit,
                    light=light, darkest=darkest, interior_light=interior_light,
                    other_dark=other_dark, other_plain=other_plain, box=box, unexplained=unexplained, ring=ring_part,
                    contrast=contrast, lift=lift,
                    darkening=darkening, replaced=replaced, resolution=resolution, sharpness=sharpness,
                    foreshortening=foreshortening,
                    clipped=clipped, ring_valid=ring_valid, ring_agreement=agreement, area=int(mask.sum()),
                    share=float(mask.sum() / mask.size), planar=bool(getattr(al, "planar", False)))


def _light(al: Aligned, mask: np.ndarray, box: tuple[int, int, int, int], ring: np.ndarray, offset: np.ndarray,
           cfg: CompareSettings) -> tuple[float, float, float, float | None, float, float]:
    """How the light differs at the place: (X's brightening over Y at the mark when it is nowhere darker,
    X's brightening over Y around the mark inside its box, how much darker Y sees the place than the
    surface around it, Y's fine detail there against its ring, how much darker X is than Y at the mark,
    how much brighter X is than Y at the mark, both 90th percentiles)."""
    base = float(np.median(offset[ring]))
    over = -offset - (-base)  # log X − log Y, against the ring's difference
    up = float(np.percentile(over[mask], 90))
    down = float(np.percentile(-over[mask], 90))
    light = up if down <= cfg.highlight_max_darkening else 0.0
    darkest = down
    x, y, w, h = box
    place = np.zeros_like(mask)
    place[y:y + h, x:x + w] = True
    place &= al.overlap
    mark = cv2.dilate((mask & (al.extra > 0.2 * al.scale)).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    interior = place & ~mark
    interior_light = float(np.median(over[interior])) if interior.sum() >= 20 else 0.0
    other_dark = float(np.median(al.lum_y[ring]) - np.median(al.lum_y[place]))
    # ... and than the wider surroundings: a window, a screen or an opening is darker than the wall around
    wide = _ring(mask, 3 * max(12, min(60, int(0.6 * max(w, h))))) & al.overlap
    if wide.sum() >= 50:
        other_dark = max(other_dark, float(np.median(al.lum_y[wide]) - np.median(al.lum_y[place])))
    size = max(w, h)
    dy = _detail(al.lum_y, box, size)
    sel_ring, sel_place = _window(ring, box, size), _window(place, box, size)
    ring_detail = float(dy[sel_ring].std()) if sel_ring.any() else 0.0
    plain = float(dy[sel_place].std() / ring_detail) if ring_detail > 1e-4 and sel_place.any() else None
    return light, interior_light, other_dark, plain, darkest, up


def _interior_agreement(al: Aligned, mask: np.ndarray, box: tuple[int, int, int, int]) -> float | None:
    """Correlation of X's and Y's fine detail inside the mark's box but off the mark (None: too little, or plain)."""
    x, y, w, h = box
    sl = (slice(y, y + h), slice(x, x + w))
    mark = cv2.dilate((mask[sl] & (al.extra[sl] > 0.2 * al.scale)).astype(np.uint8), np.ones((5, 5), np.uint8))
    interior = al.overlap[sl] & (mark == 0)
    if interior.sum() < 30:
        return None
    dx, dy = _detail(al.lum_x, box, 0), _detail(al.lum_y, box, 0)
    if float(dx[interior].std()) < _PLAIN_RING:
        return None
    return _ncc(dx[interior], dy[interior])


def _light_shape(al: Aligned, mask: np.ndarray, box: tuple[int, int, int, int], ring: np.ndarray,
                 offset: np.ndarray) -> tuple[float, float, float]:
    """Width (px), elongation (length over width) and brightest grey level (95th percentile) of what X
    brightens at the mark.

    Each connected piece of the brightened pixels is measured by its second moments (a line of length L
    has variance L²/12 along it; its width is its area over L); the pieces are averaged by area. A scuff
    is a line, 1–3 px wide and many times longer, and lighter than the surface but not blown out; a
    reflection, a highlight or sunlit leaves are blobs, and a glint off an edge is white.
    """
    x, y, w, h = box
    sl = (slice(y, y + h), slice(x, x + w))
    over = -(offset[sl] - float(np.median(offset[ring])))
    near = cv2.dilate(mask[sl].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & al.overlap[sl]
    if not near.any():
        return 0.0, 0.0, 0.0
    peak = float(np.percentile(over[near], 95))
    if peak <= 0:
        return 0.0, 0.0, 0.0
    bright = (near & (over >= 0.5 * peak)).astype(np.uint8)
    brightest = float(np.percentile(al.gray_x[sl][bright > 0], 95))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    widths, lengths, areas = [], [], []
    for k in range(1, n):
        area = int(stats[k, cv2.CC_STAT_AREA])
        if area < 3:
            continue
        ys, xs = np.nonzero(labels == k)
        cov = np.cov(np.stack([xs, ys]).astype(np.float64)) if area > 1 else np.zeros((2, 2))
        length = max(float(np.sqrt(12.0 * max(np.linalg.eigvalsh(cov)[-1], 0.0))), 1.0)
        widths.append(area / length)
        lengths.append(length)
        areas.append(area)
    if not areas:
        return 0.0, 0.0, brightest
    weights = np.asarray(areas, np.float64)
    width = float(np.average(widths, weights=weights))
    elongation = float(np.average(np.asarray(lengths) / np.maximum(np.asarray(widths), 1e-6), weights=weights))
    return width, elongation, brightest


def _hole_fit(al: Aligned, mask: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Share of the flow holes under the mark that lie within the mark's own (slightly grown) box.

    A mark one view lacks makes the flow fail where it is: the hole fits the mark. When the flow failed
    over a whole region around it — a pane whose reflection changed, a part that moved — it does not.
    """
    assert al.filled is not None
    _, labels = cv2.connectedComponents(al.filled.astype(np.uint8), connectivity=4)
    touched = np.unique(labels[mask & al.filled])
    touched = touched[touched > 0]
    if len(touched) == 0:
        return 1.0
    holes = np.isin(labels, touched)
    x, y, w, h = box
    grow = max(4, int(0.15 * max(w, h)))
    inside = np.zeros_like(mask)
    inside[max(0, y - grow):y + h + grow, max(0, x - grow):x + w + grow] = True
    return float((holes & inside).sum() / max(holes.sum(), 1))


def _window(mask: np.ndarray, box: tuple[int, int, int, int], pad: int) -> np.ndarray:
    x, y, w, h = box
    y0, y1 = max(0, y - pad), min(mask.shape[0], y + h + pad)
    x0, x1 = max(0, x - pad), min(mask.shape[1], x + w + pad)
    return mask[y0:y1, x0:x1]


def judge(ev: Evidence, compare: CompareSettings | None = None, visibility: VisibilitySettings | None = None
          ) -> Judgement:
    """Is ``ev`` a difference; could the other view have shown it; is it added or replaced content?"""
    cfg = compare or CompareSettings()
    vis = visibility or VisibilitySettings()
    # light that moved with the viewpoint (a highlight, a reflection, glare), not damage: X adds light there
    # ... unless what X brightens is a thin line across the surface: a scuff or scratch on a dark surface
    scuff = (0 < ev.light_width <= cfg.scuff_width and ev.light_elongation >= cfg.scuff_elongation
             and ev.light_grey < cfg.glint_grey and ev.light >= cfg.min_darkening)
    # ... or a mark that adds as much light as it takes: a pane that reflects the sky in one view and shows
    # its dark bars against a dark interior in the other (damage takes light: cracks, stains, chips darken)
    added_light = not scuff and ev.brightest > 0 and ev.brightest >= cfg.light_dominance * ev.darkest
    highlight = ((not scuff and (ev.lift >= cfg.highlight_lift or ev.light >= cfg.highlight_lift))
                 or ev.interior_light >= cfg.interior_light or added_light)
    # visible: strong structure, or a soft-edged mark (a stain) that darkens the surface markedly
    visible = ev.contrast >= cfg.min_contrast or (ev.contrast >= cfg.stain_contrast
                                                  and ev.darkest >= cfg.stain_darkening)
    # unexplained: most of its structure, or a good part of it when that part is strong (a mark on texture)
    # and the other view sees the place as closely and as face-on: seen smaller or at an angle, what it
    # explains may be the same feature (a pit, a hole) whose dark inside it shows smaller or not at all
    unexplained = ev.unexplained >= cfg.blob_unexplained or (
        ev.unexplained >= cfg.strong_unexplained and ev.contrast >= cfg.strong_contrast
        and ev.resolution >= cfg.strong_resolution and ev.foreshortening >= cfg.strong_foreshortening)
    # ... or a soft-edged mark (a smear, a water mark, a scorch's smoky ring) that has no edges to be unexplained:
    # X markedly darker there than Y, on a surface that agrees closely around it and inside it (the texture goes
    # on under the mark), while Y is not brighter there than around it (not a highlight of Y's) and shows no more
    # fine detail there than around it (a window's frames and bars, whose panes change their look with the view)
    soft = (cfg.soft_darkening > 0 and ev.darkest >= cfg.soft_darkening and ev.share >= cfg.soft_min_share
            and ev.ring_agreement is not None and ev.ring_agreement >= cfg.soft_ring_agreement
            and ev.interior_agreement is not None and ev.interior_agreement >= cfg.soft_interior_agreement
            and ev.other_dark >= -cfg.soft_other_bright
            and ev.other_plain is not None and ev.other_plain <= cfg.soft_max_detail)
    # the epipolar search compares the mark's structure: a soft mark has none of its own, only the texture it
    # lies on, which the other view shows (shifted a little along the line, it correlates): not parallax
    marked = unexplained and visible
    # ... and on a flat item nothing stands at another depth: a homography maps the whole surface, the epipolar
    # geometry of coplanar points is degenerate, and what the search finds along the line is the surface's own
    # grain beside the mark
    parallax = (ev.parallax_ncc >= cfg.parallax_ncc and (marked or not cfg.soft_skip_parallax)
                and not (ev.planar and cfg.planar_skip_parallax))
    difference = ((marked or soft) and ev.ring <= cfg.ring_unexplained and not highlight and not parallax
                  and (ev.darkest >= cfg.min_darkening or scuff))
    reasons = []
    if ev.resolution < vis.min_resolution:
        reasons.append("resolution")
    if ev.foreshortening < vis.min_foreshortening:
        reasons.append("angle")
    if ev.sharpness is not None and ev.sharpness < vis.min_sharpness:
        reasons.append("focus")
    if ev.clipped > vis.max_clipped:
        reasons.append("clipped")
    if ev.ring_valid < vis.min_ring_valid:
        reasons.append("occlusion")
    if ev.ring_agreement is not None and ev.ring_agreement < vis.min_ring_agreement:
        reasons.append("alignment")
    # inside a flow hole the place is mapped by the motion of the surface around it: an assumption that the
    # place itself must bear out (the surface beside the mark, inside its box, the same in both views)
    filled_interior = ev.interior_agreement is not None and ev.interior_agreement < vis.min_filled_interior
    if ev.filled >= 0.3 and (ev.hole_fit < vis.min_hole_fit or ev.ring_trusted < vis.min_ring_trusted
                             or filled_interior):
        reasons.append("unaligned")
    # ... a local place (a pane, a railing post) whose content changes with the view; a region regenerated over
    # a sizeable share of the photo while the surface around it agrees in both is replaced content, evidence
    if (ev.interior_agreement is not None and ev.interior_agreement < vis.min_interior_agreement
            and ev.share < vis.place_differs_max_share):
        reasons.append("place_differs")
    # ... unless the mark is strong and the surface around it agrees closely in both views: a featureless patch
    # whose look changes with the viewpoint (glass, sky) does not leave a strong dark mark in one view only
    # while the texture right around it matches (a crack across a finely grained tile seen twice face-on)
    strong_on_agreeing = (ev.contrast >= vis.plain_strong_contrast and ev.ring_agreement is not None
                          and ev.ring_agreement >= vis.plain_strong_ring_agreement
                          and ev.other_plain is not None and ev.other_plain >= vis.plain_strong_min_detail)
    if ev.other_plain is not None and ev.other_plain < vis.min_place_detail and not strong_on_agreeing:
        reasons.append("plain_place")
    # ... unless the other view keeps the place's texture (half the ring's fine detail at least) and the ring
    # around it agrees closely: a darker stretch of the same surface (masonry in shade), seen the same way from
    # both places, where glass or an opening would change its look with the viewpoint
    dark_keeps_texture = (ev.ring_agreement is not None and ev.ring_agreement >= vis.dark_texture_ring_agreement
                          and ev.other_plain is not None and ev.other_plain >= vis.dark_texture_min_detail)
    if (ev.other_dark >= vis.dark_region and not dark_keeps_texture
            and (ev.other_plain is None or ev.other_plain <= vis.dark_plain or ev.other_dark >= vis.very_dark)):
        reasons.append("dark_region")
    return Judgement(difference=difference, resolved=not reasons, replaced=ev.replaced >= vis.max_replaced,
                     reasons=tuple(reasons))
