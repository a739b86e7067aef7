"""Global appearance similarity, for "does this photo show the same kind of product at all?"."""

from __future__ import annotations

import cv2
import numpy as np


def colour_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram correlation of two RGB float images in [0, 1] (1 = same colour distribution).

    Hue/saturation histograms are compared for colourful photos, luminance histograms for grey ones,
    so a grey product photographed under other light still scores as similar.
    """
    def hists(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        u8 = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
        hsv = cv2.cvtColor(u8, cv2.COLOR_RGB2HSV)
        hs = cv2.calcHist([hsv], [0, 1], None, [18, 8], [0, 180, 0, 256])
        lum = cv2.calcHist([hsv], [2], None, [16], [0, 256])
        cv2.normalize(hs, hs, 1.0, 0.0, cv2.NORM_L1)
        cv2.normalize(lum, lum, 1.0, 0.0, cv2.NORM_L1)
        return hs, lum, float(hsv[:, :, 1].mean()) / 255.0

    hs_a, lum_a, sat_a = hists(a)
    hs_b, lum_b, sat_b = hists(b)
    lum = 1.0 - cv2.compareHist(lum_a, lum_b, cv2.HISTCMP_BHATTACHARYYA)
    if max(sat_a, sat_b) < 0.12:
        return float(np.clip(lum, 0.0, 1.0))
    hs = 1.0 - cv2.compareHist(hs_a, hs_b, cv2.HISTCMP_BHATTACHARYYA)
    return float(np.clip(0.7 * hs + 0.3 * lum, 0.0, 1.0))
