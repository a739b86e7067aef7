"""Window means and connected regions of the cue maps, with OpenCV (no SciPy import for the tamper check).

The cue maps are small (one value per 8-32 px cell) and the tamper check runs on every claim photo: SciPy's
``ndimage`` costs ~0.2 CPU-s to import, more than the whole analysis of a small photo. These functions give
the numbers ``scipy.ndimage`` gave (``uniform_filter`` with ``mode="nearest"`` or ``"constant"``, the same
window placement for even sizes; ``binary_closing`` with its default cross and zero border; ``label`` with
8-connectivity and labels in raster order of their first pixel), to float32 rounding: OpenCV keeps the
intermediate sums in double, SciPy rounds them to float32 between the two axes.
"""

from __future__ import annotations

import cv2
import numpy as np

_BORDERS = {"nearest": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT}
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def box_mean(a: np.ndarray, size: int, mode: str = "nearest") -> np.ndarray:
    """Mean over the ``size`` x ``size`` window around each entry of a (H, W) or (H, W, C) array (C: separate
    maps, filtered one by one), as ``scipy.ndimage.uniform_filter(a, (size, size[, 1]), mode=mode)``; float32 or
    float64 out as in, other dtypes as float32."""
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float32)
    if a.size == 0 or size <= 1:
        return a.copy()
    if a.ndim == 3 and a.shape[2] > 4:  # OpenCV filters up to 4 channels at once in every build: map by map
        return np.stack([box_mean(np.ascontiguousarray(a[..., c]), size, mode) for c in range(a.shape[2])], axis=2)
    out = cv2.blur(np.ascontiguousarray(a), (size, size), borderType=_BORDERS[mode])
    return out.reshape(a.shape)


def window_sum(a: np.ndarray, size: int, axes: tuple[int, ...]) -> np.ndarray:
    """Sum over ``size`` neighbours along each of ``axes`` of an array of any rank, zeros outside, the window
    placed as SciPy places it (``size // 2`` before, the rest after): ``uniform_filter(a, ..., mode="constant")``
    times the window's size along those axes."""
    out = a
    for axis in axes:
        n = out.shape[axis]
        acc = out.copy()
        for k in range(-(size // 2), size - size // 2):
            if k == 0 or abs(k) >= n:
                continue
            dst: list[slice] = [slice(None)] * out.ndim
            src: list[slice] = [slice(None)] * out.ndim
            dst[axis], src[axis] = (slice(0, n - k), slice(k, n)) if k > 0 else (slice(-k, n), slice(0, n + k))
            acc[tuple(dst)] += out[tuple(src)]
        out = acc
    return out


def window_sum_inplace(a: np.ndarray, size: int, axis: int) -> None:
    """:func:`window_sum` along one axis, written over ``a`` (the same additions in the same order, without a
    second array of ``a``'s size: the originals of the ``size // 2`` slices before are kept aside)."""
    before, n = size // 2, a.shape[axis]
    view = np.moveaxis(a, axis, 0)
    kept: list[np.ndarray] = []  # originals of the slices before the current one, oldest first
    for i in range(n):
        original = view[i].copy()
        for k in range(-before, 0):
            if i + k >= 0 and len(kept) >= -k:
                view[i] += kept[len(kept) + k]
        for k in range(1, size - before):
            if i + k < n:
                view[i] += view[i + k]
        kept.append(original)
        if len(kept) > before:
            kept.pop(0)


def closed(mask: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.binary_closing(mask)``: dilation then erosion by the 3x3 cross, with the outside 0 (so
    the border ring of the result is always off, as SciPy's)."""
    m = np.ascontiguousarray(mask, dtype=np.uint8)
    grown = cv2.dilate(m, _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.erode(grown, _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)


def components(mask: np.ndarray) -> list[tuple[np.ndarray, tuple[slice, slice]]]:
    """The 8-connected regions of ``mask``: each one's mask and bounding slices (rows, columns), in raster
    order of their first pixel (``scipy.ndimage.label`` with a 3x3 structure, then ``find_objects``)."""
    if not mask.any():
        return []
    _, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(mask, dtype=np.uint8),
                                                            connectivity=8)
    ids, first = np.unique(labels, return_index=True)
    out = []
    for idx in (int(i) for i in ids[np.argsort(first)] if i != 0):
        x, y, w, h = (int(v) for v in stats[idx, :4])
        out.append((labels == idx, (slice(y, y + h), slice(x, x + w))))
    return out
