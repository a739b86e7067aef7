"""Small-damage and overlay recipes at graded strengths, written independently of the reference check.

claimbench's first damages (:mod:`bench.claimbench.damage`) are large and were the only judge while the
detector was tuned. These recipes are the small, common case a buyer's "划痕" claim is about: thin
scratches of random length and width, small spots and chips, dents as soft shading, soft-edged stains
and text-like marks, each at a graded *strength* (the peak luminance change, gray in [0, 1]) down to
"barely visible at 100 % zoom". Overlays (watermark, price tag, sticker, photo-viewer bar) are the
decorations a reseller or a viewer draws over a photo: they change pixels but are not damage.

Every recipe is ``recipe(image, rng, strength) -> (image, mask)`` with RGB uint8 images and a bool mask
of the pixels that changed by at least a third of the strength (at least 2 gray levels), so a mark on a
clipped-white or black area that changed nothing is not in the mask. The recipes, their families and
which of them are held out from all tuning are listed in :data:`RECIPES` and :data:`HELD_OUT`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

Recipe = Callable[[np.ndarray, np.random.Generator, float], tuple[np.ndarray, np.ndarray]]

#: peak luminance change per strength (gray in [0, 1]); "barely" is about 9 gray levels on a 1-3 px line
STRENGTHS: dict[str, float] = {"barely": 0.035, "faint": 0.07, "clear": 0.14, "strong": 0.28}
SUPER = 4  # thin marks are drawn on a 4x canvas and reduced with area averaging (sub-pixel widths)


def _f(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


def _u8(img: np.ndarray) -> np.ndarray:
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _changed(img: np.ndarray, out: np.ndarray, strength: float) -> np.ndarray:
    level = max(2.0, 255.0 * strength / 3.0)
    return np.abs(out.astype(np.float32) - img.astype(np.float32)).max(axis=2) >= level


def _spot_centre(img: np.ndarray, rng: np.random.Generator, margin: float = 0.15) -> np.ndarray:
    h, w = img.shape[:2]
    return np.array([rng.uniform(margin * w, (1 - margin) * w), rng.uniform(margin * h, (1 - margin) * h)])


def _polarity(f: np.ndarray, centre: np.ndarray, radius: float) -> float:
    """-1 (darker) on bright surfaces, +1 (lighter) on dark ones: a scratch shows the other tone."""
    x, y = int(centre[0]), int(centre[1])
    r = max(2, int(radius))
    patch = f[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1]
    return -1.0 if float(patch.mean()) > 0.45 else 1.0


def _line_alpha(shape: tuple[int, int], lines: list[np.ndarray], width: float) -> np.ndarray:
    """Coverage (float32 in [0, 1]) of polylines ``width`` px wide, anti-aliased at sub-pixel widths."""
    h, w = shape
    canvas = np.zeros((h * SUPER, w * SUPER), np.float32)
    for line in lines:
        pts = np.round(line * SUPER * 4).astype(np.int32)
        cv2.polylines(canvas, [pts], False, 1.0, thickness=max(1, round(width * SUPER)), lineType=cv2.LINE_AA,
                      shift=2)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)


def _curve(start: np.ndarray, angle: float, length: float, bend: float) -> np.ndarray:
    """A gently bent segment: a quadratic Bezier from ``start`` of ``length`` px heading ``angle``."""
    d = np.array([np.cos(angle), np.sin(angle)])
    n = np.array([-d[1], d[0]])
    end = start + length * d
    ctrl = (start + end) / 2 + bend * length * n
    t = np.linspace(0.0, 1.0, max(8, int(length / 2)))[:, None]
    return ((1 - t) ** 2 * start + 2 * (1 - t) * t * ctrl + t ** 2 * end).astype(np.float32)


def _apply_luma(img: np.ndarray, alpha: np.ndarray, delta: float) -> np.ndarray:
    """Add ``delta * alpha`` to the brightness, keeping colour (multiplicative when darkening)."""
    f = _f(img)
    if delta < 0:
        lum = f.mean(axis=2, keepdims=True) + 1e-3
        factor = np.clip(1.0 + delta * alpha[:, :, None] / np.maximum(lum, 0.15), 0.0, 1.0)
        return _u8(f * factor)
    return _u8(f + delta * alpha[:, :, None])


def thin_scratch(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """One scratch 0.8-3 px wide and 2-12 % of the image width long, straight or gently bent."""
    h, w = img.shape[:2]
    start = _spot_centre(img, rng, 0.2)
    length = w * rng.uniform(0.02, 0.12)
    line = _curve(start, rng.uniform(0, 2 * np.pi), length, rng.uniform(-0.15, 0.15))
    alpha = _line_alpha((h, w), [line], rng.uniform(0.8, 3.0))
    alpha *= np.clip(1.0 + rng.normal(0.0, 0.15, alpha.shape), 0.5, 1.5).astype(np.float32)  # worn unevenly
    out = _apply_luma(img, alpha, _polarity(_f(img), start, length / 2) * strength)
    return out, _changed(img, out, strength)


def scratch_cluster(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A scuff: 2-5 near-parallel thin scratches 0.7-2 px wide (held out from tuning)."""
    h, w = img.shape[:2]
    start = _spot_centre(img, rng, 0.2)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([-np.sin(angle), np.cos(angle)])
    lines = []
    for _ in range(int(rng.integers(2, 6))):
        offset = normal * rng.uniform(-0.015, 0.015) * w + rng.uniform(-0.01, 0.01, 2) * w
        lines.append(_curve(start + offset, angle + rng.normal(0, 0.06), w * rng.uniform(0.02, 0.08),
                            rng.uniform(-0.05, 0.05)))
    alpha = _line_alpha((h, w), lines, rng.uniform(0.7, 2.0))
    out = _apply_luma(img, alpha, _polarity(_f(img), start, 0.03 * w) * strength)
    return out, _changed(img, out, strength)


