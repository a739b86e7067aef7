"""Laundering steps a forger (or a messaging app) applies after editing, each moving the mask along.

Every step is ``step(image, mask, rng) -> (image, mask)`` with RGB uint8 images and bool masks (the mask
may be None for genuine claims). Geometric steps transform the mask with the same warp.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw

Step = Callable[[np.ndarray, np.ndarray | None, np.random.Generator], tuple[np.ndarray, np.ndarray | None]]


def _encode(img: np.ndarray, quality: int, subsampling: int = 2) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality), subsampling=subsampling)
    return np.array(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _warp_both(img: np.ndarray, mask: np.ndarray | None, m: np.ndarray, size: tuple[int, int],
               perspective: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    fn = cv2.warpPerspective if perspective else cv2.warpAffine
    out = fn(img, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if mask is None:
        return out, None
    mk = fn(mask.astype(np.uint8) * 255, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
    return out, mk > 127


def jpeg(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """One JPEG re-encode at quality 50-95."""
    return _encode(img, int(rng.integers(50, 96))), mask


def jpeg_twice(img: np.ndarray, mask: np.ndarray | None,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Two JPEG re-encodes at independent qualities 50-95."""
    return _encode(_encode(img, int(rng.integers(50, 96))), int(rng.integers(50, 96))), mask


