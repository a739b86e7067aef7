"""What kind of change is each region: damage-like, or something drawn over the photo?

A buyer who adds a scratch wants it to look like the product; a reseller's watermark, a price tag, an
emoji sticker or a photo viewer's bar is drawn *over* the photo and does not pretend to be damage. The
two families look different in the aligned pair:

- **overlay** (``text``, ``watermark``, ``sticker``, ``price_tag``, ``ui_bar``): glyphs of one height in a
  row (text; a watermark when the photo's texture still shows through), a compact patch that hides the
  texture under it with new flat or saturated colour, or with a vivid printed colour (sticker; a price tag
  when it is an upright rectangle), a band along the photo's edge across most of its side (a viewer's bar);
- **damage** (``scratch``, ``crack``, ``chip``, ``stain``, ``dent``, ``breakage``, ``altered``): thin lines
  (a scratch when straight, a crack when bent or branching), small compact marks (chips), soft shading
  with light and dark sides (dents), soft or tinted blobs that keep the texture (stains), larger areas
  whose content was replaced (breakage when dark and sharp, ``altered`` otherwise, e.g. AI inpainting).

Overlay needs positive evidence; anything else is damage-like, so a forged crack is never excused as
decoration. The features behind each decision are returned with it (docs/reference_check.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from refundguard.checks._align.area import AreaChanges
from refundguard.checks._align.changes import ChangedRegion, Changes, opponent
from refundguard.checks._align.settings import KindSettings

DAMAGE_KINDS = ("scratch", "crack", "chip", "stain", "dent", "breakage", "altered")
OVERLAY_KINDS = ("text", "watermark", "sticker", "price_tag", "ui_bar")
#: an overlay covers at least this share of the footprint (smaller marks are judged as damage)
MIN_OVERLAY_SHARE = 4e-4


@dataclass(frozen=True)
class RegionKind:
    """The kind of one changed region: ``family`` is "damage" or "overlay"; ``features`` explain it."""

    family: str
    kind: str
    features: dict[str, Any]


def _shape(comp: np.ndarray) -> dict[str, float]:
    area = float(comp.sum())
    contours, _ = cv2.findContours(comp.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    pts = np.vstack([c.reshape(-1, 2) for c in contours]).astype(np.float32)
    (_, _), (rw, rh), angle = cv2.minAreaRect(pts)
    length = max(rw, rh) + 1.0
    perimeter = float(sum(cv2.arcLength(c, True) for c in contours)) + 2.0
    hull = cv2.convexHull(pts)
    hull_area = max(float(cv2.contourArea(hull)), area, 1.0)
    thickness = max(1.0, 2.0 * area / perimeter)
    tilt = abs(((angle + 45.0) % 90.0) - 45.0)
    return {"area": area, "length": length, "thickness": thickness, "elongation": length / thickness,
            "straightness": min(1.0, length / max(1.0, perimeter / 2.0)), "solidity": area / hull_area,
            "rect_fill": area / max(1.0, rw * rh), "tilt_deg": tilt}


def _edge_width(res: np.ndarray, comp: np.ndarray) -> float:
    """How many pixels the change takes to rise at the region's boundary: its contrast inside over the
    steepest slopes (90th percentile of the gradient) on the boundary. Drawn overlays rise in ~1 px,
    stains and shading over several."""
    if comp.sum() < 4:
        return 0.0
    mag = np.abs(cv2.GaussianBlur(res, (0, 0), 0.7))
    gx = cv2.Sobel(mag, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(mag, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    u8 = comp.astype(np.uint8)
    ring = (cv2.dilate(u8, np.ones((3, 3), np.uint8)) - cv2.erode(u8, np.ones((3, 3), np.uint8))).astype(bool)
    slope = float(np.percentile(np.hypot(gx, gy)[ring], 90)) if ring.any() else 0.0
    inside = float(np.percentile(mag[comp], 75))
    return inside / slope if slope > 0 else float("inf")


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    d = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / d) if d > 0 else 0.0


def _text_like(res: np.ndarray, box: tuple[int, int, int, int], settings: KindSettings) -> bool:
    """Letters in a row: the region's strong change split into strokes, of which at least
    ``text_components`` are letter-like pieces of one height *and* one size (area), standing on one
    baseline, close together along it, and carrying most of the change; the row is longer than it is
    tall. A shatter or a branching crack also breaks into pieces, but of every size and height, scattered
    in two dimensions, with one piece holding most of the change."""
    x, y, w, h = box
    patch = np.abs(res[y:y + h, x:x + w])
    if patch.size < 30 or float(patch.max()) <= 0:
        return False
    strokes = (patch >= 0.4 * float(np.percentile(patch, 99))).astype(np.uint8)
    n, _, st, centres = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    if n - 1 < settings.text_components:
        return False
    heights = st[1:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    widths = st[1:, cv2.CC_STAT_WIDTH].astype(np.float64)
    areas = st[1:, cv2.CC_STAT_AREA].astype(np.float64)
    big = areas >= max(3.0, 0.05 * float(areas.max()))  # glyphs, not the specks re-encoding breaks off them
    if big.sum() < settings.text_components:
        return False
    # the glyphs' height: the median weighted by area, so a word's letters set it and its fragments do not
    order = np.argsort(heights[big])
    weight = np.cumsum(areas[big][order])
    hm = float(heights[big][order][int(np.searchsorted(weight, 0.5 * weight[-1]))])
    if hm < 3:
        return False
    aspect = heights / np.maximum(widths, 1)
    glyph = big & (heights >= 0.5 * hm) & (heights <= 1.6 * hm) & (aspect <= 4.0) & (aspect >= 0.25)
    if glyph.sum() < settings.text_components:
        return False
    am = float(np.median(areas[glyph]))  # letters of one font have one size
    glyph &= (areas >= am / settings.glyph_area_ratio) & (areas <= am * settings.glyph_area_ratio)
    if glyph.sum() < settings.text_components or float(areas[glyph].sum()) < settings.glyph_share * float(
            areas[big].sum()):
        return False
    # one baseline: the glyphs' bottoms on a straight line (letters without descenders sit on it)
    bottoms = np.stack([centres[1:][glyph][:, 0], st[1:, cv2.CC_STAT_TOP][glyph] + heights[glyph]], axis=1)
    vx, vy, x0, y0 = cv2.fitLine(bottoms.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    off = np.abs((bottoms[:, 0] - x0) * vy - (bottoms[:, 1] - y0) * vx)
    on_line = off <= settings.baseline_tolerance * hm
    if on_line.sum() < settings.text_components:
        return False
    along = np.sort((bottoms[on_line, 0] - x0) * vx + (bottoms[on_line, 1] - y0) * vy)
    # letters of a word follow each other closely: the longest run of glyphs without a gap of 2 line heights
    run, best = 1, 1
    for gap in np.diff(along):
        run = run + 1 if gap <= 2.0 * hm else 1
        best = max(best, run)
    # the row, from the first letter's edge to the last one's, is at least two line heights long
    extent = float(along[-1] - along[0]) + float(np.mean(widths[glyph][on_line]))
    return best >= settings.text_components and extent >= 2.0 * hm


def classify(changes: Changes, claim: np.ndarray, ref: np.ndarray, valid: np.ndarray,
             settings: KindSettings | None = None, outlined: bool = False) -> list[RegionKind]:
    """The kind of each of ``changes.regions`` (same order), from the aligned pair.

    Parameters
    ----------
    changes : the detector's result on this pair.
    claim, ref : (h, w, 3) float32 RGB, aligned and colour-normalised (as given to the detector).
    valid : the reference's footprint in the claim frame.
    outlined : the regions follow the change's own outline (the area detector's components), so how
        sharply the change rises at their boundary tells drawn letters from a soft blob; the structure
        detector grows its regions beside a line, which blurs that boundary.
    """
    s = settings or KindSettings()
    ys, xs = np.nonzero(valid)
    if len(ys) == 0:
        return []
    fx0, fx1, fy0, fy1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    fw, fh = fx1 - fx0, fy1 - fy0
    footprint = float(valid.sum())
    c_opp, r_opp = opponent(claim), opponent(ref)
    hp_c = c_opp[:, :, 0] - cv2.GaussianBlur(c_opp[:, :, 0], (0, 0), 1.5)
    hp_r = r_opp[:, :, 0] - cv2.GaussianBlur(r_opp[:, :, 0], (0, 0), 1.5)
    outside = ~valid | changes.framing
    out: list[RegionKind] = []
    for region in changes.regions:
        out.append(_classify_one(region, changes, c_opp, r_opp, hp_c, hp_r, outside,
                                 (fx0, fy0, fw, fh), footprint, s, outlined))
    _edge_bars(changes.regions, out, (fx0, fy0, fw, fh), s)
    _inherit(changes.regions, out)
    return out


def _edge_bars(regions: list[ChangedRegion], kinds: list[RegionKind], frame: tuple[int, int, int, int],
               s: KindSettings) -> None:
    """A viewer's bar drawn translucently over a varied photo changes it in pieces (the band, its icons,
    its text): the regions lying wholly in a band along one edge of the footprint, one of them touching
    the edge, whose boxes together cover ``bar_span`` of that side, are one bar."""
    fx0, fy0, fw, fh = frame
    for edge in ("top", "bottom", "left", "right"):
        horizontal = edge in ("top", "bottom")
        depth = s.bar_depth * (fh if horizontal else fw)
        members = []
        for i, r in enumerate(regions):
            x, y, w, h = r.box
            near = {"top": y + h <= fy0 + depth, "bottom": y >= fy0 + fh - depth,
                    "left": x + w <= fx0 + depth, "right": x >= fx0 + fw - depth}[edge]
            if near:
                members.append(i)
        if not members:
            continue
        touching = any(_touches(regions[i].box, edge, frame) for i in members)
        side = fw if horizontal else fh
        cover = np.zeros(side + 1, bool)
        for i in members:
            x, y, w, h = regions[i].box
            a, b = (x - fx0, x - fx0 + w) if horizontal else (y - fy0, y - fy0 + h)
            cover[max(0, a):max(0, min(side, b))] = True
        if touching and float(cover.mean()) >= s.bar_span:
            for i in members:
                kinds[i] = RegionKind("overlay", "ui_bar", {**kinds[i].features, "edge_bar": edge})


def _touches(box: tuple[int, int, int, int], edge: str, frame: tuple[int, int, int, int], pad: int = 4) -> bool:
    fx0, fy0, fw, fh = frame
    x, y, w, h = box
    return {"top": y <= fy0 + pad, "bottom": y + h >= fy0 + fh - pad, "left": x <= fx0 + pad,
            "right": x + w >= fx0 + fw - pad}[edge]


def _inherit(regions: list[ChangedRegion], kinds: list[RegionKind]) -> None:
    """Pieces of an overlay (a glyph beside the word, an icon on a bar) take the overlay's kind: a smaller
    damage-like region whose centre lies inside an overlay's box grown by a quarter of its size."""
    overlays = [(regions[i].box, kinds[i]) for i in range(len(regions)) if kinds[i].family == "overlay"]
    for i, r in enumerate(regions):
        if kinds[i].family == "overlay":
            continue
        x, y, w, h = r.box
        cx, cy = x + w / 2, y + h / 2
        for (ox, oy, ow, oh), k in overlays:
            gx, gy = max(4.0, 0.25 * ow), max(4.0, 0.25 * oh)
            if ox - gx <= cx <= ox + ow + gx and oy - gy <= cy <= oy + oh + gy and w * h < ow * oh:
                kinds[i] = RegionKind("overlay", k.kind, {**kinds[i].features, "part_of_overlay": k.kind})
                break


