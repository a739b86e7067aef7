"""Match the sharpness of the aligned pair before differencing.

A copy that was resized, rotated or re-sent through a messaging app was resampled once more than the
reference, and the warp of the reference resamples it once too: their fine texture differs by a small
blur, in proportion to the texture, which is laundering and not an edit. A sharpened copy is the
opposite case. The blur that best explains the difference over the pixels used for statistics is
applied to the sharper of the two (Gaussian sigma from :data:`SIGMAS`, or none), so the residual that
remains is what laundering did *not* explain.
"""

from __future__ import annotations

import cv2
import numpy as np

SIGMAS = (0.35, 0.5, 0.7, 0.9, 1.2)
SAMPLES = 40000


def match_sharpness(claim: np.ndarray, ref: np.ndarray, stats: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, float]:
    """Blur the sharper of ``claim`` / ``ref`` ((h, w, 3) float32) by the sigma that best aligns their detail.

    Returns the two images and the signed sigma applied (> 0: the reference was blurred, < 0: the claim,
    0: neither).
    """
    ys, xs = np.nonzero(stats)
    if len(ys) < 200:
        return claim, ref, 0.0
    if len(ys) > SAMPLES:
        pick = np.random.default_rng(1).choice(len(ys), size=SAMPLES, replace=False)
        ys, xs = ys[pick], xs[pick]
    cg = cv2.cvtColor(claim, cv2.COLOR_RGB2GRAY)
    rg = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)

    def cost(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(np.abs(a[ys, xs] - b[ys, xs])))

    best, best_sigma = cost(cg, rg), 0.0
    for sigma in SIGMAS:
        c_ref = cost(cg, cv2.GaussianBlur(rg, (0, 0), sigma))
        if c_ref < best:
            best, best_sigma = c_ref, sigma
        c_claim = cost(cv2.GaussianBlur(cg, (0, 0), sigma), rg)
        if c_claim < best:
            best, best_sigma = c_claim, -sigma
    if best_sigma > 0:
        return claim, cv2.GaussianBlur(ref, (0, 0), best_sigma), best_sigma
    if best_sigma < 0:
        return cv2.GaussianBlur(claim, (0, 0), -best_sigma), ref, best_sigma
    return claim, ref, 0.0
