"""Bring view Y into view X's frame, normalise the light, and find the structure X shows that Y lacks.

Photometric normalisation, so that a change of light is not a change of the object:

* **exposure, white balance, shading**: everything is compared as gradients of *log*-luminance and of
  log-chromaticity (``log R/G``, ``log B/G``). A gain — exposure, a colour cast, a smooth shading ramp
  from a moved lamp — is an offset in the log domain and has no gradient;
* **contrast** (tone curves, haze): Y's structure is scaled to X's by the ratio of their smoothed
  structure over a large neighbourhood (``_CONTRAST_SIGMA`` of the side), clipped to ×0.5–2, so a
  local mark barely moves it;
* **resolution and focus**: the sharper view is blurred to the other's resolution, per pixel, from
  the correspondence's scale (a close-up is compared with a wide shot at the wide shot's detail);
* **specular highlights** that move with the view are recognised later, per candidate
  (:mod:`refundguard.checks._views.evidence`), and blown-out or black places of Y are marked
  (``clipped``): Y cannot show anything there.

Then *structure* is compared, not intensity: X's gradient is *explained* when Y has at least
``1/excess`` of it within ``tolerance`` pixels (the slack absorbs residual misalignment and resampling
blur). What is left — ``extra`` — is structure X shows and Y lacks; ``missing`` is the reverse (Y's
structure X lacks), which tells an *added* mark (Y plain there) from *replaced* content (both views
show something, differently: a reflection, an occluder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from refundguard.checks._views.config import CompareSettings
from refundguard.checks._views.dense import Correspondence, flow_image

#: log offset (grey levels) that keeps dark pixels from dominating
_LOG_OFFSET = 10.0
#: light blur (px) of both views against JPEG noise
_BASE_SIGMA = 1.0
#: neighbourhood (share of the side) over which Y's contrast is matched to X's
_CONTRAST_SIGMA = 0.06
#: grey levels at or beyond which a pixel is blown out / black (shows nothing)
_CLIP_HIGH, _CLIP_LOW = 250, 4
#: neighbourhood (px) of the local structure level each view's structure is normalised by
_LEVEL_SIGMA = 6.0
#: orientation bins of the structure comparison
_ORIENTATIONS = 6
#: resolution ratios at which the sharper view is blurred, and the blur (px) for each band
_BANDS = ((1.25, 0.0), (2.0, 0.7), (3.0, 1.3), (np.inf, 2.2))


def log_luminance(gray: np.ndarray) -> np.ndarray:
    return np.log(gray.astype(np.float32) + _LOG_OFFSET)


def log_chroma(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 2) float32: log R/G and log B/G (a colour cast is a constant offset)."""
    f = rgb.astype(np.float32) + _LOG_OFFSET
    g = np.log(f[..., 1])
    return np.stack([np.log(f[..., 0]) - g, np.log(f[..., 2]) - g], -1)