def _blob(shape: tuple[int, int], centre: np.ndarray, radius: float, rng: np.random.Generator,
          edge: float) -> np.ndarray:
    """An irregular blob (float32 in [0, 1]) with a radial boundary wobble and an edge ``edge`` px soft."""
    h, w = shape
    r = int(np.ceil(radius * 1.6 + 3 * edge + 3))
    x0, y0 = int(centre[0]) - r, int(centre[1]) - r
    yy, xx = np.mgrid[y0:y0 + 2 * r + 1, x0:x0 + 2 * r + 1].astype(np.float32)
    theta = np.arctan2(yy - centre[1], xx - centre[0])
    wobble = np.ones_like(theta)
    for k in (2, 3, 5):
        wobble += rng.uniform(0.0, 0.12) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    dist = np.hypot(xx - centre[0], yy - centre[1]) / (radius * wobble)
    local = np.clip((1.0 - dist) * radius / max(edge, 0.5), 0.0, 1.0)
    out = np.zeros((h, w), np.float32)
    ya, yb, xa, xb = max(0, y0), min(h, y0 + 2 * r + 1), max(0, x0), min(w, x0 + 2 * r + 1)
    if ya < yb and xa < xb:
        out[ya:yb, xa:xb] = local[ya - y0:yb - y0, xa - x0:xb - x0]
    return out


def spot(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A small dark defect spot, 0.3-1.2 % of the short side across (at least 1.5 px), fairly sharp."""
    side = min(img.shape[:2])
    radius = max(1.5, side * rng.uniform(0.0015, 0.006))
    alpha = _blob(img.shape[:2], _spot_centre(img, rng), radius, rng, edge=rng.uniform(0.5, 1.5))
    out = _apply_luma(img, alpha, -strength)
    return out, _changed(img, out, strength)


def chip(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A chipped spot: a light exposed core with a dark shadowed rim on one side (held out from tuning)."""
    side = min(img.shape[:2])
    h, w = img.shape[:2]
    radius = max(2.0, side * rng.uniform(0.002, 0.008))
    centre = _spot_centre(img, rng)
    core = _blob((h, w), centre, radius, rng, edge=0.6)
    light = rng.uniform(0, 2 * np.pi)
    m = np.float32([[1, 0, np.cos(light) * radius * 0.35], [0, 1, np.sin(light) * radius * 0.35]])
    rim = np.clip(cv2.warpAffine(core, m, (w, h)) - core, 0, 1)
    f = _f(img)
    out = f + (strength * core)[:, :, None]
    out = out * (1.0 - strength * 1.5 * rim / np.maximum(f.mean(axis=2), 0.15))[:, :, None]
    out = _u8(out)
    return out, _changed(img, out, strength)


def dent(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A dent as soft shading only: the slope of a small bump, lit from one side (1.5-5 % of the side)."""
    side = min(img.shape[:2])
    h, w = img.shape[:2]
    c = _spot_centre(img, rng)
    s = side * rng.uniform(0.015, 0.05)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-(((xx - c[0]) / s) ** 2 + ((yy - c[1]) / (s * rng.uniform(0.6, 1.4))) ** 2) / 2.0)
    gy, gx = np.gradient(bump)
    light = rng.uniform(0, 2 * np.pi)
    shade = np.cos(light) * gx + np.sin(light) * gy
    shade = shade / (np.abs(shade).max() + 1e-9)
    out = _u8(_f(img) * np.clip(1.0 + strength * 1.6 * shade, 0.0, 2.0)[:, :, None])
    return out, _changed(img, out, strength)


def soft_stain(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A soft-edged tinted stain, 1.5-5 % of the short side across, with an edge a third of its radius."""
    side = min(img.shape[:2])
    radius = side * rng.uniform(0.0075, 0.025)
    alpha = _blob(img.shape[:2], _spot_centre(img, rng), radius, rng, edge=radius * rng.uniform(0.2, 0.5))
    tint = np.array(rng.choice([[0.55, 0.4, 0.2], [0.4, 0.35, 0.3], [0.6, 0.55, 0.25], [0.5, 0.2, 0.2]]),
                    np.float32)
    f = _f(img)
    darken = strength * 1.6 / max(0.2, float((f * alpha[:, :, None]).sum() / max(alpha.sum(), 1.0) / 3 * 3))
    a = np.clip(darken, 0.0, 0.9) * alpha[:, :, None]
    out = _u8(f * (1 - a) + f * tint * a)
    return out, _changed(img, out, strength)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, int(size)))


