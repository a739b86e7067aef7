"""Map arrays and boxes from a file's stored pixel frame to the displayed (EXIF-oriented) frame.

JPEG grids live in the stored frame, while reports use the displayed one (``LoadedImage.pixels``).
The eight EXIF orientations follow Pillow's ``ImageOps.exif_transpose``.
"""

from __future__ import annotations

import numpy as np


def orient_array(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF ``orientation`` (1-8) to a 2-D array in the stored frame."""
    ops = {
        1: lambda x: x,
        2: lambda x: x[:, ::-1],
        3: lambda x: x[::-1, ::-1],
        4: lambda x: x[::-1, :],
        5: lambda x: x.T,
        6: lambda x: np.rot90(x, k=-1),
        7: lambda x: np.rot90(x, k=2).T,
        8: lambda x: np.rot90(x, k=1),
    }
    return np.ascontiguousarray(ops.get(orientation, ops[1])(a))


def orient_box(box: tuple[float, float, float, float], orientation: int, width: int,
               height: int) -> tuple[float, float, float, float]:
    """Map a box ``(x, y, w, h)`` of a stored image of ``width`` x ``height`` to the displayed frame."""
    x0, y0, w, h = box
    x1, y1 = x0 + w, y0 + h
    maps = {
        1: lambda x, y: (x, y),
        2: lambda x, y: (width - x, y),
        3: lambda x, y: (width - x, height - y),
        4: lambda x, y: (x, height - y),
        5: lambda x, y: (y, x),
        6: lambda x, y: (height - y, x),
        7: lambda x, y: (height - y, width - x),
        8: lambda x, y: (y, width - x),
    }
    f = maps.get(orientation, maps[1])
    (ax, ay), (bx, by) = f(x0, y0), f(x1, y1)
    return min(ax, bx), min(ay, by), abs(bx - ax), abs(by - ay)


#: the orientation that undoes each orientation.
INVERSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}


def unorient_array(a: np.ndarray, orientation: int) -> np.ndarray:
    """Map a 2-D array from the displayed frame back to the stored frame."""
    return orient_array(a, INVERSE.get(orientation, 1))
