"""The live check's own structure comparison of one place of a photo with another view of the same item.

Given where a place of photo A lies in photo B (a homography fitted to the feature matches around it), the place
with some surface around it is cut from A at a working resolution no finer than B sees it, B is brought into that
frame, and a smooth optical flow (DIS on local-contrast images, median-filtered so that it follows the surface's
parallax but not a thin mark) takes up what the homography leaves. Then, on gradients of log-luminance (exposure
and white balance are offsets there):

* **structure A shows and B lacks** is A's gradient that no gradient of B within ``tolerance`` pixels explains,
  strong against A's own typical structure, in components large enough to be a mark; each must sit on a surface
  that agrees around it (``ring_agreement``), be darker than B there (``min_darkening``: cracks, stains, tears and
  chips darken), and be found nowhere within ``search`` pixels of B (B's structure shifted explains it: what
  parallax or an imperfect flow displaced is found there, a painted crack is found nowhere);
* **the place agrees** when B sees it (inside B's frame), resolves it, its texture correlates with A's, most
  of A's strong structure there is explained by B's and no candidate comes near the thresholds of a lacking mark
  (``doubt_*``: confirming needs positive evidence, reporting strong evidence).

A place is ``absent`` in B when structure A shows there is lacking in B, ``present`` when it agrees and nothing is
lacking, ``not_seen`` otherwise (outside B, too coarse, or the surfaces do not align there). The same is measured
the other way (structure B shows there and A lacks). Regions come back in each photo's original pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._live.config import PlaceSettings
from refundguard.checks._views.match import area_scale, map_box
from refundguard.checks._views.structure import gradient

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Lack:
    """Structure one photo shows and the other lacks: ``box`` in the photo that shows it, ``other_box`` where it
    should be in the other (original pixels); ``contrast``: its unexplained gradient against the photo's typical
    structure; ``best_match``: the largest share of it the other view's structure explains when shifted within
    the search distance."""

    box: Box
    other_box: Box
    contrast: float
    best_match: float
    ring_agreement: float
    replaced: float = 0.0
    darkening: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"box": list(self.box), "other_box": list(self.other_box), "contrast": round(self.contrast, 2),
                "best_match": round(self.best_match, 3), "ring_agreement": round(self.ring_agreement, 3),
                "replaced": round(self.replaced, 3), "darkening": round(self.darkening, 3)}


@dataclass(frozen=True)
class PlaceSeen:
    """What view B says about a place of photo A (see the module's description)."""

    region: Box
    other_region: Box | None
    status: str  # present | absent | not_seen
    resolution: float  # B pixels per A pixel there, against the working resolution (1: as fine)
    seen_share: float  # share of the place inside B's frame
    agreement: float  # correlation of the place's texture in A and B
    explained: float  # share of A's strong structure at the place that B shows
    lacking: tuple[Lack, ...]  # A shows, B lacks
    extra: tuple[Lack, ...]  # B shows, A lacks
    why: str = ""  # why not_seen

    def to_dict(self) -> dict[str, object]:
        return {"region": list(self.region), "other_region": None if self.other_region is None else
                list(self.other_region), "status": self.status, "resolution": round(self.resolution, 2),
                "seen_share": round(self.seen_share, 3), "agreement": round(self.agreement, 3),
                "explained": round(self.explained, 3), "lacking": [m.to_dict() for m in self.lacking],
                "extra": [m.to_dict() for m in self.extra], "why": self.why}


def _scale_at(hom: np.ndarray, x: float, y: float) -> float:
    """Linear magnification of ``hom`` at (x, y); 0 where the point maps to infinity (nothing resolved there)."""
    if abs(hom[2, 0] * x + hom[2, 1] * y + hom[2, 2]) < 1e-12:
        return 0.0
    return area_scale(hom, (x, y))


def _int_box(box: tuple[float, float, float, float], size: tuple[int, int]) -> Box:
    x, y, w, h = box
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(size[0], int(np.ceil(x + w))), min(size[1], int(np.ceil(y + h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


#: the log-luminance's offset (grey levels). ``_views.structure.log_luminance`` adds 10; measured on the tuned sessions
#: (fifth session) that loses a painted stain on Sceaux 100_7101 (``review`` → ``low``), nothing gained: the live
#: check keeps its own
_LOG_OFFSET = 8.0


def log_luminance(gray: np.ndarray) -> np.ndarray:
    """Log-luminance: exposure and white balance become offsets between two views."""
    return np.log(gray.astype(np.float32) + _LOG_OFFSET)


def _contrast_u8(lum: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Local-contrast image for the flow: log-luminance minus its local mean, as uint8."""
    high = lum - cv2.GaussianBlur(lum, (0, 0), 12.0)
    high[~valid] = 0.0
    return np.clip(128.0 + 420.0 * high, 0, 255).astype(np.uint8)


def _flow(a: np.ndarray, b: np.ndarray, valid: np.ndarray, cfg: PlaceSettings) -> np.ndarray:
    """Smooth displacement (working pixels) from A's crop to B's warped crop: DIS at half resolution, median
    filtered (a thin or small mark cannot pull it), capped at the parallax the place may show."""
    ua, ub = _contrast_u8(a, valid), _contrast_u8(b, valid)
    h, w = a.shape
    half = (max(8, w // 2), max(8, h // 2))
    sa = cv2.resize(ua, half, interpolation=cv2.INTER_AREA)
    sb = cv2.resize(ub, half, interpolation=cv2.INTER_AREA)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(sa, sb, None)
    flow = np.dstack([cv2.medianBlur(np.ascontiguousarray(flow[..., k]), 5) for k in range(2)])
    flow = cv2.GaussianBlur(flow, (0, 0), cfg.flow_smoothing)
    flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * 2.0
    cap = cfg.max_parallax * max(h, w)
    length = np.hypot(flow[..., 0], flow[..., 1])
    over = length > cap
    if over.any():
        flow[over] *= (cap / length[over])[:, None]
    return flow


def _gradient(lum: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the lightly smoothed log-luminance, in log units per pixel (Sobel's 8 removed)."""
    return gradient(cv2.GaussianBlur(lum, (0, 0), 1.0)) / 8.0


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-9 else 0.0


@dataclass(frozen=True)
class _Frames:
    """A's crop and B brought into it (working pixels), the gradients, and the maps back to the originals."""

    lum_a: np.ndarray
    lum_b: np.ndarray
    grad_a: np.ndarray
    grad_b: np.ndarray
    valid: np.ndarray
    where: np.ndarray  # (h, w, 2): each crop pixel's place in B's original pixels (before the flow)
    flow: np.ndarray
    origin: tuple[int, int]  # the crop's top-left in A's original pixels
    scale: float  # crop pixels per A pixel
    size_a: tuple[int, int]
    size_b: tuple[int, int]


def _parallax(matches: tuple[np.ndarray, np.ndarray] | None, hom: np.ndarray, to_a: np.ndarray,
              crop: tuple[int, int], cfg: PlaceSettings) -> np.ndarray | None:
    """Where the matches lie off the homography (B's original pixels), spread over the crop by normalised
    convolution: the scene's depth, which a single homography cannot describe."""
    if matches is None or len(matches[0]) < 8:
        return None
    pa, pb = matches
    from_a = np.linalg.inv(to_a)
    crop_pts = cv2.perspectiveTransform(pa.reshape(-1, 1, 2).astype(np.float64), from_a).reshape(-1, 2)
    predicted = cv2.perspectiveTransform(pa.reshape(-1, 1, 2).astype(np.float64), hom).reshape(-1, 2)
    residual = pb.astype(np.float64) - predicted
    w, h = crop
    step = 8
    gw, gh = w // step + 1, h // step + 1
    gx = np.round(crop_pts[:, 0] / step).astype(int)
    gy = np.round(crop_pts[:, 1] / step).astype(int)
    margin = int(np.ceil(3 * cfg.prior_sigma * max(w, h) / step))
    keep = (gx >= -margin) & (gx < gw + margin) & (gy >= -margin) & (gy < gh + margin)
    if keep.sum() < 4:
        return None
    weight = np.zeros((gh + 2 * margin, gw + 2 * margin), np.float32)
    field = np.zeros((gh + 2 * margin, gw + 2 * margin, 2), np.float32)
    np.add.at(weight, (gy[keep] + margin, gx[keep] + margin), 1.0)
    np.add.at(field, (gy[keep] + margin, gx[keep] + margin), residual[keep].astype(np.float32))
    sigma = max(1.0, cfg.prior_sigma * max(w, h) / step)
    weight = cv2.GaussianBlur(weight, (0, 0), sigma)
    field = cv2.GaussianBlur(field, (0, 0), sigma)
    support = weight[margin:margin + gh, margin:margin + gw]
    spread = field[margin:margin + gh, margin:margin + gw] / np.maximum(support, 1e-6)[..., None]
    spread[support < 1e-3] = 0.0
    return cv2.resize(spread, (w, h), interpolation=cv2.INTER_LINEAR)


def _frames(gray_a: np.ndarray, gray_b: np.ndarray, hom: np.ndarray, grown: Box, cfg: PlaceSettings,
            scale: float, matches: tuple[np.ndarray, np.ndarray] | None) -> _Frames | None:
    gx, gy, gw, gh = grown
    crop_w, crop_h = max(16, round(gw * scale)), max(16, round(gh * scale))
    a = cv2.resize(gray_a[gy:gy + gh, gx:gx + gw], (crop_w, crop_h), interpolation=cv2.INTER_AREA)
    # crop pixel -> A original -> B original: the homography, plus the matches' parallax around it
    to_a = np.array([[gw / crop_w, 0, gx], [0, gh / crop_h, gy], [0, 0, 1]], np.float64)
    to_b = hom @ to_a
    xx, yy = np.meshgrid(np.arange(crop_w, dtype=np.float64), np.arange(crop_h, dtype=np.float64))
    where = cv2.perspectiveTransform(np.dstack([xx, yy]).reshape(-1, 1, 2), to_b).reshape(crop_h, crop_w, 2)
    prior = _parallax(matches, hom, to_a, (crop_w, crop_h), cfg)
    if prior is not None:
        where = where + prior
    hb, wb = gray_b.shape
    inside = ((where[..., 0] >= 0) & (where[..., 0] < wb - 1) & (where[..., 1] >= 0) & (where[..., 1] < hb - 1))
    if inside.mean() < 0.05:
        return None
    pad = 8
    bx0 = int(max(0, np.floor(where[..., 0][inside].min()) - pad))
    by0 = int(max(0, np.floor(where[..., 1][inside].min()) - pad))
    bx1 = int(min(wb, np.ceil(where[..., 0][inside].max()) + pad))
    by1 = int(min(hb, np.ceil(where[..., 1][inside].max()) + pad))
    if bx1 - bx0 < 8 or by1 - by0 < 8:
        return None
    patch = gray_b[by0:by1, bx0:bx1]
    # B shrunk to about the crop's density before it is resampled (no aliasing)
    density = _scale_at(to_b, crop_w / 2, crop_h / 2)
    shrink = min(1.0, 1.0 / max(density, 1e-6))
    if shrink < 0.95:
        patch = cv2.resize(patch, (max(8, round(patch.shape[1] * shrink)), max(8, round(patch.shape[0] * shrink))),
                           interpolation=cv2.INTER_AREA)
    sx, sy = patch.shape[1] / (bx1 - bx0), patch.shape[0] / (by1 - by0)
    map_x = ((where[..., 0] - bx0) * sx).astype(np.float32)
    map_y = ((where[..., 1] - by0) * sy).astype(np.float32)
    warped = cv2.remap(patch.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    valid = cv2.erode(inside.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    lum_a, lum_b = log_luminance(a), log_luminance(warped)
    flow = _flow(lum_a, lum_b, valid, cfg)
    fx, fy = xx.astype(np.float32) + flow[..., 0], yy.astype(np.float32) + flow[..., 1]
    lum_b = cv2.remap(lum_b, fx, fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    moved = cv2.remap(valid.astype(np.uint8), fx, fy, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                      borderValue=0).astype(bool)
    valid &= moved
    if valid.mean() < 0.05:
        return None
    return _Frames(lum_a, lum_b, _gradient(lum_a), _gradient(lum_b), valid, where, flow, (gx, gy), crop_w / gw,
                   (gray_a.shape[1], gray_a.shape[0]), (wb, hb))


@dataclass(frozen=True)
class _Candidate:
    box: Box  # crop pixels
    contrast: float  # unexplained structure against the other view's own structure level there
    best_match: float  # largest share of it the other view's structure explains, shifted within the search
    ring_agreement: float  # correlation of the surface around it
    replaced: float  # share of the other view's structure there that this one lacks (different content)
    darkening: float  # how much darker the photo that shows it is there, against the ring (log units)
    area: int
    signed: bool = False  # explained nearby by structure of either sign, not by a mark as dark (``signed_search``)
    unsigned_match: float = 0.0  # ``best_match`` by structure of either sign (what the doubt test reads)
    #: how dark the other view is in the mark's own shape (shifted within ``shape_search``) against the surface
    #: around, as a share of how dark the mark is in the photo that shows it (contrasts of the two views matched on
    #: that surface); None where the mark is not darker than its surroundings (``shape_test``)
    shape_shown: float | None = None
    shape_ring: float = 0.0  # correlation of the two views on the surface around the mark's shape
    #: how much lighter the photo that shows it is there, against the ring (log units): a light mark (a scuff,
    #: the lit lines of a shatter on a dark surface) where ``darkening`` is small
    lightening: float = 0.0
    width: float = 0.0  # the mark's mean width (crop pixels: twice its area over its outline)
    elongation: float = 0.0  # half its outline over that width (a line: long; a disc: about 3)
    glint: float = 0.0  # its brightest log-luminance (95th percentile) in the photo that shows it
    light_shown: float | None = None  # ``shape_shown`` for a light mark: how light the other view is in its shape


def _candidates(shows: np.ndarray, grad_shows: np.ndarray, other: np.ndarray, grad_other: np.ndarray,
                valid: np.ndarray, within: np.ndarray, cfg: PlaceSettings, shape: bool = True) -> list[_Candidate]:
    """Components of structure ``shows`` has and ``other`` lacks, inside ``within`` (crop pixels), measured;
    ``shape``: measure each dark mark's shape in the other view too (``shape_test``)."""
    k = 2 * cfg.tolerance + 1
    explained = cv2.dilate(grad_other, np.ones((k, k), np.uint8))
    level = np.maximum(cv2.GaussianBlur(explained, (0, 0), cfg.level_sigma), cfg.min_typical)
    unexplained = np.maximum(grad_shows - explained, 0.0)
    # what the other view shows there and this one lacks: where both show structure the other lacks, the views
    # see different content (a reflection, an occluder, a moving object), not a mark added to the surface
    own = cv2.dilate(grad_shows, np.ones((k, k), np.uint8))
    other_unexplained = np.maximum(grad_other - own, 0.0)
    ratio = unexplained / level
    # how much darker than its surroundings each pixel is (log units; for the signed displacement test)
    local = cv2.GaussianBlur(shows, (0, 0), 4.0) - shows
    k3 = 2 * max(1, cfg.tolerance) + 1
    dark_other = cv2.dilate(np.maximum(cv2.GaussianBlur(other, (0, 0), 4.0) - other, 0.0), np.ones((k3, k3), np.uint8))
    mask = (valid & within & (ratio >= cfg.lack_contrast) & (unexplained >= cfg.lack_share * grad_shows))
    # ... or a stain: darker than the other view there, against how the two differ around it (light, exposure)
    diff = np.where(valid, shows - other, 0.0).astype(np.float32)
    weight = cv2.GaussianBlur(valid.astype(np.float32), (0, 0), cfg.offset_sigma)
    offset = cv2.GaussianBlur(diff, (0, 0), cfg.offset_sigma) / np.maximum(weight, 1e-3)
    darker = offset - diff
    mask |= valid & within & (darker >= cfg.stain_darkening)
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    side = float(np.sqrt(h * w))
    out = []
    for n in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[n])
        if area < cfg.min_lack_area * side or max(bw, bh) < cfg.min_lack_length * side:
            continue
        comp = labels[y:y + bh, x:x + bw] == n
        contrast = max(float(np.percentile(ratio[y:y + bh, x:x + bw][comp], 90)),
                       float(np.percentile(darker[y:y + bh, x:x + bw][comp], 50)) / cfg.stain_darkening
                       * cfg.min_contrast)
        # the surface around the mark: does the comparison hold there?
        r = max(6, int(0.5 * max(bw, bh)))
        rx0, ry0, rx1, ry1 = max(0, x - r), max(0, y - r), min(w, x + bw + r), min(h, y + bh + r)
        ring = valid[ry0:ry1, rx0:rx1].copy()
        core = np.zeros_like(ring)
        core[y - ry0:y - ry0 + bh, x - rx0:x - rx0 + bw] = True
        core = cv2.dilate(core.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        ring &= ~core
        a_ring, b_ring = shows[ry0:ry1, rx0:rx1][ring], other[ry0:ry1, rx0:rx1][ring]
        ring_agreement = _ncc(a_ring, b_ring) if ring.sum() >= 30 else 0.0
        offset = float(np.median(a_ring - b_ring)) if ring.sum() >= 30 else 0.0
        diff = (shows[y:y + bh, x:x + bw] - other[y:y + bh, x:x + bw])[comp] - offset
        darkening = float(-np.percentile(diff, 10))
        lightening = float(np.percentile(diff, 90))
        width, elongation = _width(comp)
        glint = float(np.percentile(shows[y:y + bh, x:x + bw][comp], 95))
        # ... is the mark found near in the other view (parallax, a flow that slid)? The best share of its
        # unexplained structure that the other view's structure, shifted by up to ``search`` pixels, explains
        best = unsigned = _displaced(grad_shows[y:y + bh, x:x + bw] * comp, explained, (x, y), cfg.search)
        if cfg.signed_search and best >= cfg.found_nearby and max(bw, bh) <= cfg.signed_max_extent * side:
            # structure of either sign explains a thin mark's gradient on a busy surface; a small dark mark is
            # found nearby only where the other view is as dark, shifted within the search distance (a large one
            # is an edge of the scene's own, which parallax and light reshape)
            mark_dark = np.maximum(local[y:y + bh, x:x + bw], 0.0) * comp
            signed = _displaced(mark_dark, dark_other, (x, y), cfg.search)
            rescued = signed < cfg.found_nearby
            best = min(best, signed)
        else:
            rescued = False
        p = 3
        tx0, ty0, tx1, ty1 = max(0, x - p), max(0, y - p), min(w, x + bw + p), min(h, y + bh + p)
        replaced = float(other_unexplained[ty0:ty1, tx0:tx1].sum() / max(1e-6, grad_other[ty0:ty1, tx0:tx1].sum()))
        shape_shown, shape_ring = _shape_shown(shows, other, valid, labels, n, (x, y, bw, bh), cfg) \
            if shape and cfg.shape_test else (None, 0.0)
        light_shown = None
        if shape and cfg.light_marks and cfg.light_core and ring.sum() >= 30:
            # a thin light line measured on its own lighter pixels: its candidate holds the line's two edges
            core = _core(shows[y:y + bh, x:x + bw], comp, float(np.median(a_ring)), -1.0, cfg)
            if core is not comp:
                width, elongation = _width(core)
                glint = float(np.percentile(shows[y:y + bh, x:x + bw][core], 95))
        if shape and cfg.light_marks and _light_line(lightening, width, elongation, glint, cfg):
            light_shown, light_ring = _shape_shown(shows, other, valid, labels, n, (x, y, bw, bh), cfg, polarity=-1.0)
            shape_ring = shape_ring if shape_shown is not None else light_ring
        out.append(_Candidate((x, y, bw, bh), contrast, best, ring_agreement, replaced, darkening, area, rescued,
                              unsigned, shape_shown, shape_ring, lightening, width, elongation, glint, light_shown))
    return out


def _width(comp: np.ndarray) -> tuple[float, float]:
    """A shape's mean width (twice its area over its outline) and elongation (half its outline over that width)."""
    outline = cv2.findContours(comp.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]
    perimeter = sum(cv2.arcLength(c, True) for c in outline)
    width = 2.0 * float(comp.sum()) / max(1.0, perimeter)
    return width, perimeter / 2.0 / max(width, 1e-6)


def _light_line(lightening: float, width: float, elongation: float, glint: float, cfg: PlaceSettings,
                least: float | None = None) -> bool:
    """A light mark that may be damage: lighter than the other view by ``min_lightening`` (``least`` instead: the
    doubt test's lower bar), a thin line (a scuff, a shatter's lit edges: at most ``light_max_width`` wide and at
    least ``light_elongation`` elongated) and not near white (a glint off an edge or a pane; ``glint`` in
    log-luminance)."""
    return (lightening >= (cfg.min_lightening if least is None else least) and width <= cfg.light_max_width
            and elongation >= cfg.light_elongation
            and glint < float(log_luminance(np.float32([cfg.light_glint]))[0]))


def _shape_window(valid: np.ndarray, labels: np.ndarray, n: int, box: Box, cfg: PlaceSettings
                  ) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray]:
    """Where the shape tests look at mark ``n`` (its ``box``): the window (the box grown by a ring of half its
    extent and the ``shape_search``), the mark's shape in it, and the ring around the mark (valid pixels, the mark
    grown by two pixels kept out)."""
    x, y, bw, bh = box
    h, w = labels.shape
    r = max(6, int(0.5 * max(bw, bh)))
    m = cfg.shape_search
    x0, y0, x1, y1 = max(0, x - r - m), max(0, y - r - m), min(w, x + bw + r + m), min(h, y + bh + r + m)
    window = (slice(y0, y1), slice(x0, x1))
    comp = labels[window] == n
    ring = np.zeros(comp.shape, bool)
    ring[max(0, y - r - y0):y + bh + r - y0, max(0, x - r - x0):x + bw + r - x0] = True
    ring &= valid[window] & ~cv2.dilate(comp.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return window, comp, ring


def _shape_shown(shows: np.ndarray, other: np.ndarray, valid: np.ndarray, labels: np.ndarray, n: int, box: Box,
                 cfg: PlaceSettings, polarity: float = 1.0) -> tuple[float | None, float]:
    """Is the dark mark ``n`` (its pixels in ``labels``, bounding ``box``) dark in the other view too?

    The mark's darkening in the photo that shows it is the median log-luminance of the surface around it (a ring
    of half its extent, the mark itself kept out) minus the mark's median; the other view's, the same with the
    mark's own shape laid on it, shifted up to ``shape_search`` pixels, the darkest placement kept (parallax left
    by the flow). The other view's is divided by the contrast ratio of the two views on the ring (a hazier or
    softer view shows a real mark fainter, not lacking). A painted crack or stain on an undamaged surface leaves
    the other view no darker there (a share near 0); a real mark that the gradient test calls lacking (a view
    that blurs it, a parallax the flow left) is still dark there (near 1). Returns (share, ring correlation); the
    share is None where the mark is not darker than its surroundings. ``polarity`` -1 asks the same of a light
    mark (lighter than its ring, the other view lighter in its shape)."""
    window, comp, ring = _shape_window(valid, labels, n, box, cfg)
    m = cfg.shape_search
    a, b = shows[window], other[window]
    if ring.sum() < 30 or comp.sum() < 5:
        return None, 0.0
    ring_a, ring_b = a[ring], b[ring]
    level_a, level_b = float(np.median(ring_a)), float(np.median(ring_b))
    spread_a = float(np.median(np.abs(ring_a - level_a))) + 1e-4
    spread_b = float(np.median(np.abs(ring_b - level_b))) + 1e-4
    agreement = _ncc(ring_a, ring_b)
    whole = comp
    if polarity < 0 and cfg.light_core:
        comp = _core(a, comp, level_a, polarity, cfg)
    ys, xs = np.nonzero(comp)
    dark = polarity * (level_a - float(np.median(a[comp])))
    if dark < cfg.shape_min_dark:
        return None, agreement
    scale = dark * spread_b / spread_a
    shifts = np.arange(-m, m + 1)
    dy, dx = (v.reshape(-1) for v in np.meshgrid(shifts, shifts, indexing="ij"))
    # every placement at once: outside the window is NaN, and a placement with more than a tenth of the shape
    # outside is not looked at
    padded = np.pad(b.astype(np.float32), m, mode="constant", constant_values=np.nan)
    if cfg.shape_align:
        # only the placements where the surface around the mark aligns (what the flow left aside is left aside with
        # its surroundings, a pixel either way; where the surface is plain or repeats, every placement that fits
        # about as well): a real mark moves with its surface, a painted one is not there. Any placement within the
        # search lets some darker texture (a brick, a joint) pass for the mark
        ry, rx = np.nonzero(ring)
        step = max(1, len(ry) // 1500)
        ry, rx = ry[::step], rx[::step]
        ring_b_at = np.nan_to_num(padded[ry + m + dy[:, None], rx + m + dx[:, None]], nan=level_b)
        centred_b = ring_b_at - ring_b_at.mean(axis=1, keepdims=True)
        centred_a = a[ry, rx] - a[ry, rx].mean()
        fit = (centred_b @ centred_a) / (np.sqrt((centred_b ** 2).sum(axis=1) * float((centred_a ** 2).sum())) + 1e-9)
        at = int(np.argmax(fit))
        keep = ((np.abs(dy - dy[at]) <= 1) & (np.abs(dx - dx[at]) <= 1)) | (fit >= fit[at] - cfg.shape_fit_margin)
        dy, dx = dy[keep], dx[keep]
        agreement = max(agreement, float(fit[at]))
    placed = padded[ys + m + dy[:, None], xs + m + dx[:, None]]
    inside = np.isfinite(placed).mean(axis=1) >= 0.9
    if not inside.any():
        return None, agreement
    inner = np.nanmedian(placed[inside], axis=1)
    shown = polarity * (level_b - inner)
    if cfg.shape_paired:
        own = _own_texture(a, whole, ys, xs, dy[inside], dx[inside], m, level_a, polarity)
        shown = shown - own * spread_b / spread_a
    return float(shown.max()) / scale, agreement


def _own_texture(a: np.ndarray, whole: np.ndarray, ys: np.ndarray, xs: np.ndarray, dy: np.ndarray, dx: np.ndarray,
                 m: int, level: float, polarity: float) -> np.ndarray:
    """How dark (``polarity`` -1: light) the photo that shows the mark is itself, against its ring's ``level``, in the
    mark's shape (pixels ``ys``, ``xs`` of the window) laid at each placement (``dy``, ``dx``) that leaves the mark
    (``whole``: its candidate, grown by a pixel; at most a tenth of the shape on it), 0 at the others
    (``shape_paired``). Where the other view is dark in the shape only as far as this photo's own surface is at the
    same placement — a joint, an edge, a window reveal both views show — that darkness is the surface's, not the
    mark's."""
    grown = np.pad(cv2.dilate(whole.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32), m)
    on_mark = grown[ys + m + dy[:, None], xs + m + dx[:, None]].mean(axis=1)
    padded = np.pad(a.astype(np.float32), m, mode="constant", constant_values=np.nan)
    placed = padded[ys + m + dy[:, None], xs + m + dx[:, None]]
    with np.errstate(all="ignore"):
        own = polarity * (level - np.nanmedian(placed, axis=1))
    return np.where((on_mark <= 0.1) & np.isfinite(own), np.maximum(own, 0.0), 0.0)


def _core(a: np.ndarray, comp: np.ndarray, level: float, polarity: float, cfg: PlaceSettings) -> np.ndarray:
    """A light line's own pixels (``light_core``): of the candidate's component — the support of its gradient, which
    holds a thin line's two edges and some surface beside them — those at least ``light_core_share`` as far beyond the
    ring's level (lighter with ``polarity`` -1) as its 90th percentile; the whole component where fewer than five
    are."""
    depth = polarity * (level - a)
    inside = depth[comp]
    if inside.size < 5:
        return comp
    core = comp & (depth >= max(cfg.shape_min_dark, cfg.light_core_share * float(np.percentile(inside, 90))))
    return core if int(core.sum()) >= 5 else comp


def _displaced(mark: np.ndarray, explained: np.ndarray, origin: tuple[int, int], search: int) -> float:
    """Largest share of ``mark`` (the structure of a candidate, its box at ``origin``) that ``explained`` (the other
    view's dilated structure) covers when shifted by up to ``search`` pixels (every other pixel)."""
    total = float(mark.sum())
    if total <= 0 or search <= 0:
        return 0.0
    x, y = origin
    h, w = mark.shape
    full_h, full_w = explained.shape
    best = 0.0
    for dy in range(-search, search + 1, 2):
        for dx in range(-search, search + 1, 2):
            x0, y0 = x + dx, y + dy
            if x0 < 0 or y0 < 0 or x0 + w > full_w or y0 + h > full_h:
                continue
            best = max(best, float(np.minimum(mark, explained[y0:y0 + h, x0:x0 + w]).sum()) / total)
    return best


def _is_lack(c: _Candidate, cfg: PlaceSettings) -> bool:
    """A candidate is structure the other view lacks when it stands out, sits on a surface that agrees, is found
    nowhere near in the other view and does not replace other content there."""
    ring = cfg.signed_ring if c.signed else cfg.ring_agreement
    if c.contrast < cfg.min_contrast or c.replaced >= cfg.max_replaced:
        return False
    if c.darkening < cfg.min_darkening:
        # not dark: a light line (a scuff, a shatter's lit edges on a dark surface) the other view does not show
        # light in its shape, on a surface agreeing around it; a light blob is a reflection or a highlight
        return (c.light_shown is not None and c.light_shown < cfg.shape_shown
                and min(c.ring_agreement, c.shape_ring) >= cfg.shape_ring and c.best_match < cfg.light_found_nearby)
    if c.ring_agreement >= ring and c.best_match < cfg.found_nearby:
        return True
    # a dark mark the other view does not show dark in its shape, on a surface that agrees well around it: what
    # the displaced test lets any nearby texture explain on a busy surface (``_shape_shown``)
    return (c.shape_shown is not None and c.shape_shown < cfg.shape_shown
            and min(c.ring_agreement, c.shape_ring) >= cfg.shape_ring)


def _to_a(f: _Frames, box: tuple[float, float, float, float]) -> Box:
    x, y, w, h = box
    return _int_box((f.origin[0] + x / f.scale, f.origin[1] + y / f.scale, w / f.scale, h / f.scale), f.size_a)


def _to_b(f: _Frames, box: tuple[float, float, float, float]) -> Box:
    h_, w_ = f.flow.shape[:2]
    x, y, w, h = (round(v) for v in box)
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w_, x + w), min(h_, y + h)
    sel = f.where[y0:max(y0 + 1, y1), x0:max(x0 + 1, x1)]
    flow = f.flow[y0:max(y0 + 1, y1), x0:max(x0 + 1, x1)]
    # the flow displaces in the crop's frame; at the crop's density one crop pixel is 1/scale of A, about as many
    # of B where B is as fine
    pts = sel.reshape(-1, 2)
    x_min, y_min = pts.min(axis=0)
    x_max, y_max = pts.max(axis=0)
    d = flow.reshape(-1, 2).mean(axis=0) / f.scale
    return _int_box((x_min + d[0], y_min + d[1], x_max - x_min + 1, y_max - y_min + 1), f.size_b)


def examine_place(gray_a: np.ndarray, gray_b: np.ndarray, hom: np.ndarray, region: Box, cfg: PlaceSettings,
                  matches: tuple[np.ndarray, np.ndarray] | None = None) -> PlaceSeen:
    """Look for ``region`` of A (original pixels) in B, ``hom`` mapping A's original pixels to B's; ``matches``:
    corresponding points of A and B (original pixels) whose parallax off ``hom`` the comparison follows."""
    ha, wa = gray_a.shape
    x, y, w, h = region
    grow = max(cfg.context * max(w, h), cfg.min_margin * max(gray_a.shape) / 1000.0)
    grown = _int_box((x - grow, y - grow, w + 2 * grow, h + 2 * grow), (wa, ha))
    base = min(1.0, cfg.side / max(grown[2], grown[3]), float(np.sqrt(cfg.max_pixels / (grown[2] * grown[3]))))
    density = _scale_at(hom, x + w / 2, y + h / 2)  # B pixels per A pixel at the place
    scale = min(base, density) if density > 0 else base
    resolution = scale / base
    mapped = map_box(hom, tuple(float(v) for v in region))  # type: ignore[arg-type]
    other_region = _int_box(mapped, (gray_b.shape[1], gray_b.shape[0]))
    if density <= 0 or resolution < cfg.resolves:
        return PlaceSeen(tuple(region), other_region, "not_seen", resolution, 0.0, 0.0, 0.0, (), (), "resolution")
    f = _frames(gray_a, gray_b, hom, grown, cfg, scale, matches)
    if f is None:
        return PlaceSeen(tuple(region), None, "not_seen", resolution, 0.0, 0.0, 0.0, (), (), "outside")
    within = np.zeros(f.valid.shape, bool)
    px0, py0 = round((x - grown[0]) * f.scale), round((y - grown[1]) * f.scale)
    px1, py1 = round((x + w - grown[0]) * f.scale), round((y + h - grown[1]) * f.scale)
    within[max(0, py0):py1, max(0, px0):px1] = True
    seen_share = float((within & f.valid).sum() / max(1, within.sum()))
    place = within & f.valid
    agreement = _ncc(f.lum_a[place] - cv2.GaussianBlur(f.lum_a, (0, 0), 12.0)[place],
                     f.lum_b[place] - cv2.GaussianBlur(f.lum_b, (0, 0), 12.0)[place]) if place.sum() >= 50 else 0.0
    k = 2 * cfg.tolerance + 1
    strong = place & (f.grad_a >= max(float(np.percentile(f.grad_a[f.valid], 75)), cfg.min_typical))
    explained_b = cv2.dilate(f.grad_b, np.ones((k, k), np.uint8))
    explained = float(np.minimum(f.grad_a[strong], explained_b[strong]).sum() / max(1e-6, f.grad_a[strong].sum())) \
        if strong.any() else 0.0

    def kept(items: list[_Candidate], forward: bool) -> tuple[Lack, ...]:
        out = []
        for c in items:
            if not _is_lack(c, cfg):
                continue
            fb = tuple(float(v) for v in c.box)
            a_box, b_box = _to_a(f, fb), _to_b(f, fb)  # type: ignore[arg-type]
            out.append(Lack(a_box if forward else b_box, b_box if forward else a_box, c.contrast, c.best_match,
                            c.ring_agreement, c.replaced, c.darkening))
        return tuple(out)

    forward = _candidates(f.lum_a, f.grad_a, f.lum_b, f.grad_b, f.valid, within, cfg)
    # what B shows and A lacks is judged by the gradient test alone: the shape test is for marks painted on A
    backward = _candidates(f.lum_b, f.grad_b, f.lum_a, f.grad_a, f.valid, within, cfg, shape=False)
    lacking = kept(forward, True)
    extra = kept(backward, False)
    # structure the other view may lack, too weak to say so: the place is then not confirmed either
    doubtful = any(c.contrast >= cfg.doubt_contrast and c.unsigned_match < cfg.doubt_displaced
                   and c.ring_agreement >= cfg.doubt_ring
                   and (c.darkening >= cfg.doubt_darkening
                        or (cfg.light_marks and _light_line(c.lightening, c.width, c.elongation, c.glint, cfg,
                                                                cfg.doubt_darkening)))
                   for c in forward)
    if seen_share < cfg.seen_share:
        status, why = "not_seen", "outside"
    elif lacking:
        status, why = "absent", ""
    elif doubtful:
        status, why = "not_seen", "doubt"
    elif agreement >= cfg.present_agreement and explained >= cfg.present_explained:
        status, why = "present", ""
    else:
        status, why = "not_seen", "alignment"
    return PlaceSeen(tuple(region), other_region, status, resolution, seen_share, agreement, explained, lacking,
                     extra, why)
