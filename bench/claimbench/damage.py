"""Procedural damage for claimbench: cracks, shatter, stains, tears, dents, and pasted real defects.

Every function takes an RGB uint8 image and a ``numpy.random.Generator`` and returns
``(damaged_image, mask)`` where ``mask`` is a bool array of the changed pixels. Damage is blended
multiplicatively against the local brightness, with a highlight on the side facing a light direction,
so it follows the photo's lighting instead of being painted flat on top::

    from bench.claimbench.damage import add_crack
    damaged, mask = add_crack(image, np.random.default_rng(7))
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Damage = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _f(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


def _u8(img: np.ndarray) -> np.ndarray:
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _side(img: np.ndarray) -> int:
    return int(min(img.shape[:2]))


def _point(img: np.ndarray, rng: np.random.Generator, margin: float = 0.2) -> np.ndarray:
    h, w = img.shape[:2]
    return np.array([rng.uniform(margin * w, (1 - margin) * w), rng.uniform(margin * h, (1 - margin) * h)])


def _walk(start: np.ndarray, angle: float, length: float, step: float, rng: np.random.Generator,
          wiggle: float = 0.35) -> np.ndarray:
    """A jagged random-walk polyline (float32 (n, 2)) from ``start`` heading ``angle``."""
    pts = [start.astype(np.float64)]
    for _ in range(max(2, int(length / step))):
        angle += rng.normal(0.0, wiggle)
        pts.append(pts[-1] + step * np.array([np.cos(angle), np.sin(angle)]))
    return np.array(pts, np.float32)


def _draw(canvas: np.ndarray, line: np.ndarray, thickness: int) -> None:
    cv2.polylines(canvas, [np.round(line * 4).astype(np.int32)], False, 1.0, thickness=max(1, thickness),
                  lineType=cv2.LINE_AA, shift=2)


def _shade_lines(img: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, depth: float) -> np.ndarray:
    """Blend a line mask as a fissure: a dark core, a lit lip towards the light, local grain."""
    f = _f(img)
    light = rng.uniform(0, 2 * np.pi)
    dx, dy = np.cos(light), np.sin(light)
    m = np.float32([[1, 0, dx * 1.2], [0, 1, dy * 1.2]])
    lip = cv2.warpAffine(alpha, m, (alpha.shape[1], alpha.shape[0])) * (1 - alpha)
    grain = 1.0 + rng.normal(0.0, 0.06, alpha.shape).astype(np.float32)
    dark = 1.0 - depth * alpha * grain
    out = f * dark[:, :, None] + (0.35 * lip * (1.0 - f.mean(axis=2)))[:, :, None]
    return _u8(out)


def _mask_from(alpha: np.ndarray, level: float = 0.12, grow: int = 1) -> np.ndarray:
    m = (alpha > level).astype(np.uint8)
    if grow:
        m = cv2.dilate(m, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return m.astype(bool)


def _visible(img: np.ndarray, out: np.ndarray, mask: np.ndarray, level: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Restrict a damage mask to where the photo visibly changed (a stain on black changes nothing)."""
    diff = np.abs(out.astype(np.float32) - img.astype(np.float32)).max(axis=2)
    seen = cv2.GaussianBlur(diff, (0, 0), 1.0) > level
    seen = cv2.morphologyEx(seen.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)
    return out, mask & seen


