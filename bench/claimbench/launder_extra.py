"""Harder laundering than :mod:`bench.claimbench.launder`: low JPEG qualities, strong downscales,
sharpening, added borders and screenshots re-sent through a messaging app.

Same contract as :mod:`bench.claimbench.launder` (``step(image, mask, rng) -> (image, mask)``). Kept in
its own module so the original claimbench steps, and the cases seeded from them, stay reproducible.
"""

from __future__ import annotations

import cv2
import numpy as np

from bench.claimbench import launder
from bench.claimbench.launder import Step, _encode


def _scale(img: np.ndarray, mask: np.ndarray | None, f: float) -> tuple[np.ndarray, np.ndarray | None]:
    h, w = img.shape[:2]
    size = (max(16, round(w * f)), max(16, round(h * f)))
    out = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    if mask is None:
        return out, None
    return out, cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 63


def jpeg_low(img: np.ndarray, mask: np.ndarray | None,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """One JPEG re-encode at quality 35-60 (4:2:0)."""
    return _encode(img, int(rng.integers(35, 61))), mask


def half_q50(img: np.ndarray, mask: np.ndarray | None,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Downscale to 0.5x (area averaging), then JPEG q50: the issue's target laundering."""
    out, mk = _scale(img, mask, 0.5)
    return _encode(out, 50), mk


def messaging_small(img: np.ndarray, mask: np.ndarray | None,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """A messaging app's small preview re-send: 0.33-0.44x, JPEG q55-65."""
    out, mk = _scale(img, mask, float(rng.uniform(0.33, 0.44)))
    return _encode(out, int(rng.integers(55, 66))), mk


def sharpen(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """An app's sharpening (unsharp mask, radius 1-2 px, amount 0.6-1.5), then JPEG q85."""
    f = img.astype(np.float32)
    blur = cv2.GaussianBlur(f, (0, 0), float(rng.uniform(1.0, 2.0)))
    out = np.clip(f + float(rng.uniform(0.6, 1.5)) * (f - blur), 0, 255).astype(np.uint8)
    return _encode(out, 85), mask


def border(img: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """An added frame: a solid or blurred-photo border of 3-10 % around the photo, then JPEG q90."""
    h, w = img.shape[:2]
    t = max(4, int(min(h, w) * rng.uniform(0.03, 0.1)))
    if rng.random() < 0.5:
        colour = [int(v) for v in rng.choice([[255, 255, 255], [0, 0, 0], [240, 220, 200], [30, 30, 60]])]
        canvas = np.empty((h + 2 * t, w + 2 * t, 3), np.uint8)
        canvas[:] = colour
    else:  # a "blurred background" frame, as story and post editors make
        canvas = cv2.GaussianBlur(cv2.resize(img, (w + 2 * t, h + 2 * t)), (0, 0), 25)
    canvas[t:t + h, t:t + w] = img
    mk = None
    if mask is not None:
        mk = np.zeros(canvas.shape[:2], bool)
        mk[t:t + h, t:t + w] = mask
    return _encode(canvas, 90), mk


def screenshot_heavy(img: np.ndarray, mask: np.ndarray | None,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """A phone screenshot of the photo re-sent through a messaging app: 0.4-0.6x, JPEG q40-60."""
    out, mk = launder.screenshot(img, mask, rng)
    out, mk = _scale(out, mk, float(rng.uniform(0.4, 0.6)))
    return _encode(out, int(rng.integers(40, 61))), mk


STEPS: dict[str, Step] = {"jpeg_low": jpeg_low, "half_q50": half_q50, "messaging_small": messaging_small,
                          "sharpen": sharpen, "border": border, "screenshot_heavy": screenshot_heavy}
#: every laundering the small-damage benchmark crosses its recipes with (original steps first)
ALL: dict[str, Step] = {**launder.STEPS, **STEPS}
