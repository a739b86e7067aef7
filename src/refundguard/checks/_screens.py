"""Screenshot cues: native pixel sizes of common screens, and a detector for a status bar at the top.

Sizes are stored as ``(short side, long side)``; a screenshot may be portrait or landscape. The table
favours the phones most used in China (Huawei, Honor, Xiaomi/Redmi, OPPO/OnePlus/realme, vivo/iQOO)
and iPhones, plus the usual desktop and laptop resolutions. A size in this table is never evidence on
its own: cameras and messaging apps also produce 1920×1080 or 1024×768 images.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: name of a device family -> native sizes (short, long)
SCREEN_SIZES: dict[str, tuple[tuple[int, int], ...]] = {
    "iPhone": (
        (640, 1136), (750, 1334), (1080, 1920), (1242, 2208), (1125, 2436), (828, 1792), (1242, 2688),
        (1080, 2340), (1170, 2532), (1284, 2778), (1179, 2556), (1290, 2796), (1206, 2622), (1320, 2868),
        (1260, 2736),
    ),
    "iPad": (
        (768, 1024), (1536, 2048), (1620, 2160), (1640, 2360), (1668, 2224), (1668, 2388), (2048, 2732),
        (1488, 2266), (1640, 2420), (1668, 2420), (2064, 2752),
    ),
    "Huawei/Honor": (
        (720, 1560), (720, 1600), (1080, 2244), (1080, 2340), (1080, 2376), (1080, 2400), (1084, 2412),
        (1176, 2400), (1200, 2640), (1212, 2616), (1216, 2688), (1220, 2700), (1224, 2700), (1228, 2700),
        (1260, 2720), (1256, 2760), (1264, 2800), (1280, 2800), (1344, 2772), (1440, 3120), (2224, 2496),
        (2200, 2480), (1200, 1920), (1600, 2560), (1840, 2800),
    ),
    "Xiaomi/Redmi": (
        (720, 1600), (720, 1650), (1080, 2340), (1080, 2400), (1080, 2460), (1220, 2712), (1200, 2670),
        (1440, 3200), (1440, 3120), (1256, 2772), (1260, 2800), (1800, 2880), (1600, 2560), (1920, 2880),
        (2200, 2480),
    ),
    "OPPO/OnePlus/realme": (
        (720, 1604), (1080, 2400), (1080, 2412), (1240, 2772), (1264, 2780), (1440, 3168), (1440, 3216),
        (1272, 2800), (1256, 2760), (1800, 2880), (2000, 2800),
    ),
    "vivo/iQOO": (
        (720, 1612), (1080, 2376), (1080, 2400), (1080, 2408), (1260, 2800), (1440, 3200), (2200, 2480),
        (1968, 2800),
    ),
    "Samsung/Google/other Android": (
        (720, 1280), (720, 1520), (1080, 2160), (1080, 2220), (1080, 2280), (1080, 2310), (1440, 2560),
        (1440, 2960), (1440, 3040), (1440, 3088), (1080, 2424), (1280, 2856), (1344, 2992), (1440, 3120),
        (1080, 2640), (1116, 2484), (1856, 2160), (2076, 2152),
    ),
    "desktop/laptop": (
        (768, 1024), (720, 1280), (800, 1280), (768, 1366), (900, 1440), (864, 1536), (900, 1600),
        (1050, 1680), (1080, 1920), (1200, 1920), (1440, 2560), (1600, 2560), (1664, 2560), (1800, 2880),
        (1964, 3024), (2234, 3456), (1504, 2256), (1824, 2736), (1920, 2880), (2000, 3000), (2160, 3840),
        (1080, 2560), (1440, 3440), (1912, 2940), (1692, 2880), (1260, 2240), (2560, 5120),
    ),
}

_LOOKUP: dict[tuple[int, int], str] = {}
for _family, _sizes in SCREEN_SIZES.items():
    for _size in _sizes:
        _LOOKUP.setdefault(_size, _family)


#: screen sizes that are also everyday photo / video-frame sizes (4:3 and 16:9 resizes): weak on their own
COMMON_PHOTO_SIZES: frozenset[tuple[int, int]] = frozenset({
    (768, 1024), (720, 1280), (1080, 1920), (1536, 2048), (2160, 3840), (900, 1600), (1440, 2560), (1200, 1600)})


def is_common_photo_size(width: int, height: int) -> bool:
    """Whether the size is also a common resize of camera photos or video frames."""
    return (min(width, height), max(width, height)) in COMMON_PHOTO_SIZES


def screen_family(width: int, height: int) -> str | None:
    """The device family whose native screen is exactly ``width`` × ``height`` (either orientation), or None."""
    key = (min(width, height), max(width, height))
    return _LOOKUP.get(key)


# ------------------------------------------------------------------------------------ status bar detector

@dataclass(frozen=True, slots=True)
class StatusBar:
    """A status/menu bar found at the top of an image: its height in pixels and what was measured."""

    height: int
    background: tuple[int, int, int]
    uniform_fraction: float
    glyph_fraction: float
    glyphs: int


def detect_status_bar(pixels: np.ndarray) -> StatusBar | None:
    """Find a screen's status bar (or a desktop menu bar) in the top band of an image.

    A status bar is a band of one flat colour carrying a few small, sharp, high-contrast glyphs (the
    clock on one side, signal/battery icons on the other). Camera photos have sensor noise and smooth
    gradients, so their top band is rarely flat to within a few grey levels *and* dotted with
    small sharp marks on both sides.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB image. Only the top ~3 % of rows is read.

    Returns
    -------
    StatusBar or None
        The band's measurements when it looks like a status bar, else None.
    """
    h, w = pixels.shape[:2]
    if min(h, w) < 320 or max(h, w) < 480:  # smaller than any screen in the table
        return None
    band_h = max(12, round(0.03 * h))
    band = pixels[:band_h].astype(np.int16)
    background = np.median(band.reshape(-1, 3), axis=0).astype(np.int16)
    dist = np.abs(band - background).max(axis=2)
    uniform = float((dist <= 10).mean())
    glyph_mask = dist >= 60
    glyph = float(glyph_mask.mean())
    middle = float(((dist > 10) & (dist < 60)).mean())
    if uniform < 0.75 or not 0.004 <= glyph <= 0.2 or middle > 2.5 * glyph + 0.02:
        return None
    cols = glyph_mask.any(axis=0)
    third = w // 3
    if not (cols[:third].any() and cols[-third:].any()):
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(glyph_mask.astype(np.uint8), connectivity=8)
    comps = stats[1:]
    if len(comps) < 3:
        return None
    # glyphs are small: none spans a large part of the width, and they do not touch both band edges
    widest = int(comps[:, cv2.CC_STAT_WIDTH].max())
    if widest > 0.25 * w:
        return None
    return StatusBar(height=band_h, background=(int(background[0]), int(background[1]), int(background[2])),
                     uniform_fraction=round(uniform, 3), glyph_fraction=round(glyph, 4), glyphs=int(count - 1))