_LETTERS = "abcdefghkmnorstuvwxyz"


def text_mark(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A pen-like mark of a few letters written on the object (held out from tuning)."""
    h, w = img.shape[:2]
    size = max(8, int(min(h, w) * rng.uniform(0.02, 0.05)))
    word = "".join(rng.choice(list(_LETTERS), size=int(rng.integers(2, 6))))
    layer = Image.new("L", (w * 2, h * 2), 0)
    x, y = _spot_centre(img, rng, 0.25) * 2
    ImageDraw.Draw(layer).text((x, y), word, fill=255, font=_font(size * 2))
    layer = layer.rotate(float(rng.uniform(-25, 25)), center=(x, y), resample=Image.Resampling.BILINEAR)
    alpha = cv2.resize(np.asarray(layer, np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)
    out = _apply_luma(img, alpha, _polarity(_f(img), np.array([x / 2, y / 2]), size) * strength)
    return out, _changed(img, out, strength)


# ----- overlays: drawn over the photo, not damage ------------------------------------------------------


def _overlay_mask(img: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.abs(out.astype(np.int16) - img.astype(np.int16)).max(axis=2) >= 6


def watermark(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A reseller's semi-transparent text watermark (opacity from ``strength``), in a corner or centred."""
    h, w = img.shape[:2]
    size = max(10, int(min(h, w) * rng.uniform(0.04, 0.09)))
    text = str(rng.choice(["@shop" + str(int(rng.integers(100, 999))), "SAMPLE", "www.deal" + str(
        int(rng.integers(10, 99))) + ".com", "BEST PRICE", "HOT SALE"]))
    layer = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(layer)
    font = _font(size)
    box = draw.textbbox((0, 0), text, font=font)
    tw, th = box[2] - box[0], box[3] - box[1]
    if rng.random() < 0.5:
        x, y = w - tw - int(0.04 * w), h - th - int(0.05 * h)
    else:
        x, y = (w - tw) // 2, int(rng.uniform(0.3, 0.7) * (h - th))
    draw.text((max(0, x), max(0, y)), text, fill=255, font=font)
    alpha = np.asarray(layer, np.float32) / 255.0 * float(np.clip(0.25 + 1.2 * strength, 0.25, 0.7))
    colour = np.array([1.0, 1.0, 1.0] if rng.random() < 0.7 else [0.5, 0.5, 0.5], np.float32)
    f = _f(img)
    out = _u8(f * (1 - alpha[:, :, None]) + colour * alpha[:, :, None])
    return out, _overlay_mask(img, out)


def price_tag(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """An opaque price tag (rounded box in a shop colour with a price), 10-25 % of the width."""
    h, w = img.shape[:2]
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    tw = int(w * rng.uniform(0.1, 0.25))
    th = int(tw * rng.uniform(0.35, 0.55))
    x = int(rng.uniform(0.02, 0.98) * (w - tw))
    y = int(rng.uniform(0.02, 0.98) * (h - th))
    fill = tuple(int(v) for v in rng.choice([[230, 30, 40], [250, 200, 20], [255, 255, 255], [255, 90, 0]]))
    draw.rounded_rectangle((x, y, x + tw, y + th), radius=max(2, th // 5), fill=fill)
    fg = (255, 255, 255) if fill != (255, 255, 255) and fill != (250, 200, 20) else (200, 20, 20)
    draw.text((x + tw * 0.1, y + th * 0.15), f"¥{int(rng.integers(9, 999))}", fill=fg, font=_font(th * 0.6))
    out = np.asarray(pil).copy()
    return out, _overlay_mask(img, out)


def sticker(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """An emoji-like sticker: a yellow face or a red heart with an outline, 6-14 % of the short side."""
    h, w = img.shape[:2]
    r = int(min(h, w) * rng.uniform(0.03, 0.07))
    cx, cy = (int(v) for v in _spot_centre(img, rng, 0.1))
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    if rng.random() < 0.6:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 204, 51), outline=(120, 80, 0), width=max(1, r // 12))
        e = max(1, r // 6)
        for sx in (-1, 1):
            ex, ey = cx + sx * r // 3, cy - r // 3
            draw.ellipse((ex - e, ey - e, ex + e, ey + e), fill=(60, 40, 0))
        draw.arc((cx - r // 2, cy - r // 4, cx + r // 2, cy + r // 2), 20, 160, fill=(60, 40, 0), width=max(1, r // 10))
    else:
        draw.ellipse((cx - r, cy - r, cx, cy), fill=(230, 30, 60))
        draw.ellipse((cx, cy - r, cx + r, cy), fill=(230, 30, 60))
        draw.polygon([(cx - r, cy - r // 2), (cx + r, cy - r // 2), (cx, cy + r)], fill=(230, 30, 60))
    out = np.asarray(pil).copy()
    return out, _overlay_mask(img, out)


def ui_bar(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """A photo viewer's bar drawn over the top or bottom of the photo (translucent, with icons and text)."""
    h, w = img.shape[:2]
    bh = int(h * rng.uniform(0.06, 0.12))
    top = rng.random() < 0.5
    y0 = 0 if top else h - bh
    dark = rng.random() < 0.6
    f = _f(img)
    a = float(rng.uniform(0.55, 0.85))
    bar = np.array([0.08, 0.08, 0.08] if dark else [0.96, 0.96, 0.96], np.float32)
    f[y0:y0 + bh] = f[y0:y0 + bh] * (1 - a) + bar * a
    pil = Image.fromarray(_u8(f))
    draw = ImageDraw.Draw(pil)
    fg = (240, 240, 240) if dark else (30, 30, 30)
    for k in range(int(rng.integers(2, 5))):
        cx = int(w * (0.1 + 0.8 * k / 4))
        draw.rectangle((cx, y0 + bh // 3, cx + bh // 3, y0 + 2 * bh // 3), outline=fg, width=max(1, bh // 20))
    draw.text((int(0.05 * w), y0 + bh // 4), "12 / 30", fill=fg, font=_font(bh * 0.4))
    out = np.asarray(pil).copy()
    return out, _overlay_mask(img, out)


@dataclass(frozen=True)
class RecipeInfo:
    """A recipe with its family (``damage`` or ``overlay``) and the kind the check should name."""

    make: Recipe
    family: str
    kinds: tuple[str, ...]


RECIPES: dict[str, RecipeInfo] = {
    "thin_scratch": RecipeInfo(thin_scratch, "damage", ("scratch", "crack")),
    "spot": RecipeInfo(spot, "damage", ("chip", "stain")),
    "dent": RecipeInfo(dent, "damage", ("dent", "stain")),
    "soft_stain": RecipeInfo(soft_stain, "damage", ("stain", "dent")),
    "scratch_cluster": RecipeInfo(scratch_cluster, "damage", ("scratch", "crack")),
    "chip": RecipeInfo(chip, "damage", ("chip", "stain")),
    "text_mark": RecipeInfo(text_mark, "damage", ("scratch", "crack", "text")),
    "watermark": RecipeInfo(watermark, "overlay", ("watermark", "text")),
    "price_tag": RecipeInfo(price_tag, "overlay", ("price_tag", "sticker", "text")),
    "sticker": RecipeInfo(sticker, "overlay", ("sticker",)),
    "ui_bar": RecipeInfo(ui_bar, "overlay", ("ui_bar",)),
}
#: recipes no tuning may look at: scored only by ``python -m bench reference --held-out``
HELD_OUT: tuple[str, ...] = ("scratch_cluster", "chip", "text_mark", "price_tag")
