"""What one photo shows that the other lacks at the corresponding place.

View Y is brought into view X's frame with the homography of each matched surface, normalised
photometrically (gain and offset fitted over the overlap, light blur against JPEG noise; the sharper
view is blurred to the other's resolution), and reduced to gradient magnitude. Structure in X is
*explained* when, for at least one surface, Y has comparable structure within a few pixels (the
tolerance absorbs small misalignment and resampling blur). Unexplained structure forms a candidate;
it counts only when the ring of surface around it is explained (the surrounding surface obeys the
transform while the candidate does not) and when it cannot be found anywhere along its epipolar line
(a point off the matched surfaces moves along that line, never across it). Misaligned areas
(parallax, occlusion) fail these tests and are ignored rather than accused. A candidate that X
brightens towards white without darkening anywhere is a specular highlight that moved with the
viewpoint, not damage.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: displacement (working pixels) within which matching structure explains a gradient
TOLERANCE = 3
#: structure must exceed this multiple of the other view's nearby structure to be unexplained
EXCESS = 1.6
#: a candidate counts when at least this fraction of its structure is unexplained …
BLOB_UNEXPLAINED = 0.35
#: … while at most this fraction of its surrounding ring's structure is unexplained …
RING_UNEXPLAINED = 0.25
#: … and its strongest unexplained gradient is at least this multiple of the object's typical gradient
MIN_CONTRAST = 0.8
#: a candidate found again along its epipolar line with this gradient correlation is parallax
PARALLAX_NCC = 0.75
#: a candidate that X lifts this fraction of the way from its surrounding brightness to white …
HIGHLIGHT_LIFT = 0.45
#: … while darkening nowhere by more than this fraction of the way to black is a specular highlight that
#: moved with the viewpoint, not damage (cracks, stains and tears darken)
HIGHLIGHT_MAX_DARKENING = 0.15


@dataclass(frozen=True)
class Aligned:
    """View Y brought into view X's frame, and the structure of X that Y does not explain."""

    blur_x: np.ndarray  # X, lightly blurred (float32)
    grad_x: np.ndarray
    warped_y: np.ndarray  # Y warped by the dominant surface's homography, blurred, brightness matched
    grad_y: np.ndarray  # gradient of ``warped_y``
    extra: np.ndarray  # structure in X that Y lacks nearby (minimum over the surfaces)
    overlap: np.ndarray  # bool: compared area (both views valid, inside the matched object)
    scale: float  # typical gradient magnitude of the object (90th percentile)


@dataclass(frozen=True)
class Anomaly:
    """Structure that view X shows and view Y lacks at the corresponding place.

    ``box`` is (x, y, w, h) in X's working frame.
    """

    box: tuple[int, int, int, int]
    unexplained: float  # fraction of the candidate's structure the other view lacks
    ring: float  # fraction of the surrounding surface's structure that is unexplained
    contrast: float  # strongest unexplained structure relative to the object's typical gradient
    parallax_ncc: float = 0.0  # best agreement found along the epipolar line
    lift: float = 0.0  # X's brightening of the candidate over its ring towards white, when it nowhere darkens

    def to_dict(self) -> dict[str, float]:
        return {"unexplained": round(self.unexplained, 3), "ring_unexplained": round(self.ring, 3),
                "contrast": round(self.contrast, 2), "epipolar_best_ncc": round(self.parallax_ncc, 3),
                "highlight_lift": round(self.lift, 3)}

    @property
    def highlight(self) -> bool:
        """Whether X is brightened towards white at the candidate and darkened nowhere: a specular highlight."""
        return self.lift >= HIGHLIGHT_LIFT


