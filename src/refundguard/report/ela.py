"""Error level analysis as a picture for people. It is never used as evidence by any check.

ELA re-saves the picture as JPEG and shows where it changes most; bright areas are often just edges
and textures, which is why RefundGuard draws it only as an aid for the human reader of a report.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def error_level_image(pixels: np.ndarray, quality: int = 90, gain: float | None = None) -> np.ndarray:
    """Return the amplified absolute difference between ``pixels`` and their JPEG re-save.

    Parameters
    ----------
    pixels : (H, W, 3) or (H, W) uint8
    quality : int
        JPEG quality of the re-save.
    gain : float, optional
        Amplification; by default the 99.5th percentile of the difference is stretched to 255.

    Returns
    -------
    uint8 array of the same shape as ``pixels``.
    """
    arr = np.asarray(pixels, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality))
    resaved = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert(Image.fromarray(arr).mode))
    diff = np.abs(arr.astype(np.int16) - resaved.astype(np.int16)).astype(np.float32)
    if gain is None:
        top = float(np.percentile(diff, 99.5))
        gain = 255.0 / max(top, 1.0)
    return np.clip(diff * gain, 0, 255).astype(np.uint8)
