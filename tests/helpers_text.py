"""Test helper: draw text onto a photo with a CJK font and report where the glyphs landed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from refundguard.findings import Region

#: installed by scripts/system-deps.sh (Debian fonts-wqy-microhei)
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """WenQuanYi Micro Hei at ``size`` px; skips (fails in CI) when the Debian font is missing."""
    if not CJK_FONT.exists():
        import os

        message = f"{CJK_FONT} missing: apt-get install fonts-wqy-microhei (scripts/system-deps.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return ImageFont.truetype(str(CJK_FONT), size)


def draw_label(rgb: np.ndarray, text: str, *, height_frac: float = 0.05, where: str = "bottom-right",
               margin_frac: float = 0.02, fill: tuple[int, int, int] = (255, 255, 255),
               stroke: tuple[int, int, int] = (0, 0, 0)) -> tuple[np.ndarray, Region]:
    """Render ``text`` whose glyph box is ``height_frac`` of the short side high.

    ``where`` is ``top-left``, ``top-right``, ``bottom-left``, ``bottom-right``, ``centre`` or
    ``cut-right`` (the text runs past the right border). Returns the image and the glyph box.
    """
    img = Image.fromarray(rgb)
    h, w = rgb.shape[:2]
    target = max(8, round(height_frac * min(h, w)))
    probe = cjk_font(100).getbbox(text)
    size = max(8, round(100 * target / max(probe[3] - probe[1], 1)))
    font = cjk_font(size)
    left, top, right, bottom = font.getbbox(text, stroke_width=2)
    tw, th = right - left, bottom - top
    m = round(margin_frac * min(h, w))
    positions = {
        "top-left": (m, m), "top-right": (w - m - tw, m), "bottom-left": (m, h - m - th),
        "bottom-right": (w - m - tw, h - m - th), "centre": ((w - tw) // 2, (h - th) // 2),
        "cut-right": (w - tw // 2, h - m - th),
    }
    x, y = positions[where]
    draw = ImageDraw.Draw(img)
    draw.text((x - left, y - top), text, font=font, fill=fill, stroke_width=2, stroke_fill=stroke)
    x0, y0 = max(x, 0), max(y, 0)
    return np.asarray(img), Region(x0, y0, min(x + tw, w) - x0, min(y + th, h) - y0)


def iou(a: Region, b: Region) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0