def gradient(gray: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude (float32)."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)


def _match_brightness(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``y`` mapped to ``x``'s brightness by matching mean and standard deviation over ``mask``."""
    vx, vy = x[mask], y[mask]
    if vx.size < 100:
        return y
    sy = float(vy.std())
    gain = float(vx.std()) / sy if sy > 1e-3 else 1.0
    return (y - float(vy.mean())) * gain + float(vx.mean())


def align(gray_x: np.ndarray, gray_y: np.ndarray, homographies: list[np.ndarray], region: np.ndarray,
          magnification: float = 1.0) -> Aligned:
    """Warp Y into X with each surface's homography (Y→X) and find the structure of X that Y lacks.

    Parameters
    ----------
    gray_x, gray_y : uint8 working images.
    homographies : 3×3 maps from Y's to X's working pixels, the dominant surface first.
    region : bool mask in X's frame of the object area to compare (e.g. the hull of the matches).
    magnification : how much Y is enlarged when warped into X (> 1: X is the sharper view and is
        blurred to match).
    """
    h, w = gray_x.shape
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * TOLERANCE + 1, 2 * TOLERANCE + 1))
    sigma_x = 1.2 * max(1.0, magnification)
    x = cv2.GaussianBlur(gray_x.astype(np.float32), (0, 0), sigma_x)
    grad_x = gradient(x)
    extra = np.full((h, w), np.inf, np.float32)
    first: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for k, hom in enumerate(homographies):
        warped = cv2.warpPerspective(gray_y.astype(np.float32), hom, (w, h), flags=cv2.INTER_LINEAR)
        valid = cv2.warpPerspective(np.ones(gray_y.shape, np.uint8), hom, (w, h), flags=cv2.INTER_NEAREST)
        valid = cv2.erode(valid, np.ones((9, 9), np.uint8)).astype(bool)
        y = cv2.GaussianBlur(warped, (0, 0), 1.2)
        y = _match_brightness(x, y, valid & region)
        grad_y = gradient(y)
        unexplained = np.maximum(grad_x - EXCESS * cv2.dilate(grad_y, kernel), 0)
        extra = np.where(valid, np.minimum(extra, unexplained), extra)
        if k == 0:
            first = (y.astype(np.float32), grad_y, valid)
    assert first is not None
    overlap = first[2] & region & np.isfinite(extra)
    extra = np.where(overlap, extra, 0).astype(np.float32)
    vals = np.concatenate([grad_x[overlap], first[1][overlap]]) if overlap.any() else np.zeros(1, np.float32)
    scale = max(float(np.percentile(vals, 90)), 4.0)
    return Aligned(x, grad_x, first[0], first[1], extra, overlap, scale)


def _ring(mask: np.ndarray, overlap: np.ndarray, size: int) -> np.ndarray:
    inner = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8))
    outer = cv2.dilate(mask.astype(np.uint8), np.ones((2 * size + 1, 2 * size + 1), np.uint8))
    return (outer > 0) & (inner == 0) & overlap


def _lift(image: np.ndarray, mask: np.ndarray, ring: np.ndarray) -> tuple[float, float]:
    """How far ``image`` departs under ``mask`` from its ``ring``: up towards white, down towards black.

    Returns (up, down): the 90th percentile inside above the ring's median, as a fraction of the way
    to white, and the 10th percentile below it, as a fraction of the way to black.
    """
    around = float(np.median(image[ring]))
    up = (float(np.percentile(image[mask], 90)) - around) / max(255.0 - around, 8.0)
    down = (around - float(np.percentile(image[mask], 10))) / max(around, 8.0)
    return up, down


def _highlight_lift(x: tuple[float, float]) -> float:
    """X's brightening towards white at a candidate that nowhere darkens (0 otherwise): a highlight's mark."""
    up, down = x
    return up if down <= HIGHLIGHT_MAX_DARKENING else 0.0