def add_crack(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A branching hairline-to-wide crack across part of the object."""
    side = _side(img)
    alpha = np.zeros(img.shape[:2], np.float32)
    thick = max(1, round(side * rng.uniform(0.003, 0.008)))
    trunk = _walk(_point(img, rng), rng.uniform(0, 2 * np.pi), side * rng.uniform(0.25, 0.5), side * 0.012, rng)
    _draw(alpha, trunk, thick)
    for _ in range(int(rng.integers(1, 4))):
        at = trunk[int(rng.integers(len(trunk) // 4, len(trunk)))]
        branch = _walk(at, rng.uniform(0, 2 * np.pi), side * rng.uniform(0.06, 0.2), side * 0.01, rng)
        _draw(alpha, branch, max(1, thick - 1))
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6)
    return _visible(img, _shade_lines(img, alpha, rng, depth=rng.uniform(0.55, 0.85)), _mask_from(alpha))


def add_shatter(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An impact point with radial cracks and broken concentric rings (glass, screens, ceramics)."""
    side = _side(img)
    alpha = np.zeros(img.shape[:2], np.float32)
    centre = _point(img, rng, 0.3)
    radius = side * rng.uniform(0.12, 0.25)
    thick = max(1, round(side * 0.003))
    n = int(rng.integers(6, 12))
    for k in range(n):
        angle = 2 * np.pi * k / n + rng.normal(0, 0.15)
        _draw(alpha, _walk(centre, angle, radius * rng.uniform(0.6, 1.2), side * 0.01, rng, 0.15), thick)
    for ring in range(int(rng.integers(1, 3))):
        r = radius * (0.3 + 0.3 * ring) * rng.uniform(0.8, 1.1)
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        poly = np.stack([centre[0] + r * np.cos(angles), centre[1] + r * np.sin(angles)], 1).astype(np.float32)
        for a, b in zip(poly, np.roll(poly, -1, 0), strict=True):
            if rng.random() < 0.7:
                _draw(alpha, np.stack([a, b]), thick)
    cv2.circle(alpha, tuple(int(v) for v in centre), max(2, int(side * 0.01)), 1.0, -1, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6)
    return _visible(img, _shade_lines(img, alpha, rng, depth=rng.uniform(0.5, 0.8)), _mask_from(alpha))


def _blob(shape: tuple[int, int], centre: np.ndarray, radius: float, rng: np.random.Generator) -> np.ndarray:
    """An irregular soft blob (float32 in [0, 1]) from thresholded smooth noise inside an ellipse."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ax = radius * rng.uniform(0.7, 1.3)
    ay = radius * rng.uniform(0.7, 1.3)
    ell = 1.0 - np.sqrt(((xx - centre[0]) / ax) ** 2 + ((yy - centre[1]) / ay) ** 2)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), radius * 0.25)
    noise /= noise.std() + 1e-6
    field = ell + 0.25 * noise
    return np.clip(field * 6.0, 0.0, 1.0)


def add_stain(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A liquid stain: a tinted translucent blob with a darker drying ring."""
    side = _side(img)
    blob = _blob(img.shape[:2], _point(img, rng), side * rng.uniform(0.06, 0.16), rng)
    blob = cv2.GaussianBlur(blob, (0, 0), 1.5)
    ring = np.clip(blob * (1 - blob) * 4.0, 0, 1)
    tint = np.array(rng.choice([[0.55, 0.35, 0.15], [0.3, 0.25, 0.2], [0.6, 0.5, 0.2], [0.45, 0.1, 0.1]]),
                    np.float32)
    strength = rng.uniform(0.45, 0.75)
    a = (strength * blob + 0.3 * ring)[:, :, None]
    f = _f(img)
    out = f * (1 - a) + f * tint * a
    return _visible(img, _u8(out), _mask_from(a[:, :, 0], 0.08, 0))


def add_tear(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A torn hole: a jagged opening showing a dark shaded interior, with a frayed bright edge."""
    side = _side(img)
    h, w = img.shape[:2]
    centre = _point(img, rng)
    n = 24
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = side * rng.uniform(0.04, 0.1) * rng.uniform(0.5, 1.5, n) * np.array([rng.uniform(1.0, 2.2), 1.0])[
        np.arange(n) % 2]
    poly = np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], 1)
    hole = np.zeros((h, w), np.float32)
    cv2.fillPoly(hole, [np.round(poly).astype(np.int32)], 1.0, cv2.LINE_AA)
    edge = cv2.dilate(hole, np.ones((5, 5), np.uint8)) - hole
    f = _f(img)
    yy = (np.mgrid[0:h, 0:w][0].astype(np.float32) - centre[1]) / max(1.0, float(radius.max()))
    interior = (0.12 + 0.1 * np.clip(yy, -1, 1))[:, :, None] * np.array([1.0, 0.95, 0.9], np.float32)
    interior = interior + rng.normal(0, 0.02, (h, w, 1)).astype(np.float32)
    a = cv2.GaussianBlur(hole, (0, 0), 0.8)[:, :, None]
    out = f * (1 - a) + interior * a
    e = cv2.GaussianBlur(edge, (0, 0), 0.8)[:, :, None] * rng.uniform(0.4, 0.7)
    out = out * (1 - e) + 0.92 * e
    return _visible(img, _u8(out), _mask_from(np.maximum(a[:, :, 0], e[:, :, 0]), 0.1, 1))


def add_dent(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A dent: a smooth depression lit from one side (shading from the slope of a Gaussian bump)."""
    side = _side(img)
    h, w = img.shape[:2]
    c = _point(img, rng)
    sx, sy = side * rng.uniform(0.04, 0.1), side * rng.uniform(0.04, 0.1)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-(((xx - c[0]) / sx) ** 2 + ((yy - c[1]) / sy) ** 2) / 2.0)
    gy, gx = np.gradient(bump)
    light = rng.uniform(0, 2 * np.pi)
    shade = (np.cos(light) * gx + np.sin(light) * gy) * min(sx, sy)
    shade = shade / (np.abs(shade).max() + 1e-6) * rng.uniform(0.35, 0.55)
    crease = bump * rng.uniform(0.15, 0.3)
    factor = np.clip(1.0 + shade - crease, 0.2, 1.8)[:, :, None]
    out = _f(img) * factor
    change = np.abs(factor[:, :, 0] - 1.0)
    return _visible(img, _u8(out), _mask_from(change, 0.03, 0))


def paste_defect(img: np.ndarray, rng: np.random.Generator, defect: np.ndarray,
                 defect_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paste a real defect (a crop of a photographed crack/break with its pixel mask) into ``img``.

    The defect is transferred as a brightness *ratio* against its own surroundings, so it darkens and
    lightens the target surface the way it did the original one, at the target's lighting and colour.
    """
    ys, xs = np.nonzero(defect_mask)
    if len(ys) == 0:
        raise ValueError("defect mask is empty")
    pad = 6
    y0, y1 = max(0, ys.min() - pad), min(defect_mask.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(defect_mask.shape[1], xs.max() + pad + 1)
    gray = defect.astype(np.float32)
    if gray.ndim == 3:
        gray = gray.mean(axis=2)
    background = cv2.medianBlur(np.clip(gray, 0, 255).astype(np.uint8), 21).astype(np.float32) + 1.0
    ratio = ((gray + 1.0) / background)[y0:y1, x0:x1]
    m = (defect_mask[y0:y1, x0:x1] > 0).astype(np.float32)
    side = _side(img)
    target = side * rng.uniform(0.15, 0.3)
    s = target / max(m.shape)
    size = (max(4, round(m.shape[1] * s)), max(4, round(m.shape[0] * s)))
    ratio = cv2.resize(ratio, size, interpolation=cv2.INTER_LINEAR)
    m = cv2.resize(m, size, interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        ratio, m = ratio.T.copy(), m.T.copy()
    m = cv2.GaussianBlur(cv2.dilate(m, np.ones((3, 3), np.uint8)), (0, 0), 1.0)
    h, w = img.shape[:2]
    ph, pw = m.shape
    if ph >= h or pw >= w:
        raise ValueError("defect larger than the image")
    y = int(rng.integers(int(0.15 * (h - ph)), int(0.85 * (h - ph)) + 1))
    x = int(rng.integers(int(0.15 * (w - pw)), int(0.85 * (w - pw)) + 1))
    f = _f(img)
    region = f[y:y + ph, x:x + pw]
    factor = 1.0 + (np.clip(ratio, 0.05, 2.0) - 1.0) * 1.3 * m
    f[y:y + ph, x:x + pw] = region * factor[:, :, None]
    out = _u8(f)
    mask = np.zeros((h, w), bool)
    mask[y:y + ph, x:x + pw] = (np.abs(factor - 1.0) > 0.06) & (m > 0.2)
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
    return _visible(img, out, mask)


#: the procedural damage kinds by name
PROCEDURAL: dict[str, Damage] = {"crack": add_crack, "shatter": add_shatter, "stain": add_stain,
                                 "tear": add_tear, "dent": add_dent}