def _classify_one(region: ChangedRegion, changes: Changes, c_opp: np.ndarray, r_opp: np.ndarray,
                  hp_c: np.ndarray, hp_r: np.ndarray, outside: np.ndarray, frame: tuple[int, int, int, int],
                  footprint: float, s: KindSettings, outlined: bool = False) -> RegionKind:
    x, y, w, h = region.box
    comp = changes.labels[y:y + h, x:x + w] == region.label
    f = _shape(comp)
    # the detector grows a region around a strong thin line (its wider channels respond beside it); the
    # line's own shape is that of its core, the pixels changed by at least 40 % of the region's peak
    lum = np.abs(changes.residual[y:y + h, x:x + w, 0]) * comp
    core = lum >= 0.4 * float(lum.max()) if float(lum.max()) > 0 else comp
    line = _shape(core) if int(core.sum()) >= 3 else f
    _, _, fw, fh = frame
    pad = 3
    ya, yb, xa, xb = max(0, y - pad), min(outside.shape[0], y + h + pad), max(0, x - pad), min(outside.shape[1],
                                                                                                 x + w + pad)
    touches = bool(outside[ya:yb, xa:xb].any()) or x < pad or y < pad or x + w + pad > outside.shape[1] \
        or y + h + pad > outside.shape[0]
    res = changes.residual[y:y + h, x:x + w]
    d_lum = float(np.abs(res[:, :, 0][comp]).mean())
    d_chroma = float(np.hypot(res[:, :, 1][comp], res[:, :, 2][comp]).mean())
    claim_chroma = float(np.hypot(c_opp[y:y + h, x:x + w, 1][comp], c_opp[y:y + h, x:x + w, 2][comp]).mean())
    ref_tex = float(hp_r[y:y + h, x:x + w][comp].std())
    claim_tex = float(hp_c[y:y + h, x:x + w][comp].std())
    ncc = _ncc(hp_c[y:y + h, x:x + w][comp], hp_r[y:y + h, x:x + w][comp]) if ref_tex > 0.008 else None
    inner = cv2.erode(comp.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    fill = c_opp[y:y + h, x:x + w][inner] if inner.sum() >= 10 else c_opp[y:y + h, x:x + w][comp]
    flat = float(fill[:, 0].std()) <= 0.25 * max(d_lum, 1e-3) or float(fill[:, 0].std()) < 0.02
    opaque = (ncc is not None and ncc < s.opaque_ncc) or (ncc is None and flat and claim_tex < 0.01)
    share = f["area"] / max(1.0, footprint)
    edge_px = _edge_width(changes.residual[ya:yb, xa:xb, 0],
                          np.pad(comp, ((y - ya, yb - y - h), (x - xa, xb - x - w))))
    features: dict[str, Any] = {
        "elongation": round(f["elongation"], 2), "core_elongation": round(line["elongation"], 2),
        "core_thickness_px": round(line["thickness"], 2), "core_straightness": round(line["straightness"], 3),
        "solidity": round(f["solidity"], 3),
        "rect_fill": round(f["rect_fill"], 3), "tilt_deg": round(f["tilt_deg"], 1),
        "touches_edge": touches, "edge_width_px": round(edge_px, 2),
        "texture_kept": None if ncc is None else round(ncc, 3),
        "flat_fill": flat, "new_chroma": round(d_chroma, 4), "claim_chroma": round(claim_chroma, 4),
        "lighter": round(region.lighter, 3), "detector": region.channel}

    def result(family: str, kind: str) -> RegionKind:
        return RegionKind(family, kind, features)

    span_x, span_y = w / max(1, fw), h / max(1, fh)
    bar = touches and f["rect_fill"] >= 0.6 and f["tilt_deg"] <= 5.0 and (
        (span_x >= s.bar_span and span_y <= s.bar_depth) or (span_y >= s.bar_span and span_x <= s.bar_depth))
    if bar:
        return result("overlay", "ui_bar")
    lettered = (not outlined or edge_px <= s.text_edge_px) and _text_like(res[:, :, 0] * comp, (0, 0, w, h), s)
    if share >= MIN_OVERLAY_SHARE and lettered:
        kept = ncc is not None and ncc >= s.opaque_ncc
        return result("overlay", "watermark" if kept or region.lighter >= 0.8 else "text")
    coloured = claim_chroma >= s.overlay_chroma and d_chroma >= 0.5 * s.overlay_chroma
    vivid = claim_chroma >= s.vivid_chroma and d_chroma >= s.overlay_chroma and (ncc is None or ncc < s.covered_ncc)
    sharp = edge_px <= s.sharp_edge_px
    features["vivid"] = bool(vivid)
    if share >= MIN_OVERLAY_SHARE and (vivid or (opaque and (coloured or flat) and sharp)) and f["solidity"] >= 0.85 \
            and f["elongation"] < s.line_elongation:
        upright = f["rect_fill"] >= s.rectangular and f["tilt_deg"] <= 5.0
        return result("overlay", "price_tag" if upright else "sticker")
    if (f["elongation"] >= s.line_elongation and f["thickness"] <= s.line_thickness_px) or (
            line["elongation"] >= s.line_elongation and line["thickness"] <= 0.5 * s.line_thickness_px):
        straight = line["straightness"] if line is not f else f["straightness"]
        return result("damage", "scratch" if straight >= 0.75 else "crack")
    soft = region.channel in ("shading", "colour_shading", "blob")
    if soft and 0.2 <= region.lighter <= 0.8:
        return result("damage", "dent")
    if d_chroma > 0.6 * d_lum or (soft and not opaque):
        return result("damage", "stain")
    if share < 0.002:
        return result("damage", "chip")
    if opaque:
        return result("damage", "breakage" if region.lighter <= 0.3 else "altered")
    return result("damage", "stain" if region.lighter <= 0.3 else "altered")


def classify_area(area: AreaChanges, changes: Changes, claim: np.ndarray, ref: np.ndarray, valid: np.ndarray,
                  settings: KindSettings | None = None) -> list[RegionKind]:
    """The kind of each component of the area detector (:mod:`area`), by the same rules as :func:`classify`:
    the components are described with the structure detector's residual and framing band, their channel
    is that of the most visible structure region under them ("blob" when none)."""
    lum = changes.residual[:, :, 0]
    regions = []
    for i, (x, y, w, h) in enumerate(area.boxes):
        sel = area.labels[y:y + h, x:x + w] == i + 1
        lr = lum[y:y + h, x:x + w][sel]
        mag = float(np.abs(lr).sum())
        under = set(np.unique(changes.labels[y:y + h, x:x + w][sel]).tolist()) - {0}
        seen = [r for r in changes.regions if r.label in under]
        regions.append(ChangedRegion(
            label=i + 1, box=(x, y, w, h), area=area.areas[i], peak_z=0.0, significance=0.0, contrast=0.0,
            visibility=0.0, channel=max(seen, key=lambda r: r.visibility).channel if seen else "blob",
            lighter=float(np.clip(lr, 0, None).sum() / mag) if mag > 0 else 0.5))
    described = Changes(heat=np.zeros(1, np.float32), mask=area.mask, labels=area.labels, regions=regions,
                        noise=area.noise, share=area.share, framing=changes.framing, residual=changes.residual)
    return classify(described, claim, ref, valid, settings, outlined=True)
