"""Real photos and the transforms a fraudster applies before resubmitting one (shared by the index tests)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance
from skimage import data


def load_rgb(path: object) -> np.ndarray:
    with Image.open(path) as im:  # type: ignore[arg-type]
        return np.array(im.convert("RGB"))


def skimage_photos() -> dict[str, np.ndarray]:
    return {name: np.ascontiguousarray(getattr(data, name)()) for name in ("astronaut", "coffee", "chelsea", "rocket")}


def jpeg(a: np.ndarray, quality: int = 40) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=quality)
    return load_rgb(io.BytesIO(buf.getvalue()))


def crop(a: np.ndarray, left: float, top: float, right: float, bottom: float) -> np.ndarray:
    h, w = a.shape[:2]
    return np.ascontiguousarray(a[int(h * top):h - int(h * bottom), int(w * left):w - int(w * right)])


def scale(a: np.ndarray, factor: float) -> np.ndarray:
    im = Image.fromarray(a)
    return np.array(im.resize((max(16, int(im.width * factor)), max(16, int(im.height * factor))),
                              Image.Resampling.LANCZOS))


def colour_filter(a: np.ndarray) -> np.ndarray:
    im = ImageEnhance.Contrast(ImageEnhance.Color(Image.fromarray(a)).enhance(1.6)).enhance(1.2)
    x = np.array(im).astype(np.float32)
    x[..., 0] *= 1.1
    x[..., 2] *= 0.85
    return np.clip(x, 0, 255).astype(np.uint8)


def screenshot(a: np.ndarray) -> np.ndarray:
    """The photo as a phone screenshot: status bar, margins, an app's bottom bar, then JPEG."""
    w, h = 720, 1560
    canvas = Image.new("RGB", (w, h), (250, 250, 250))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle([0, 0, w, 60], fill=(20, 20, 20))
    draw.text((24, 20), "12:41  5G  87%", fill=(255, 255, 255))
    photo = Image.fromarray(a)
    photo = photo.resize((w, int(photo.height * w / photo.width)))
    canvas.paste(photo, (0, (h - photo.height) // 2))
    draw.rectangle([0, h - 140, w, h], fill=(240, 240, 240))
    draw.text((30, h - 100), "Reply   Share   Save", fill=(0, 0, 0))
    return jpeg(np.array(canvas), 85)


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "jpeg_q40": jpeg,
    "scale_half": lambda a: scale(a, 0.5),
    "mirror": lambda a: np.ascontiguousarray(a[:, ::-1]),
    "colour_filter": colour_filter,
    "crop_20_left": lambda a: crop(a, 0.2, 0, 0, 0),
    "crop_10_each_side": lambda a: crop(a, 0.1, 0.1, 0.1, 0.1),
    "crop_mirror_jpeg": lambda a: jpeg(crop(a, 0.05, 0.1, 0.1, 0.0)[:, ::-1], 60),
    "screenshot_frame": screenshot,
}


def paste(base: np.ndarray, patch: np.ndarray, x: int, y: int, factor: float = 1.0) -> tuple[np.ndarray, tuple]:
    """``patch`` pasted into a copy of ``base`` at (x, y), rescaled by ``factor``; returns (image, (x, y, w, h))."""
    pt = scale(patch, factor) if factor != 1.0 else patch
    out = base.copy()
    out[y:y + pt.shape[0], x:x + pt.shape[1]] = pt
    return out, (x, y, pt.shape[1], pt.shape[0])