def measure(al: Aligned, mask: np.ndarray) -> Anomaly | None:
    """Measure how much of X's structure under ``mask`` (bool, X's frame) Y lacks, and around it."""
    mask = mask & al.overlap
    if mask.sum() < 12:
        return None
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    size = int(np.clip(0.6 * max(box[2], box[3]), 12, 60))
    ring = _ring(mask, al.overlap, size)
    if ring.sum() < 50:
        return None
    floor = 0.25 * al.scale
    unexplained = float(al.extra[mask].sum() / (al.grad_x[mask].sum() + floor * mask.sum()))
    ring_part = float(al.extra[ring].sum() / (al.grad_x[ring].sum() + floor * ring.sum()))
    contrast = float(np.percentile(al.extra[mask], 95) / al.scale)
    return Anomaly(box=box, unexplained=unexplained, ring=ring_part, contrast=contrast,
                   lift=_highlight_lift(_lift(al.blur_x, mask, ring)))


def is_anomalous(anomaly: Anomaly) -> bool:
    """Whether a measured candidate is structure one view shows alone on an otherwise consistent surface."""
    return (anomaly.unexplained >= BLOB_UNEXPLAINED and anomaly.ring <= RING_UNEXPLAINED
            and anomaly.contrast >= MIN_CONTRAST and not anomaly.highlight)


def candidates(al: Aligned, min_area: int, within: np.ndarray | None = None, level: float = 0.35
               ) -> list[Anomaly]:
    """Compact places where X shows strong structure that Y lacks, measured (not yet judged)."""
    smooth = cv2.GaussianBlur(al.extra, (0, 0), 2.0)
    cand = (smooth > level * al.scale).astype(np.uint8)
    if within is not None:
        cand &= within.astype(np.uint8)
    cand = cv2.morphologyEx(cand, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    order = np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:12] + 1
    found = []
    for k in order:
        if stats[k, cv2.CC_STAT_AREA] < min_area:
            continue
        anomaly = measure(al, labels == k)
        if anomaly is not None:
            found.append(anomaly)
    return found


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else 0.0


def epipolar_search(al: Aligned, box: tuple[int, int, int, int], line: np.ndarray, max_shift: float
                    ) -> tuple[float, float]:
    """Best agreement of X's unexplained structure with warped Y along the epipolar line through it.

    A point off the matched surfaces is displaced along its epipolar line (parallax), never across
    it. If the structure reappears somewhere along that line in Y, the difference is parallax, not an
    edit. Only the pixels where X has unexplained structure (slightly dilated) are compared, on
    gradient magnitude, so a crack must reappear, not just the colours around it.

    Parameters
    ----------
    al : the aligned views (Y warped into X's frame by the dominant surface).
    box : (x, y, w, h) of the candidate in X's frame.
    line : epipolar line ``(a, b, c)`` in the warped-Y frame for the candidate centre.
    max_shift : largest displacement searched, in pixels.

    Returns
    -------
    (float, float)
        Best normalised cross-correlation and the shift along the line where it was found.
    """
    x, y, w, h = box
    pad = 6
    size = (w + 2 * pad, h + 2 * pad)
    centre = (x + w / 2.0, y + h / 2.0)
    patch = cv2.getRectSubPix(al.grad_x, size, centre)
    support = cv2.getRectSubPix(al.extra, size, centre) > 0.2 * al.scale
    support = cv2.dilate(support.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if support.sum() < 12:
        support = np.ones_like(support)
    values = patch[support]

    def agreement(px: float, py: float) -> float:
        return _ncc(values, cv2.getRectSubPix(al.grad_y, size, (px, py))[support])

    a_, b_, c_ = (float(v) for v in line)
    norm = float(np.hypot(a_, b_))
    if norm < 1e-9 or not np.isfinite(norm):
        return agreement(*centre), 0.0
    direction = np.array([-b_, a_]) / norm
    foot = np.array(centre) - (a_ * centre[0] + b_ * centre[1] + c_) / norm * np.array([a_, b_]) / norm
    best, best_shift = -1.0, 0.0
    for t in np.arange(-max_shift, max_shift + 1e-6, 1.0):
        px, py = foot + t * direction
        score = agreement(float(px), float(py))
        if score > best:
            best, best_shift = score, float(t)
    return best, best_shift
