"""Capture sessions for tests, made from real photos: the code written on a card, the item re-framed as the
buyer's phone would see it, damage painted where a forger would paint it."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf")
FALLBACK_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def card(code: str, height: int, font: Path | None = None) -> np.ndarray:
    """A sheet of paper with ``code`` handwritten-like in print letters (Comic Neue), ``height`` px high."""
    path = font or (FONT if FONT.exists() else FALLBACK_FONT)
    size = int(height * 0.5)
    ttf = ImageFont.truetype(str(path), size)
    width = int(height * 2.3)
    sheet = Image.new("RGB", (width, height), (243, 241, 233))
    draw = ImageDraw.Draw(sheet)
    box = draw.textbbox((0, 0), code, font=ttf)
    draw.text(((width - box[2]) // 2, (height - box[3]) // 2 - box[1] // 2), code, font=ttf, fill=(25, 25, 40))
    return np.asarray(sheet)


def with_card(scene: np.ndarray, code: str, corner: str = "bottom-right", share: float = 0.22) -> np.ndarray:
    """``scene`` with the code card lying in one corner (it hides what is behind it, as paper does)."""
    h, w = scene.shape[:2]
    c = card(code, max(60, int(h * share)))
    ch, cw = c.shape[:2]
    if cw > w // 2:
        c = cv2.resize(c, (w // 2, int(ch * (w // 2) / cw)), interpolation=cv2.INTER_AREA)
        ch, cw = c.shape[:2]
    out = scene.copy()
    y = h - ch - h // 40 if corner.startswith("bottom") else h // 40
    x = w - cw - w // 40 if corner.endswith("right") else w // 40
    out[y:y + ch, x:x + cw] = c
    return out


def reframe(scene: np.ndarray, *, zoom: float = 1.0, centre: tuple[float, float] = (0.5, 0.5), tilt: float = 0.0,
            size: tuple[int, int] | None = None) -> np.ndarray:
    """The scene seen again: zoomed about ``centre`` (fractions), tilted by a small perspective (``tilt``, a fraction
    of the width), at ``size`` (width, height; default the scene's)."""
    h, w = scene.shape[:2]
    out_w, out_h = size or (w, h)
    cx, cy = centre[0] * w, centre[1] * h
    half_w, half_h = w / (2 * zoom), h / (2 * zoom)
    d = tilt * w / zoom
    src = np.float32([[cx - half_w, cy - half_h + d], [cx + half_w, cy - half_h - d],
                      [cx + half_w, cy + half_h + d], [cx - half_w, cy + half_h - d]])
    dst = np.float32([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(scene, m, (out_w, out_h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)


def paint_crack(scene: np.ndarray, box: tuple[int, int, int, int], seed: int = 0) -> np.ndarray:
    """A dark, branching crack drawn inside ``box`` (x, y, w, h), as an image editor would."""
    rng = np.random.default_rng(seed)
    out = scene.copy()
    x, y, w, h = box
    point = np.array([x + w * 0.1, y + h * rng.uniform(0.3, 0.7)])
    angle = rng.uniform(-0.4, 0.4)
    for _ in range(40):
        angle += rng.normal(0, 0.35)
        step = np.array([np.cos(angle), np.sin(angle)]) * w / 40
        nxt = point + step
        nxt = np.clip(nxt, [x, y], [x + w - 1, y + h - 1])
        cv2.line(out, tuple(int(v) for v in point), tuple(int(v) for v in nxt), (28, 24, 22),
                 max(2, w // 90), cv2.LINE_AA)
        point = nxt
    return out


def write_y4m(path: Path, rgb: np.ndarray) -> Path:
    """A one-frame Y4M clip (4:2:0) of ``rgb`` for Chromium's fake camera (``--use-file-for-fake-video-capture``);
    the camera plays it in a loop. Width and height are made even."""
    h, w = (rgb.shape[0] // 2) * 2, (rgb.shape[1] // 2) * 2
    yuv = cv2.cvtColor(np.ascontiguousarray(rgb[:h, :w]), cv2.COLOR_RGB2YUV_I420)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode("ascii") + b"FRAME\n" + yuv.tobytes())
    tmp.replace(path)
    return path

