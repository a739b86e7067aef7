"""Where text can be: a cheap stroke pass that picks the parts of a picture the OCR reads.

The OCR detector costs about a CPU second for a 1280x960 picture, and most evidence photos carry no
text. Legible text -- a generator's "AI生成" mark above all, printed to be read -- is made of thin strokes
in strong contrast with what is around them. This pass finds such strokes at three scales (the picture
and two halvings, so that glyphs from ~8 px to a third of the picture are seen) with a morphological
top-hat and black-hat (bright and dark structures thinner than 7 px at that scale; wider ones -- walls,
windows, shadows -- vanish), marks every 32-px tile where they are dense enough, and returns the
rectangles around groups of marked tiles, one tile wider on every side for context. Only those
rectangles go to the OCR, each at the scale of the picture it came from, so what the detector sees of
the text is what it saw before.

A busy picture (a building's facade, foliage, a patterned cloth) has such strokes nearly everywhere. When
the rectangles cover more than ``confirm_above`` of the picture and more than ``confirm_min_pixels``, the
text detector first looks at a copy of them at half size (a quarter of the cost); only the lines it finds
there, with a margin, are read at full scale. Text at least ~2 % of the picture's short side high is
found at half size; smaller text in the busy part of a large picture may not be (in a quiet part, or in
a picture under ``confirm_min_pixels``, it still is).

Large text in weak contrast (dark letters on a dark background) has strokes too faint for the stroke pass;
the detector finds it on a small copy of the whole picture (long side ``overview_side``, ~0.06 CPU-s),
and the lines it finds there are read at full scale as well.

Cost: about 3-12 ms for a 1280-px picture without text, which is then not read at all (a product on a
plain background, a smooth surface); a busy one adds the half-size detector (~0.25 CPU-s at 1280x960).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Box = tuple[int, int, int, int]  # x0, y0, x1, y1
OcrLine = tuple[str, float, np.ndarray]


class TextRegionConfig(BaseModel):
    """Settings of the stroke pass (the label check's ``text_regions``)."""

    model_config = ConfigDict(extra="forbid")

    #: top-hat / black-hat response (grey levels) from which a pixel counts as a stroke
    stroke_contrast: int = Field(60, ge=1, le=255)
    #: share of stroke pixels from which a tile may hold text
    tile_density: float = Field(0.04, gt=0, lt=1)
    #: tile side in pixels of the picture given (the coarser scales use the same area)
    tile: int = Field(32, ge=8)
    #: scales examined: the picture and ``scales - 1`` halvings
    scales: int = Field(3, ge=1, le=5)
    #: above this share of the picture covered (and ``confirm_min_pixels``), the detector confirms the
    #: rectangles at half size first
    confirm_above: float = Field(0.25, gt=0, le=1)
    confirm_min_pixels: int = Field(400_000, ge=0)
    #: scale of the confirming look (0.5: half size)
    confirm_scale: float = Field(0.5, gt=0, le=1)
    #: margin around a confirmed line, as a multiple of its height (at least one tile)
    confirm_margin: float = Field(0.75, ge=0)
    #: long side (px) of the small copy of the whole picture the detector always looks at (large text)
    overview_side: int = Field(320, ge=64)


_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))


