"""The live check's own structure comparison of one place of a photo with another view of the same item.

Given where a place of photo A lies in photo B (a homography fitted to the feature matches around it), the place
with some surface around it is cut from A at a working resolution no finer than B sees it, B is brought into that
frame, and a smooth optical flow (DIS on local-contrast images, median-filtered so that it follows the surface's
parallax but not a thin mark) takes up what the homography leaves. Then, on gradients of log-luminance (exposure
and white balance are offsets there):

* **structure A shows and B lacks** is A's gradient that no gradient of B within ``tolerance`` pixels explains,
  strong against A's own typical structure, in components large enough to be a mark; each must sit on a surface
  that agrees around it (``ring_agreement``) and be found nowhere within ``search`` pixels of B (a template
  search: what parallax or an imperfect flow displaced is found there, a painted crack is found nowhere);
* **the place agrees** when B sees it (inside B's frame), resolves it, its texture correlates with A's and most
  of A's strong structure there is explained by B's.

A place is ``absent`` in B when structure A shows there is lacking in B, ``present`` when it agrees and nothing is
lacking, ``not_seen`` otherwise (outside B, too coarse, or the surfaces do not align there). The same is measured
the other way (structure B shows there and A lacks). Regions come back in each photo's original pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._live.config import PlaceSettings

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Lack:
    """Structure one photo shows and the other lacks: ``box`` in the photo that shows it, ``other_box`` where it
    should be in the other (original pixels); ``contrast``: its unexplained gradient against the photo's typical
    structure; ``best_match``: best correlation found for it in the other view within the search distance."""

    box: Box
    other_box: Box
    contrast: float
    best_match: float
    ring_agreement: float

    def to_dict(self) -> dict[str, object]:
        return {"box": list(self.box), "other_box": list(self.other_box), "contrast": round(self.contrast, 2),
                "best_match": round(self.best_match, 3), "ring_agreement": round(self.ring_agreement, 3)}


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
    """Linear magnification of ``hom`` at (x, y): sqrt of its Jacobian's determinant."""
    den = hom[2, 0] * x + hom[2, 1] * y + hom[2, 2]
    if abs(den) < 1e-12:
        return 0.0
    u = (hom[0, 0] * x + hom[0, 1] * y + hom[0, 2]) / den
    v = (hom[1, 0] * x + hom[1, 1] * y + hom[1, 2]) / den
    jac = np.array([[hom[0, 0] - u * hom[2, 0], hom[0, 1] - u * hom[2, 1]],
                    [hom[1, 0] - v * hom[2, 0], hom[1, 1] - v * hom[2, 1]]]) / den
    return float(np.sqrt(abs(np.linalg.det(jac))))


