"""The stroke pass that decides where the OCR reads."""

from __future__ import annotations

import numpy as np

from refundguard.checks._text_regions import TextRegionConfig, merge_boxes, read_where_text, snapped, text_regions
from tests.helpers_text import draw_label


def test_plain_pictures_have_no_text_regions_and_are_not_read():
    flat = np.full((600, 800, 3), 140, np.uint8)
    y, x = np.mgrid[0:600, 0:800]
    smooth = np.stack([x * 255 // 800, y * 255 // 600, (x + y) * 255 // 1400], -1).astype(np.uint8)
    calls = []
    for rgb in (flat, smooth):
        assert text_regions(rgb[..., 0]) == []
        assert read_where_text(rgb, lambda crop: calls.append(crop.shape) or []) == []
    assert calls == []


def test_a_label_is_inside_a_region_and_read_at_its_own_scale():
    base = np.full((720, 1280, 3), 90, np.uint8)
    marked, box = draw_label(base, "AI生成", height_frac=0.03, where="bottom-right")
    regions = text_regions(marked[..., 1])
    assert any(x0 <= box.x and y0 <= box.y and x1 >= box.x + box.w and y1 >= box.y + box.h
               for x0, y0, x1, y1 in regions)
    crops = []

    def ocr(crop):
        crops.append(crop.shape)
        return [("AI生成", 0.9, np.array([[1.0, 2.0], [5.0, 2.0], [5.0, 6.0], [1.0, 6.0]]))]

    lines = read_where_text(marked, ocr)
    assert crops and all(h % 32 == 0 and w % 32 == 0 for h, w, _ in crops)  # no rescaling by the detector
    assert sum(h * w for h, w, _ in crops) < 0.25 * marked.shape[0] * marked.shape[1]
    assert all(q[:, 0].min() >= 0 for _, _, q in lines)


def test_busy_pictures_are_confirmed_at_half_size_first():
    rng = np.random.default_rng(0)
    busy = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    seen = []

    def detect(crop):
        seen.append(crop.shape)
        return [np.array([[100.0, 100.0], [160.0, 100.0], [160.0, 120.0], [100.0, 120.0]])]

    crops = []
    read_where_text(busy, lambda c: crops.append(c.shape) or [], detect, TextRegionConfig(confirm_min_pixels=0))
    assert seen and max(h for h, _, _ in seen) <= 240 + 1  # the detector saw the half-size copy
    assert len(crops) == 1 and crops[0][0] * crops[0][1] < 0.2 * busy.shape[0] * busy.shape[1]


def test_box_helpers():
    assert snapped((10, 10, 50, 40), (400, 600)) == (10, 10, 74, 42)
    assert snapped((590, 380, 600, 400), (400, 600)) == (568, 368, 600, 400)
    assert merge_boxes([(0, 0, 10, 10), (5, 5, 20, 20), (30, 30, 40, 40)]) == [(0, 0, 20, 20), (30, 30, 40, 40)]
