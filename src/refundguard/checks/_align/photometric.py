"""Robust colour normalisation of a warped reference to the claim (undoes colour filters)."""

from __future__ import annotations

import cv2
import numpy as np

SAMPLES = 30000


def _design(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel regressors: a full colour mix, per-channel squares (gamma/curves) and a constant."""
    return np.concatenate([rgb, rgb * rgb, np.ones((rgb.shape[0], 1), np.float32)], axis=1)


def fit_colour(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, iterations: int = 4) -> np.ndarray:
    """Fit ``claim ~ ref @ A`` robustly over the area both photos cover.

    Parameters
    ----------
    claim, ref : (h, w, 3) float32 in [0, 1], aligned.
    valid : (h, w) bool, pixels where the reference covers the claim.
    iterations : reweighting rounds; pixels whose residual exceeds 3 robust sigmas (edits, occluders)
        are dropped from the next fit.

    Returns
    -------
    (7, 3) float64 coefficient matrix for :func:`apply_colour`.
    """
    ys, xs = np.nonzero(valid)
    if len(ys) < 50:
        return np.vstack([np.eye(3), np.zeros((3, 3)), np.zeros((1, 3))])
    rng = np.random.default_rng(0)
    pick = rng.choice(len(ys), size=min(SAMPLES, len(ys)), replace=False)
    x = _design(ref[ys[pick], xs[pick]].astype(np.float32)).astype(np.float64)
    y = claim[ys[pick], xs[pick]].astype(np.float64)
    keep = np.ones(len(y), bool)
    coef = np.vstack([np.eye(3), np.zeros((3, 3)), np.zeros((1, 3))])
    for _ in range(iterations):
        if keep.sum() < 20:
            break
        coef, *_ = np.linalg.lstsq(x[keep], y[keep], rcond=None)
        resid = np.abs(y - x @ coef).max(axis=1)
        sigma = 1.4826 * float(np.median(resid[keep])) + 1e-3
        keep = resid < max(3.0 * sigma, 0.01)
    return coef


def apply_colour(ref: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Apply a colour model from :func:`fit_colour` to an (h, w, 3) image; result clipped to [0, 1].

    Computed as two OpenCV channel transforms (linear part with the constant, then the squares), the same
    numbers as ``[rgb, rgb**2, 1] @ coef`` without building the (h*w, 7) design matrix.
    """
    img = np.ascontiguousarray(ref, dtype=np.float32)
    c = coef.astype(np.float32)
    linear = np.hstack([c[0:3].T, c[6:7].T])  # 3 x 4: out_k = sum_j A[j, k] x_j + b_k
    out = cv2.transform(img, linear) + cv2.transform(img * img, np.ascontiguousarray(c[3:6].T))
    return np.clip(out, 0.0, 1.0)
