"""Test-only embedder for the ``dwtDct`` / ``dwtDctSvd`` watermarks (NumPy/OpenCV/PyWavelets).

A vectorised reimplementation of ``imwatermark`` 0.2.0's encoders, faithful to what they do to the
pixels, including their quirks: only the U channel is marked; the Haar detail bands go back to
``pywt.idwt2`` with horizontal and vertical swapped; a uint8 YUV array receives the float inverse DWT
by plain NumPy assignment (truncation). It also reproduces how each generator calls it (channel order,
uint8 vs float32 domain, rounding to uint8 on save). Used only to make marked test images.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pywt
from PIL import Image

from refundguard.checks._dwt_watermark import BLOCK, SCALE, Payload

#: how the generators call the embedder: (channel order, domain)
GENERATOR_STYLE: dict[str, tuple[str, str]] = {
    "SD1": ("bgr", "uint8"),    # CompVis txt2img: RGB -> BGR, uint8
    "SD2": ("bgr", "uint8"),
    "SDXL": ("rgb", "float"),   # diffusers: RGB float32 array treated as BGR
    "FLUX": ("bgr", "float"),   # flux WatermarkEmbedder: [:, :, ::-1] flip, float
}


def _mark_blocks(ll: np.ndarray, bits: np.ndarray, scheme: str) -> np.ndarray:
    rows, cols = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    region = ll[: rows * BLOCK, : cols * BLOCK]
    blocks = region.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK * BLOCK).copy()
    wanted = bits[np.arange(blocks.shape[0]) % bits.size].astype(np.float64)
    if scheme == "dwtDct":
        pos = np.abs(blocks[:, 1:]).argmax(axis=1) + 1
        idx = np.arange(blocks.shape[0])
        val = blocks[idx, pos]
        mag = (np.abs(val) // SCALE + 0.25 + 0.5 * wanted) * SCALE
        blocks[idx, pos] = np.where(val >= 0, mag, -mag)
    elif scheme == "dwtDctSvd":
        mats = blocks.reshape(-1, BLOCK, BLOCK)
        u, s, vt = np.linalg.svd(mats)
        new0 = (s[:, 0] // SCALE + 0.25 + 0.5 * wanted) * SCALE
        mats = mats + (new0 - s[:, 0])[:, None, None] * np.einsum("ni,nj->nij", u[:, :, 0], vt[:, 0, :])
        blocks = mats.reshape(-1, BLOCK * BLOCK)
    else:
        raise ValueError(scheme)
    out = ll.copy()
    out[: rows * BLOCK, : cols * BLOCK] = blocks.reshape(rows, cols, BLOCK, BLOCK).transpose(0, 2, 1, 3).reshape(
        rows * BLOCK, cols * BLOCK)
    return out


def embed(rgb: np.ndarray, payload: Payload, *, scheme: str = "dwtDct", order: str | None = None,
          domain: str | None = None) -> np.ndarray:
    """Mark an RGB uint8 image the way the generator of ``payload`` would; returns RGB uint8."""
    style = GENERATOR_STYLE[payload.name]
    order, domain = order or style[0], domain or style[1]
    arr = rgb[:, :, ::-1] if order == "bgr" else rgb
    arr = np.ascontiguousarray(arr.astype(np.float32) if domain == "float" else arr)
    yuv = cv2.cvtColor(arr, cv2.COLOR_BGR2YUV)
    r4, c4 = yuv.shape[0] // 4 * 4, yuv.shape[1] // 4 * 4
    ca, (ch, cv, cd) = pywt.dwt2(yuv[:r4, :c4, 1], "haar")
    ca = _mark_blocks(ca, payload.bits, scheme)
    yuv[:r4, :c4, 1] = pywt.idwt2((ca, (cv, ch, cd)), "haar")  # the package swaps H and V here
    back = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)
    if domain == "float":
        back = np.clip(np.round(back), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(back[:, :, ::-1] if order == "bgr" else back)


def reencode(rgb: np.ndarray, fmt: str, quality: int = 95, subsampling: int = 0) -> np.ndarray:
    """Save through Pillow (PNG, or JPEG at ``quality`` with 0=4:4:4, 2=4:2:0 chroma) and decode again."""
    buf = io.BytesIO()
    if fmt == "PNG":
        Image.fromarray(rgb).save(buf, format="PNG")
    else:
        Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, subsampling=subsampling)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def noise_texture(size: int, seed: int) -> np.ndarray:
    """A smooth random colour texture (blurred noise): a carrier with chroma detail everywhere."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    return cv2.GaussianBlur(base, (0, 0), 1.5)