def gradient(img: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude (summed over channels for a multi-channel image)."""
    if img.ndim == 3:
        return np.sqrt(sum(gradient(img[..., k]) ** 2 for k in range(img.shape[2]))).astype(np.float32)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)


#: double-angle steps of the orientation look-up table (0.25° of edge orientation: far below the bins' width)
_ANGLE_STEPS = 1440


@lru_cache(maxsize=4)
def _orientation_weights(bins: int) -> np.ndarray:
    """(bins, _ANGLE_STEPS) float32: each orientation bin's share of an edge at every double angle.

    A bin's raw weight is ``max(cos(2θ − 2θ_k), 0)²`` (orientation, not sign); the weights of one angle
    are normalised to sum to 1. They depend on the angle alone, so they are tabulated once.
    """
    double = np.arange(_ANGLE_STEPS, dtype=np.float64) * (2 * np.pi / _ANGLE_STEPS)
    raw = np.stack([np.maximum(np.cos(double - 2 * np.pi * k / bins), 0) ** 2 for k in range(bins)])
    table = (raw / np.maximum(raw.sum(axis=0), 1e-6)).astype(np.float32)
    table.flags.writeable = False
    return table


@lru_cache(maxsize=4)
def _orientation_lookup(bins: int) -> np.ndarray:
    """:func:`_orientation_weights` over every index :func:`oriented` computes from an angle in [0, 2π] (up to
    ``2 * _ANGLE_STEPS``), the table repeated: the index needs no modulo (the same weights)."""
    table = _orientation_weights(bins)
    lookup = np.ascontiguousarray(table[:, np.arange(2 * _ANGLE_STEPS + 2) % _ANGLE_STEPS])
    lookup.flags.writeable = False
    return lookup


def oriented(img: np.ndarray, bins: int = _ORIENTATIONS, *, weight: np.ndarray | None = None,
             out: np.ndarray | None = None) -> np.ndarray:
    """(bins, h, w) gradient magnitude split by edge orientation (soft bins, each pixel's weights sum to 1).

    A crack crossing brick joints has the joints' strength but not their direction: split by
    orientation, the other view's joints no longer explain it. Each pixel's bin weights are read from a
    table over its gradient's double angle (:func:`_orientation_weights`). ``weight`` (h, w) scales the
    magnitude per pixel; ``out`` (bins, h, w), when given, is added to and returned.
    """
    channels = [img] if img.ndim == 2 else [np.ascontiguousarray(img[..., k]) for k in range(img.shape[2])]
    if out is None:
        out = np.zeros((bins, *channels[0].shape), np.float32)
    table = _orientation_lookup(bins)
    for ch in channels:
        gx = cv2.Sobel(ch, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(ch, cv2.CV_32F, 0, 1, ksize=3)
        mag, angle = cv2.cartToPolar(gx, gy)
        if weight is not None:
            mag *= weight
        # the double angle 2θ (orientation, not sign) as a table index
        index = (angle * np.float32(2 * _ANGLE_STEPS / (2 * np.pi)) + np.float32(0.5)).astype(np.int32)
        share = np.empty_like(mag)  # one buffer for every bin's weights (the same products and sums as before)
        for k in range(bins):
            np.take(table[k], index, out=share)
            np.multiply(share, mag, out=share)
            np.add(out[k], share, out=out[k])
    return out


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma) if sigma > 0 else img


def _bands(ratio: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """The blur (px, with the base blur) and the pixels of each resolution band of :data:`_BANDS` that blurs
    more than the base and has pixels (``ratio``: how much finer one view is than the other)."""
    out = []
    lower = 0.0
    for upper, sigma in _BANDS:
        if sigma > 0:
            band = (ratio > lower) & (ratio <= upper)
            if band.any():
                out.append((float(np.hypot(sigma, _BASE_SIGMA)), band))
        lower = upper
    return out


def _banded(planes: Planes, kind: str, bands: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """The photo's ``kind`` plane blurred per pixel by how much finer it is than the other view (:func:`_bands`;
    read-only when no band blurs more than the base: the shared plane itself)."""
    if not bands:
        return planes.blurred(kind, _BASE_SIGMA)
    out = planes.blurred(kind, _BASE_SIGMA).copy()
    for sigma, band in bands:
        np.copyto(out, planes.blurred(kind, sigma), where=band if out.ndim == 2 else band[..., None])
    return out


def _warp(img: np.ndarray, corr: Correspondence) -> np.ndarray:
    return cv2.remap(img, corr.map[..., 0], corr.map[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


#: row length of the point lists :func:`_at` lays out for remap (OpenCV's remap takes maps under 32767 a side)
_ROW = 1024


@dataclass(frozen=True)
class _Points:
    """Some pixels of X (``where``) and where they lie in Y, laid out in rows for ``cv2.remap``."""

    where: np.ndarray
    map_x: np.ndarray
    map_y: np.ndarray
    count: int

    def warp(self, img: np.ndarray) -> np.ndarray:
        """``_warp(img, corr)[where]`` computed at those pixels only (remap interpolates each pixel on its own:
        the same values)."""
        out = cv2.remap(img, self.map_x, self.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(-1, *img.shape[2:])[:self.count]


def _at(corr: Correspondence, where: np.ndarray) -> _Points:
    pts = corr.map[where]
    n = len(pts)
    rows = max(1, -(-n // _ROW))
    grid = np.zeros((rows * _ROW, 2), np.float32)
    grid[:n] = pts
    grid = grid.reshape(rows, _ROW, 2)
    return _Points(where, np.ascontiguousarray(grid[..., 0]), np.ascontiguousarray(grid[..., 1]), n)


def _warp_banded(planes: Planes, kind: str, corr: Correspondence, bands: list[tuple[float, _Points]]
                 ) -> np.ndarray:
    """Y's ``kind`` plane warped into X's frame, pre-blurred where Y is finer than X (so it is not aliased by the
    warp; ``bands``: :func:`_bands` of ``corr.scale``, their pixels as :func:`_at`)."""
    out = _warp(planes.blurred(kind, _BASE_SIGMA), corr)
    for sigma, points in bands:
        out[points.where] = points.warp(planes.blurred(kind, sigma))
    return out


def _contrast_gain(gx: np.ndarray, gy: np.ndarray, valid: np.ndarray, sigma: float) -> np.ndarray:
    """Ratio of X's to Y's structure smoothed over ``sigma`` px (computed on an 8× coarser grid)."""
    h, w = gx.shape
    small = (max(1, w // 8), max(1, h // 8))
    v = valid.astype(np.float32)
    num = cv2.GaussianBlur(cv2.resize(gx * v, small, interpolation=cv2.INTER_AREA), (0, 0), sigma / 8)
    den = cv2.GaussianBlur(cv2.resize(gy * v, small, interpolation=cv2.INTER_AREA), (0, 0), sigma / 8)
    gain = np.clip(num / np.maximum(den, 1e-6), 0.5, 2.0).astype(np.float32)
    return cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)


def _unexplained(ori_x: np.ndarray, ori_y: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray, scale: float,
                 cfg: CompareSettings) -> tuple[np.ndarray, np.ndarray]:
    """X's structure that Y lacks (and the reverse), in X's gradient units.

    An edge of X is *explained* by Y in either of two ways:

    * Y has an edge of the same orientation at least ``1/excess`` as strong within ``tolerance`` px
      (absorbs residual misalignment and resampling blur);
    * Y has the *same* edge — same orientation within ``fine_tolerance`` px — however faint, once each
      view's structure is divided by its own local level (a Gaussian of ``_LEVEL_SIGMA`` px plus a
      noise floor). Glare, a darker reflection behind a railing or softer focus lowers a view's
      contrast but does not move its edges; a mark painted on texture is not where the texture's
      edges are.
    """
    wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * cfg.tolerance + 1, 2 * cfg.tolerance + 1))
    fine = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * cfg.fine_tolerance + 1, 2 * cfg.fine_tolerance + 1))
    floor = cfg.level_floor * scale
    level_x = cv2.GaussianBlur(grad_x, (0, 0), _LEVEL_SIGMA) + floor
    level_y = cv2.GaussianBlur(grad_y, (0, 0), _LEVEL_SIGMA) + floor
    extra = np.zeros(grad_x.shape, np.float32)
    missing = np.zeros(grad_x.shape, np.float32)
    inv_x, inv_y = 1.0 / level_x, 1.0 / level_y
    excess = float(cfg.excess)
    for ex, ey in zip(ori_x, ori_y, strict=True):
        raw_x = cv2.max(cv2.scaleAdd(cv2.dilate(ey, wide), -excess, ex), 0.0)
        raw_y = cv2.max(cv2.scaleAdd(cv2.dilate(ex, wide), -excess, ey), 0.0)
        nx, ny = cv2.multiply(ex, inv_x), cv2.multiply(ey, inv_y)
        norm_x = cv2.multiply(cv2.max(cv2.scaleAdd(cv2.dilate(ny, fine), -excess, nx), 0.0), level_x)
        norm_y = cv2.multiply(cv2.max(cv2.scaleAdd(cv2.dilate(nx, fine), -excess, ny), 0.0), level_y)
        cv2.add(extra, cv2.min(raw_x, norm_x), dst=extra)
        cv2.add(missing, cv2.min(raw_y, norm_y), dst=missing)
    return extra, missing


@dataclass(frozen=True)
class Aligned:
    """View Y in view X's frame and the structure comparison of the two (all (h, w) arrays in X's frame)."""

    lum_x: np.ndarray  # X's log-luminance at the common resolution
    lum_y: np.ndarray  # Y's, warped
    grad_x: np.ndarray  # structure (luminance gradient + weighted chroma gradient) of X
    grad_y: np.ndarray  # ... of warped Y, contrast matched to X
    extra: np.ndarray  # X's structure that Y lacks nearby
    missing: np.ndarray  # Y's structure that X lacks nearby
    overlap: np.ndarray  # bool: compared (both see it, aligned)
    clipped: np.ndarray  # bool: Y blown out or black there
    gray_x: np.ndarray  # X's grey working copy (uint8), for the highlight test
    resolution: np.ndarray  # Y pixels per X pixel, worst direction
    area_scale: np.ndarray  # Y pixels per X pixel, square root of the area ratio
    scale: float  # typical structure of the object (90th percentile over the overlap)
    filled: np.ndarray | None = None  # bool: compared through the motion of the surface around (enclosed holes)
    planar: bool = False  # a flat scene: one homography maps the whole compared surface (nothing at another depth)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.lum_x.shape[0]), int(self.lum_x.shape[1])


class Planes:
    """What the comparison derives from one photo's working copy alone, made once and shared.

    Every direction of every pair the photo is in (as X and as Y) takes its log-luminance and log-chromaticity
    at the base blur, its grey levels as floats and its flow image: those are made on first use and kept
    (read-only) for all the photo's pairs, about 13 MiB a 1024-px photo. The stronger blurs of the resolution
    bands are needed where the photo is the finer view; a pair's two directions both take them (as X and as
    Y), so they are kept until :meth:`drop_bands` (at the end of each pair: kept across pairs they would hold
    up to ~27 MiB more a photo). The values are those :func:`align` and
    :func:`~refundguard.checks._views.dense.correspond` made for each direction before. Safe to share between
    threads (a value two threads ask for at once is made twice, the same both times)."""

    def __init__(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> None:
        self.gray, self.rgb = gray, rgb
        self._values: dict[tuple[str, float], np.ndarray] = {}

    def _kept(self, key: tuple[str, float], make: Callable[[], np.ndarray]) -> np.ndarray:
        value = self._values.get(key)
        if value is None:
            made = make()
            made.flags.writeable = False  # shared by every pair: nothing may write into it
            value = self._values.setdefault(key, made)
        return value

    def plane(self, kind: str) -> np.ndarray:
        """``lum`` (log-luminance) or ``chroma`` (log-chromaticity, needs the colour copy), made anew; ``gray``
        (float32) or ``flow`` (the dense flow's input, :func:`~refundguard.checks._views.dense.flow_image`),
        kept."""
        if kind == "lum":
            return log_luminance(self.gray)
        if kind == "chroma":
            return log_chroma(self.rgb)
        make = {"gray": lambda: self.gray.astype(np.float32), "flow": lambda: flow_image(self.gray)}[kind]
        return self._kept((kind, 0.0), make)

    def blurred(self, kind: str, sigma: float) -> np.ndarray:
        """The ``lum`` or ``chroma`` plane blurred by ``sigma`` px (a band's blur kept until :meth:`drop_bands`)."""
        return self._kept((kind, sigma), lambda: _blur(self.plane(kind), sigma))

    def drop_bands(self) -> None:
        """Let go of the band blurs (the base blur, the grey copy and the flow image stay)."""
        for key in [k for k in self._values if k[0] in ("lum", "chroma") and k[1] != _BASE_SIGMA]:
            del self._values[key]


def align(gray_x: np.ndarray, rgb_x: np.ndarray | None, gray_y: np.ndarray, rgb_y: np.ndarray | None,
          corr: Correspondence, settings: CompareSettings | None = None, *,
          planes: tuple[Planes, Planes] | None = None) -> Aligned:
    """Compare X with Y brought into X's frame by ``corr`` (X→Y). ``planes``: X's and Y's :class:`Planes`, when
    the caller keeps them across pairs (made here otherwise)."""
    cfg = settings or CompareSettings()
    h, w = gray_x.shape
    px, py = planes if planes is not None else (Planes(gray_x, rgb_x), Planes(gray_y, rgb_y))
    bands_x = _bands(1.0 / np.maximum(corr.scale, 1e-3))  # > 1 where X sees more pixels than Y
    bands_y = [(sigma, _at(corr, band)) for sigma, band in _bands(corr.scale)]
    lum_x = _banded(px, "lum", bands_x)
    lum_y = _warp_banded(py, "lum", corr, bands_y)
    valid = corr.valid
    ori_x, ori_y = oriented(lum_x), oriented(lum_y)
    if cfg.chroma_weight > 0 and rgb_x is not None and rgb_y is not None:
        chroma_x = _banded(px, "chroma", bands_x)
        chroma_y = _warp_banded(py, "chroma", corr, bands_y)
        # colour is unreliable where either view is dark (noise) or clipped
        lit = ((gray_x > 30) & (_warp(py.plane("gray"), corr) > 30)).astype(np.float32)
        lit *= np.float32(cfg.chroma_weight)
        oriented(chroma_x, weight=lit, out=ori_x)
        oriented(chroma_y, weight=lit, out=ori_y)
    grad_x, grad_y = ori_x.sum(axis=0), ori_y.sum(axis=0)
    gain = _contrast_gain(grad_x, grad_y, valid, _CONTRAST_SIGMA * max(h, w))
    ori_y *= gain
    grad_y = grad_y * gain
    vals = np.concatenate([grad_x[valid], grad_y[valid]]) if valid.any() else np.zeros(1, np.float32)
    scale = max(float(np.percentile(vals, 90)), 0.02)
    extra, missing = _unexplained(ori_x, ori_y, grad_x, grad_y, scale, cfg)
    extra = np.where(valid, extra, 0).astype(np.float32)
    missing = np.where(valid, missing, 0).astype(np.float32)
    raw_y = _warp(gray_y, corr)
    clipped = (raw_y >= _CLIP_HIGH) | (raw_y <= _CLIP_LOW)
    return Aligned(lum_x=lum_x, lum_y=lum_y, grad_x=grad_x, grad_y=grad_y, extra=extra, missing=missing,
                   overlap=valid, clipped=clipped, gray_x=gray_x, resolution=corr.resolution,
                   area_scale=corr.scale, scale=scale,
                   filled=corr.filled, planar=corr.planar)


def _pieces(al: Aligned, smooth: np.ndarray, level: float, merge_gap: int, within: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """Pixels whose smoothed unexplained structure exceeds ``level`` × typical (closed by 5 px), and their
    grouping (labels of the pieces grown by ``merge_gap``): (cand uint8, labels, count)."""
    cand = (smooth > level * al.scale).astype(np.uint8)
    if within is not None:
        cand &= within.astype(np.uint8)
    cand = cv2.morphologyEx(cand, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    grouped = cv2.dilate(cand, np.ones((merge_gap + 1, merge_gap + 1), np.uint8)) if merge_gap else cand
    n, labels = cv2.connectedComponents(grouped, connectivity=8)
    return cand, labels, n


def candidates(al: Aligned, settings: CompareSettings | None = None, within: np.ndarray | None = None,
               level: float | None = None) -> list[np.ndarray]:
    """Masks of compact places where X shows strong structure Y lacks (most unexplained structure first,
    at most ``max_candidates``), then the thin pieces of :func:`thin_candidates` (when ``thin_level`` is set
    and no ``within`` region is given).

    Pieces closer than ``merge_gap`` are one candidate (a crack broken by texture is one mark). Ranking
    by the unexplained structure itself, not by area, keeps a thin crack ahead of wide foliage.
    """
    cfg = settings or CompareSettings()
    h, w = al.shape
    smooth = cv2.GaussianBlur(al.extra, (0, 0), 1.0)
    cand, labels, n = _pieces(al, smooth, cfg.candidate_level if level is None else level, cfg.merge_gap, within)
    min_area = max(12, int(cfg.min_area * h * w)) if within is None else 12
    inside = labels[cand > 0]
    area = np.bincount(inside, minlength=n)
    strength = np.bincount(inside, weights=smooth[cand > 0], minlength=n)
    strength[area < min_area] = 0
    strength[0] = 0
    ranked = [k for k in np.argsort(-strength)[:cfg.max_candidates] if strength[k] > 0]
    found = [(labels == k) & (cand > 0) for k in ranked]
    if within is None and level is None and cfg.thin_level > 0:
        found += thin_candidates(al, cfg, found, smooth)
    if within is None and level is None and cfg.dark_level > 0:
        found += dark_candidates(al, cfg, found)
    return found


def local_darkening(al: Aligned, sigma: float) -> np.ndarray:
    """How much darker X is than Y at each pixel (log units), against the offset between the views over a
    Gaussian neighbourhood of ``sigma`` px (exposure, white balance and a lamp's shading vary slowly; a soft
    mark does not). 0 where the views are not compared or Y is blown out or black."""
    valid = (al.overlap & ~al.clipped).astype(np.float32)
    diff = (al.lum_y - al.lum_x) * valid
    def mean(sig: float) -> np.ndarray:
        return cv2.GaussianBlur(diff, (0, 0), sig) / np.maximum(cv2.GaussianBlur(valid, (0, 0), sig), 1e-3)
    return np.where(valid > 0, mean(2.0) - mean(sigma), 0.0).astype(np.float32)


def dark_candidates(al: Aligned, settings: CompareSettings | None = None, taken: list[np.ndarray] | None = None
                    ) -> list[np.ndarray]:
    """Places X shows darker than Y by ``dark_level`` (log units, :func:`local_darkening`) that the structure
    pass has not found: soft-edged marks (a smear, a scorch's smoky ring, a water mark) darken the surface
    without the edges the structure comparison looks for. At most ``dark_max``, most darkening first, from
    ``min_area`` up to ``dark_max_share`` of the image, and not those a candidate already found covers mostly."""
    cfg = settings or CompareSettings()
    h, w = al.shape
    local = local_darkening(al, cfg.dark_sigma * max(h, w))
    cand = cv2.morphologyEx((local > cfg.dark_level).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels = cv2.connectedComponents(cand, connectivity=8)
    covered = np.zeros((h, w), np.uint8)
    for mask in taken or ():
        covered |= mask.astype(np.uint8)
    covered = cv2.dilate(covered, np.ones((9, 9), np.uint8)) > 0
    on = cand > 0
    inside = labels[on]
    area = np.bincount(inside, minlength=n)
    strength = np.bincount(inside, weights=local[on], minlength=n)
    overlap = np.bincount(inside, weights=covered[on].astype(np.float64), minlength=n)
    ok = ((area >= max(12, int(cfg.min_area * h * w))) & (area <= cfg.dark_max_share * h * w)
          & (overlap < cfg.thin_covered * np.maximum(area, 1)))
    ok[0] = False
    ranked = [k for k in np.argsort(-np.where(ok, strength, 0))[:cfg.dark_max] if ok[k]]
    return [labels == k for k in ranked]


def thin_candidates(al: Aligned, settings: CompareSettings | None = None, taken: list[np.ndarray] | None = None,
                    smooth: np.ndarray | None = None) -> list[np.ndarray]:
    """Thin, elongated places of unexplained structure found at the lower ``thin_level``.

    A hairline crack or a scuff on texture is unexplained only in parts at ``candidate_level`` (where it
    crosses the texture's own edges the other view explains it): its pieces are then too small, or
    measured apart. At a lower level the line is whole, while the lower level alone would let every soft
    difference of light in: only pieces that stay thin (half their pixels within ``thin_half_width`` px of
    the piece's edge) over a length of ``thin_min_length`` px at least are kept, most unexplained first, at
    most ``thin_max``, and not those a candidate of the main pass covers mostly (``thin_covered``).
    """
    cfg = settings or CompareSettings()
    h, w = al.shape
    if smooth is None:
        smooth = cv2.GaussianBlur(al.extra, (0, 0), 1.0)
    cand, labels, n = _pieces(al, smooth, cfg.thin_level, cfg.thin_merge_gap, None)
    covered = np.zeros((h, w), np.uint8)
    for mask in taken or ():
        covered |= mask.astype(np.uint8)
    covered = cv2.dilate(covered, np.ones((5, 5), np.uint8)) > 0  # the same line is wider at the lower level
    min_area = max(12, int(cfg.min_area * h * w))
    on = cand > 0
    inside = labels[on]
    area = np.bincount(inside, minlength=n)
    strength = np.bincount(inside, weights=smooth[on], minlength=n)
    overlap = np.bincount(inside, weights=covered[on].astype(np.float64), minlength=n)
    ok = (area >= min_area) & (overlap < cfg.thin_covered * np.maximum(area, 1))
    ok[0] = False
    out: list[np.ndarray] = []
    for k in np.argsort(-np.where(ok, strength, 0)):
        if not ok[k] or len(out) >= cfg.thin_max:
            break
        piece = (labels == k) & on
        extent, half = thin_shape(piece)
        if extent >= cfg.thin_min_length and half <= cfg.thin_half_width:
            out.append(piece)
    return out


def thin_shape(piece: np.ndarray) -> tuple[float, float]:
    """(the diagonal of the piece's box in px, the median distance of its pixels from its edge in px)."""
    ys, xs = np.nonzero(piece)
    y0, x0 = ys.min(), xs.min()
    crop = np.zeros((ys.max() - y0 + 3, xs.max() - x0 + 3), np.uint8)
    crop[ys - y0 + 1, xs - x0 + 1] = 1
    half = cv2.distanceTransform(crop, cv2.DIST_L2, 3)
    return float(np.hypot(xs.max() - x0 + 1, ys.max() - y0 + 1)), float(np.median(half[crop > 0]))