def resize(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Downscale by 0.4-1.0 (area averaging), then JPEG q90 as a saved file would be."""
    f = rng.uniform(0.4, 1.0)
    h, w = img.shape[:2]
    size = (max(16, round(w * f)), max(16, round(h * f)))
    out = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    mk = None if mask is None else cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 127
    return _encode(out, 90), mk


def crop(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Crop up to 15 % of each dimension, keeping the masked area inside when there is one."""
    h, w = img.shape[:2]
    for _ in range(20):
        cw, ch = round(w * rng.uniform(0.0, 0.15)), round(h * rng.uniform(0.0, 0.15))
        x0, y0 = int(rng.integers(0, cw + 1)), int(rng.integers(0, ch + 1))
        x1, y1 = w - (cw - x0), h - (ch - y0)
        if mask is None or mask[y0:y1, x0:x1].sum() >= 0.8 * mask.sum():
            break
    out = img[y0:y1, x0:x1].copy()
    return _encode(out, 92), None if mask is None else mask[y0:y1, x0:x1].copy()


def rotate(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate by up to 5 degrees and crop to the largest upright rectangle without borders."""
    h, w = img.shape[:2]
    angle = rng.uniform(-5, 5)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out, mk = _warp_both(img, mask, m, (w, h))
    a = np.deg2rad(abs(angle))
    mx = int(np.ceil(h * np.sin(a) / 2 + 1)) + 1
    my = int(np.ceil(w * np.sin(a) / 2 + 1)) + 1
    out = out[my:h - my, mx:w - mx]
    mk = None if mk is None else mk[my:h - my, mx:w - mx]
    return _encode(out, 92), mk


def perspective(img: np.ndarray, mask: np.ndarray | None,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """A keystone/perspective correction: each corner moves by up to 6 % of the size."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(0, 0.06, (4, 2)) * np.array([w, h]) * np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    m = cv2.getPerspectiveTransform(src, np.float32(src + jitter))
    out, mk = _warp_both(img, mask, m, (w, h), perspective=True)
    return _encode(out, 92), mk


def mirror(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Mirror left-right (then JPEG q90)."""
    return _encode(img[:, ::-1].copy(), 90), None if mask is None else mask[:, ::-1].copy()


def messaging(img: np.ndarray, mask: np.ndarray | None,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """A messaging-app re-send: long side limited to 1080 px, JPEG q70-85 with 4:2:0 chroma."""
    h, w = img.shape[:2]
    f = min(1.0, 1080 / max(h, w))
    if f < 1.0:
        size = (round(w * f), round(h * f))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        if mask is not None:
            mask = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 127
    return _encode(img, int(rng.integers(70, 86))), mask


def screenshot(img: np.ndarray, mask: np.ndarray | None,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """A phone screenshot of the photo in a viewer: status bar, app bars, letterbox, saved as PNG-then-JPEG."""
    sw, sh = 1080, 2340
    h, w = img.shape[:2]
    bar, bottom = 96, 180
    s = min(sw / w, (sh - bar - bottom - 200) / h)
    size = (round(w * s), round(h * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    shown = cv2.resize(img, size, interpolation=interp)
    canvas = np.full((sh, sw, 3), 255 if rng.random() < 0.5 else 16, np.uint8)
    x0 = (sw - size[0]) // 2
    y0 = bar + 100 + (sh - bar - bottom - 200 - size[1]) // 2
    canvas[y0:y0 + size[1], x0:x0 + size[0]] = shown
    pil = Image.fromarray(canvas)
    draw = ImageDraw.Draw(pil)
    fg = (0, 0, 0) if canvas[0, 0, 0] > 128 else (240, 240, 240)
    draw.text((40, 30), f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}", fill=fg)
    draw.rectangle((sw - 130, 34, sw - 60, 62), outline=fg, width=3)
    draw.rectangle((sw - 126, 38, sw - 126 + int(rng.integers(10, 62)), 58), fill=fg)
    draw.rectangle((0, bar, sw, bar + 100), fill=(245, 245, 245) if fg == (0, 0, 0) else (40, 40, 40))
    draw.text((60, bar + 40), "< Photo", fill=fg)
    draw.rectangle((0, sh - bottom, sw, sh), fill=(245, 245, 245) if fg == (0, 0, 0) else (40, 40, 40))
    out = _encode(np.array(pil), int(rng.integers(80, 96)))
    if mask is None:
        return out, None
    mk = np.zeros((sh, sw), bool)
    mk[y0:y0 + size[1], x0:x0 + size[0]] = cv2.resize(mask.astype(np.uint8) * 255, size,
                                                      interpolation=cv2.INTER_LINEAR) > 127
    return out, mk


def colour(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """A photo-app colour filter: warm, cool, sepia, faded, vivid or high-contrast (curves + channel mix)."""
    f = img.astype(np.float32) / 255.0
    kind = str(rng.choice(["warm", "cool", "sepia", "faded", "vivid", "contrast"]))
    if kind == "warm":
        f = f * np.array([1.08, 1.0, 0.85], np.float32) + np.array([0.03, 0.01, 0.0], np.float32)
    elif kind == "cool":
        f = f * np.array([0.88, 1.0, 1.1], np.float32)
    elif kind == "sepia":
        m = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
        f = 0.3 * f + 0.7 * (f @ m.T)
    elif kind == "faded":
        f = 0.12 + 0.78 * f
    elif kind == "vivid":
        g = f.mean(axis=2, keepdims=True)
        f = g + 1.35 * (f - g)
    else:
        f = np.clip(f, 0, 1) ** rng.uniform(0.7, 1.4)
        f = 0.5 + 1.2 * (f - 0.5)
    return _encode(np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8), 92), mask


STEPS: dict[str, Step] = {"jpeg": jpeg, "jpeg_twice": jpeg_twice, "resize": resize, "crop": crop,
                          "rotate": rotate, "perspective": perspective, "mirror": mirror, "messaging": messaging,
                          "screenshot": screenshot, "colour": colour}


def chain(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator,
          names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Apply 2-3 random steps (or ``names``) in order; returns the image, mask and the steps used."""
    if names is None:
        pool = [n for n in STEPS if n not in ("screenshot", "messaging")]
        names = [str(n) for n in rng.choice(pool, size=int(rng.integers(2, 4)), replace=False)]
        if rng.random() < 0.5:
            names.append(str(rng.choice(["messaging", "screenshot"])))
    for n in names:
        img, mask = STEPS[n](img, mask, rng)
    return img, mask, names