def _map_box(hom: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x, y, w, h = box
    corners = np.float64([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]).reshape(-1, 1, 2)
    out = cv2.perspectiveTransform(corners, hom).reshape(-1, 2)
    x0, y0 = out.min(axis=0)
    x1, y1 = out.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _int_box(box: tuple[float, float, float, float], size: tuple[int, int]) -> Box:
    x, y, w, h = box
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(size[0], int(np.ceil(x + w))), min(size[1], int(np.ceil(y + h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _log(gray: np.ndarray) -> np.ndarray:
    return np.log(gray.astype(np.float32) + 8.0)


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
    smooth = cv2.GaussianBlur(lum, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return np.hypot(gx, gy)


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
    to_b: np.ndarray  # crop pixels → B's original pixels (homography; the flow is added on top)
    flow: np.ndarray
    origin: tuple[int, int]  # the crop's top-left in A's original pixels
    scale: float  # crop pixels per A pixel
    size_a: tuple[int, int]
    size_b: tuple[int, int]


def _frames(gray_a: np.ndarray, gray_b: np.ndarray, hom: np.ndarray, grown: Box, cfg: PlaceSettings,
            scale: float) -> _Frames | None:
    gx, gy, gw, gh = grown
    crop_w, crop_h = max(16, round(gw * scale)), max(16, round(gh * scale))
    a = cv2.resize(gray_a[gy:gy + gh, gx:gx + gw], (crop_w, crop_h), interpolation=cv2.INTER_AREA)
    # crop pixel -> A original -> B original
    to_a = np.array([[gw / crop_w, 0, gx], [0, gh / crop_h, gy], [0, 0, 1]], np.float64)
    to_b = hom @ to_a
    hb, wb = gray_b.shape
    bx, by, bw, bh = _int_box(_map_box(to_b, (0, 0, crop_w, crop_h)), (wb, hb))
    pad = 8
    bx0, by0 = max(0, bx - pad), max(0, by - pad)
    bx1, by1 = min(wb, bx + bw + pad), min(hb, by + bh + pad)
    if bx1 - bx0 < 8 or by1 - by0 < 8:
        return None
    patch = gray_b[by0:by1, bx0:bx1]
    # B shrunk to about the crop's density before the warp (no aliasing)
    density = _scale_at(to_b, crop_w / 2, crop_h / 2)
    shrink = min(1.0, 1.0 / max(density, 1e-6))
    if shrink < 0.95:
        patch = cv2.resize(patch, (max(8, round(patch.shape[1] * shrink)), max(8, round(patch.shape[0] * shrink))),
                           interpolation=cv2.INTER_AREA)
    sx, sy = patch.shape[1] / (bx1 - bx0), patch.shape[0] / (by1 - by0)
    to_patch = np.array([[sx, 0, -bx0 * sx], [0, sy, -by0 * sy], [0, 0, 1]], np.float64) @ to_b
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpPerspective(patch.astype(np.float32), to_patch, (crop_w, crop_h), flags=flags,
                                 borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpPerspective(np.ones(patch.shape, np.uint8), to_patch, (crop_w, crop_h), flags=flags,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside &= _in_frame(to_b, (crop_w, crop_h), (wb, hb))
    valid = cv2.erode(inside, np.ones((7, 7), np.uint8)).astype(bool)
    if valid.mean() < 0.05:
        return None
    lum_a, lum_b = _log(a), _log(warped)
    flow = _flow(lum_a, lum_b, valid, cfg)
    xx, yy = np.meshgrid(np.arange(crop_w, dtype=np.float32), np.arange(crop_h, dtype=np.float32))
    mx, my = xx + flow[..., 0], yy + flow[..., 1]
    lum_b = cv2.remap(lum_b, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    moved = cv2.remap(valid.astype(np.uint8), mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                      borderValue=0).astype(bool)
    valid &= moved
    return _Frames(lum_a, lum_b, _gradient(lum_a), _gradient(lum_b), valid, to_b, flow, (gx, gy), crop_w / gw,
                   (gray_a.shape[1], gray_a.shape[0]), (wb, hb))


def _in_frame(to_b: np.ndarray, crop: tuple[int, int], size_b: tuple[int, int]) -> np.ndarray:
    """Crop pixels whose place lies inside B's frame."""
    w, h = crop
    step = 8
    xs, ys = np.meshgrid(np.arange(0, w + step, step, dtype=np.float64), np.arange(0, h + step, step, dtype=np.float64))
    pts = cv2.perspectiveTransform(np.dstack([xs, ys]).reshape(-1, 1, 2), to_b).reshape((*ys.shape, 2))
    ok = ((pts[..., 0] >= 0) & (pts[..., 0] < size_b[0]) & (pts[..., 1] >= 0) & (pts[..., 1] < size_b[1]))
    return cv2.resize(ok.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)


def _lacks(shows: np.ndarray, grad_shows: np.ndarray, other: np.ndarray, grad_other: np.ndarray,
           valid: np.ndarray, within: np.ndarray, cfg: PlaceSettings) -> list[tuple[Box, float, float, float]]:
    """Components of structure ``shows`` has and ``other`` lacks, inside ``within`` (crop pixels):
    (box, contrast, best match within the search distance, ring agreement)."""
    k = 2 * cfg.tolerance + 1
    explained = cv2.dilate(grad_other, np.ones((k, k), np.uint8))
    typical = max(float(np.percentile(grad_shows[valid], 90)) if valid.any() else 0.0, cfg.min_typical)
    unexplained = np.maximum(grad_shows - explained, 0.0)
    mask = (valid & within & (unexplained >= cfg.lack_contrast * typical)
            & (unexplained >= cfg.lack_share * grad_shows)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    side = max(h, w)
    out = []
    for n in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[n])
        if area < cfg.min_lack_area * side or max(bw, bh) < cfg.min_lack_length * side:
            continue
        comp = labels[y:y + bh, x:x + bw] == n
        contrast = float(np.percentile(unexplained[y:y + bh, x:x + bw][comp], 95)) / typical
        # the surface around the mark must agree: the comparison is sound there
        r = max(6, int(0.5 * max(bw, bh)))
        rx0, ry0, rx1, ry1 = max(0, x - r), max(0, y - r), min(w, x + bw + r), min(h, y + bh + r)
        ring = valid[ry0:ry1, rx0:rx1].copy()
        core = np.zeros_like(ring)
        core[y - ry0:y - ry0 + bh, x - rx0:x - rx0 + bw] = True
        core = cv2.dilate(core.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        ring &= ~core
        ring_agreement = _ncc(shows[ry0:ry1, rx0:rx1][ring], other[ry0:ry1, rx0:rx1][ring]) if ring.sum() >= 30 \
            else 0.0
        # ... and the mark be found nowhere near in the other view (parallax, a flow that slid)
        p = 3
        tx0, ty0, tx1, ty1 = max(0, x - p), max(0, y - p), min(w, x + bw + p), min(h, y + bh + p)
        s = cfg.search
        sx0, sy0, sx1, sy1 = max(0, tx0 - s), max(0, ty0 - s), min(w, tx1 + s), min(h, ty1 + s)
        templ = shows[ty0:ty1, tx0:tx1]
        area_ = other[sy0:sy1, sx0:sx1]
        best = 0.0
        if templ.std() > 1e-4 and area_.shape[0] >= templ.shape[0] and area_.shape[1] >= templ.shape[1]:
            best = float(cv2.matchTemplate(area_, templ, cv2.TM_CCOEFF_NORMED).max())
        out.append(((x, y, bw, bh), contrast, best, ring_agreement))
    return out


def _to_a(f: _Frames, box: tuple[float, float, float, float]) -> Box:
    x, y, w, h = box
    return _int_box((f.origin[0] + x / f.scale, f.origin[1] + y / f.scale, w / f.scale, h / f.scale), f.size_a)


def _to_b(f: _Frames, box: tuple[float, float, float, float]) -> Box:
    x, y, w, h = box
    cx, cy = min(f.flow.shape[1] - 1, int(x + w / 2)), min(f.flow.shape[0] - 1, int(y + h / 2))
    dx, dy = f.flow[max(0, cy), max(0, cx)]
    return _int_box(_map_box(f.to_b, (x + float(dx), y + float(dy), w, h)), f.size_b)


def examine_place(gray_a: np.ndarray, gray_b: np.ndarray, hom: np.ndarray, region: Box, cfg: PlaceSettings
                  ) -> PlaceSeen:
    """Look for ``region`` of A (original pixels) in B, ``hom`` mapping A's original pixels to B's."""
    ha, wa = gray_a.shape
    x, y, w, h = region
    grow = cfg.context * max(w, h)
    grown = _int_box((x - grow, y - grow, w + 2 * grow, h + 2 * grow), (wa, ha))
    base = min(1.0, cfg.side / max(grown[2], grown[3]))
    density = _scale_at(hom, x + w / 2, y + h / 2)  # B pixels per A pixel at the place
    scale = min(base, density) if density > 0 else base
    resolution = scale / base
    mapped = _map_box(hom, tuple(float(v) for v in region))  # type: ignore[arg-type]
    other_region = _int_box(mapped, (gray_b.shape[1], gray_b.shape[0]))
    if density <= 0 or resolution < cfg.resolves:
        return PlaceSeen(tuple(region), other_region, "not_seen", resolution, 0.0, 0.0, 0.0, (), (), "resolution")
    f = _frames(gray_a, gray_b, hom, grown, cfg, scale)
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

    def kept(items: list[tuple[Box, float, float, float]], forward: bool) -> tuple[Lack, ...]:
        out = []
        for box, contrast, best, ring in items:
            if best >= cfg.found_nearby or ring < cfg.ring_agreement:
                continue
            fb = tuple(float(v) for v in box)
            a_box, b_box = _to_a(f, fb), _to_b(f, fb)  # type: ignore[arg-type]
            out.append(Lack(a_box if forward else b_box, b_box if forward else a_box, contrast, best, ring))
        return tuple(out)

    lacking = kept(_lacks(f.lum_a, f.grad_a, f.lum_b, f.grad_b, f.valid, within, cfg), True)
    extra = kept(_lacks(f.lum_b, f.grad_b, f.lum_a, f.grad_a, f.valid, within, cfg), False)
    if seen_share < cfg.seen_share:
        status, why = "not_seen", "outside"
    elif lacking:
        status, why = "absent", ""
    elif agreement >= cfg.present_agreement and explained >= cfg.present_explained:
        status, why = "present", ""
    else:
        status, why = "not_seen", "alignment"
    return PlaceSeen(tuple(region), other_region, status, resolution, seen_share, agreement, explained, lacking,
                     extra, why)