def stroke_tiles(gray: np.ndarray, config: TextRegionConfig) -> np.ndarray:
    """(ty, tx) bool map of the ``config.tile``-px tiles of ``gray`` (uint8) where strokes are dense."""
    h, w = gray.shape
    t0 = config.tile
    ty, tx = -(-h // t0), -(-w // t0)
    marked = np.zeros((ty, tx), bool)
    g = gray
    for level in range(config.scales):
        if min(g.shape) < 8:
            break
        strokes = np.maximum(cv2.morphologyEx(g, cv2.MORPH_TOPHAT, _KERNEL),
                             cv2.morphologyEx(g, cv2.MORPH_BLACKHAT, _KERNEL)) >= config.stroke_contrast
        t = max(4, t0 >> level)  # the same area at this scale
        gh, gw = strokes.shape
        ny, nx = -(-gh // t), -(-gw // t)
        padded = np.zeros((ny * t, nx * t), np.float32)
        padded[:gh, :gw] = strokes
        dense = padded.reshape(ny, t, nx, t).mean(axis=(1, 3)) >= config.tile_density
        my, mx = min(ny, ty), min(nx, tx)
        marked[:my, :mx] |= dense[:my, :mx]
        g = cv2.pyrDown(g)
    return marked


def text_regions(gray: np.ndarray, config: TextRegionConfig | None = None) -> list[Box]:
    """Rectangles of ``gray`` (uint8, pixel coordinates) where text can be; empty when there is none."""
    config = config or TextRegionConfig()
    marked = stroke_tiles(gray, config).astype(np.uint8)
    if not marked.any():
        return []
    grown = cv2.dilate(marked, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    h, w = gray.shape
    t = config.tile
    return [(int(x * t), int(y * t), int(min((x + bw) * t, w)), int(min((y + bh) * t, h)))
            for x, y, bw, bh, _ in stats[1:count]]


def snapped(box: Box, shape: tuple[int, ...], step: int = 32) -> Box:
    """``box`` grown to sides that are multiples of ``step`` where the picture allows: the detector scales
    its input to such sides, so a crop of that size is read at exactly the picture's scale."""
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    x0, x1 = _snap(x0, x1, w, step)
    y0, y1 = _snap(y0, y1, h, step)
    return x0, y0, x1, y1


def _snap(a: int, b: int, size: int, step: int) -> tuple[int, int]:
    want = min(size, -(-(b - a) // step) * step)
    b = min(size, a + want)
    return max(0, b - want), b


def _area(boxes: list[Box]) -> int:
    return sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes)


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Overlapping rectangles joined into their bounding rectangles, until none overlap."""
    out = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return out


def confirmed_regions(rgb: np.ndarray, regions: list[Box], detect: Callable[[np.ndarray], list[np.ndarray]],
                      config: TextRegionConfig, scale: float | None = None) -> list[Box]:
    """Rectangles around the lines the detector finds in ``regions`` of a ``scale`` copy of ``rgb``
    (default ``confirm_scale``)."""
    h, w = rgb.shape[:2]
    f = config.confirm_scale if scale is None else scale
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    sy, sx = small.shape[0] / h, small.shape[1] / w
    out: list[Box] = []
    for x0, y0, x1, y1 in regions:
        a0, b0, a1, b1 = int(x0 * sx), int(y0 * sy), max(int(x0 * sx) + 1, round(x1 * sx)), max(int(y0 * sy) + 1,
                                                                                                    round(y1 * sy))
        for quad in detect(np.ascontiguousarray(small[b0:b1, a0:a1])):
            qx, qy = (quad[:, 0] + a0) / sx, (quad[:, 1] + b0) / sy
            m = max(float(config.tile), config.confirm_margin * float(qy.max() - qy.min()))
            out.append((max(0, int(qx.min() - m)), max(0, int(qy.min() - m)), min(w, int(np.ceil(qx.max() + m))),
                        min(h, int(np.ceil(qy.max() + m)))))
    return merge_boxes(out)


def read_where_text(rgb: np.ndarray, ocr: Callable[[np.ndarray], list[OcrLine]],
                    detect: Callable[[np.ndarray], list[np.ndarray]] | None = None,
                    config: TextRegionConfig | None = None) -> list[OcrLine]:
    """``ocr`` (boxes in the coordinates of its input) of the text regions of ``rgb`` only.

    Each region is read on its own crop; the quadrilaterals come back in ``rgb``'s coordinates. When the
    regions cover more than ``confirm_above`` of the picture and ``detect`` (text-line quadrilaterals of
    its input) is given, only the lines it finds at ``confirm_scale`` are read.
    """
    config = config or TextRegionConfig()
    if rgb.size == 0:
        return []
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    regions = text_regions(gray, config)
    if detect is not None:
        area = _area(regions)
        if area > config.confirm_above * gray.size and area > config.confirm_min_pixels:
            regions = confirmed_regions(rgb, regions, detect, config)
        h, w = gray.shape
        overview = min(1.0, config.overview_side / max(h, w))
        if overview < 1.0 and _area(regions) < gray.size:
            regions = merge_boxes(regions + confirmed_regions(rgb, [(0, 0, w, h)], detect, config, overview))
    out: list[OcrLine] = []
    for x0, y0, x1, y1 in (snapped(b, gray.shape) for b in regions):
        for text, conf, quad in ocr(np.ascontiguousarray(rgb[y0:y1, x0:x1])):
            out.append((text, conf, quad + np.array([x0, y0], dtype=np.float64)))
    return out
