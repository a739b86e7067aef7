"""Dense correspondence between two views of one object, and where it can be trusted.

A single homography describes a flat object; real second views have depth (a box's faces, a vase's
curve, a facade's projecting wings), so every pixel needs its own displacement:

1. **Prior from the matches.** The dominant surface's homography plus the parallax the matched points
   show (their residual off that homography, spread smoothly by normalised convolution) gives a first
   map from view X to view Y.
2. **Refinement by optical flow.** View Y is brought into X's frame by that map and OpenCV's DIS
   optical flow (on log-luminance, so exposure differences are offsets that its patch mean
   normalisation removes) measures what is left; the two compose into the dense map.
3. **Validation.** A pixel is trusted only where the map is *forward-backward consistent* (X→Y→X
   returns within ``max_fb_error``, scaled by the resolution ratio), lies on its *epipolar line*
   (``max_epipolar_error``: the flow may not slide across the scene's geometry) and falls inside Y.
   Occluded, out-of-frame and self-occluded parts fail these tests: they are *not compared*, never
   taken for missing damage. The map must also reproduce the matched points (``agreement``); when it
   does not, the flow is dropped and the prior alone is used.
4. **Flat scenes.** When one homography explains nearly all matches (``planar_share`` of them within
   ``planar_residual_px``: a flat item, a print, two views of one picture), it is the correspondence
   everywhere: where the flow failed inside the matched area — typically over a large edited region,
   which no flow can follow — the homography maps it, and it is compared (``planar``).
5. **Enclosed holes.** The flow cannot follow a mark one view has and the other lacks — a painted stain
   is exactly where forward and backward flow disagree. A small invalid region *enclosed* by trusted
   surface is therefore mapped by the motion of that surface (an affine map fitted to the ring around
   it, kept only when it fits the ring within ``hole_fit_px``) and compared (``filled``). Something in
   front of the surface also leaves such a hole; the comparison tells the two apart by looking for the
   structure along its epipolar line (a nearer object is displaced along it, a painted mark is nowhere).

The map's Jacobian gives, for every pixel of X, how many pixels of Y see it (``scale``: area ratio,
``resolution``: the worst direction, which falls at grazing angles) — what decides whether Y could
have shown a mark X shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from refundguard.checks._views.config import AlignSettings
from refundguard.checks._views.match import ViewMatch

#: coarse grid step (px) of the prior map
_STEP = 8
#: pixels this close to either photo's border are not compared (filters and warps are unreliable there)
_MARGIN = 6
#: share of a hole's outline that must be trusted surface for the hole to be mapped by it
_HOLE_OUTLINE = 0.6
#: reach (px) of jacobian_scales' filters (a Gaussian of sigma 2, truncated at 4 sigma, then a 3x3 Sobel)
_JACOBIAN_REACH = 12
#: the gap filling's wide Gaussian is taken on a grid this many times coarser
_GAP_STEP = 4
#: value written where a map points outside the other view
_OUTSIDE = -1.0e4


@dataclass(frozen=True)
class Correspondence:
    """Where each pixel of view X lies in view Y (working pixels) and where that can be trusted."""

    map: np.ndarray  # (h, w, 2) float32: x, y in Y
    valid: np.ndarray  # (h, w) bool: inside Y, forward-backward consistent, on its epipolar line
    scale: np.ndarray  # (h, w) float32: Y pixels per X pixel (square root of the area ratio)
    resolution: np.ndarray  # (h, w) float32: Y pixels per X pixel in the worst direction
    agreement: float  # share of the matched points that the map reproduces within ``agreement_px``
    flow_used: bool  # False when the flow disagreed with the matches and the prior map was kept
    filled: np.ndarray | None = None  # (h, w) bool: enclosed holes mapped by the motion of the surface around
    planar: bool = False  # a flat scene: gaps of the flow inside the matched area mapped by the homography

    @property
    def shared(self) -> float:
        """Share of X that Y sees and that was aligned reliably."""
        return float(self.valid.mean())


@lru_cache(maxsize=8)
def pixel_grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) coordinates of every pixel, float32 (read-only: one grid per shape is shared)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs.flags.writeable = False
    ys.flags.writeable = False
    return xs, ys


def flow_image(gray: np.ndarray) -> np.ndarray:
    """uint8 log-luminance: a gain between the views becomes an offset, which DIS normalises away."""
    lum = np.log(gray.astype(np.float32) + 10.0)
    lo, hi = np.log(10.0), np.log(265.0)
    return np.clip((lum - lo) / (hi - lo) * 255.0, 0, 255).astype(np.uint8)


def prior_map(shape: tuple[int, int], to_other: np.ndarray, pts: np.ndarray, pts_other: np.ndarray,
              sigma: float) -> np.ndarray:
    """Map from this view to the other: ``to_other`` (a homography) plus the matches' smoothed parallax.

    Each match's residual off the homography is spread over a coarse grid by normalised convolution
    (Gaussian of ``sigma`` px); far from any match the homography alone holds.
    """
    h, w = shape
    gh, gw = (h + _STEP - 1) // _STEP, (w + _STEP - 1) // _STEP
    gy, gx = np.mgrid[0:gh, 0:gw].astype(np.float64)
    centres = np.stack([gx * _STEP + (_STEP - 1) / 2.0, gy * _STEP + (_STEP - 1) / 2.0], -1).reshape(-1, 1, 2)
    coarse = cv2.perspectiveTransform(centres, to_other).reshape(gh, gw, 2)
    mapped = cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float64), to_other).reshape(-1, 2)
    residual = pts_other.astype(np.float64) - mapped
    acc = np.zeros((gh, gw, 3), np.float64)
    cells = np.clip((pts / _STEP).astype(int), 0, [gw - 1, gh - 1])
    np.add.at(acc, (cells[:, 1], cells[:, 0]), np.column_stack([residual, np.ones(len(pts))]))
    s = max(sigma / _STEP, 0.5)
    acc = cv2.GaussianBlur(acc.astype(np.float32), (0, 0), s, borderType=cv2.BORDER_CONSTANT)
    weight = acc[..., 2]
    # fade to the homography where matches are sparse
    trust = np.clip(weight / (weight.max() * 0.05 + 1e-9), 0, 1)[..., None]
    spread = acc[..., :2] / np.maximum(weight, 1e-9)[..., None] * trust
    coarse = (coarse + spread).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)


def _homography_map(shape: tuple[int, int], to_other: np.ndarray) -> np.ndarray:
    """(h, w, 2) float32: every pixel of this view mapped into the other by ``to_other``."""
    xs, ys = pixel_grid(shape)
    pts = np.stack([xs, ys], -1).reshape(-1, 1, 2).astype(np.float64)
    return cv2.perspectiveTransform(pts, to_other).reshape(*shape, 2).astype(np.float32)


def _flow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(x, y, None)


def _compose(base: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``base`` sampled at ``p + flow(p)``: the map that first moves by the flow, then by ``base``."""
    xs, ys = pixel_grid(flow.shape[:2])
    return cv2.remap(base, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=(_OUTSIDE, _OUTSIDE))


def _refined(x: np.ndarray, y: np.ndarray, prior: np.ndarray) -> np.ndarray:
    warped = cv2.remap(y, prior[..., 0], prior[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return _compose(prior, _flow(x, warped))


def jacobian_scales(mapping: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Square root of |det J| and the smallest singular value of J, per pixel, for a dense map.

    The arithmetic is done in place, in the order of ``sqrt(|ad - bc|)`` and
    ``sqrt(max((t - sqrt(max(t^2 - 4 det^2, 0))) / 2, 0))`` with ``t = a^2 + b^2 + c^2 + d^2``: the same float32
    values with fewer full-size temporaries. (The 1/8 stays a division after each filter: a Sobel filter told to
    scale uses a general kernel instead of its exact [1, 2, 1] adds, and its sums round differently.)"""
    m = cv2.GaussianBlur(mapping, (0, 0), 2.0)
    mx, my = cv2.split(m)
    dxdx = cv2.Sobel(mx, cv2.CV_32F, 1, 0, ksize=3)
    dxdy = cv2.Sobel(mx, cv2.CV_32F, 0, 1, ksize=3)
    dydx = cv2.Sobel(my, cv2.CV_32F, 1, 0, ksize=3)
    dydy = cv2.Sobel(my, cv2.CV_32F, 0, 1, ksize=3)
    for d in (dxdx, dxdy, dydx, dydy):
        d /= 8.0
    det = np.multiply(dxdx, dydy)
    det -= np.multiply(dxdy, dydx, out=mx)
    np.abs(det, out=det)
    total = np.square(dxdx, out=my)
    total += np.square(dxdy, out=mx)
    total += np.square(dydx, out=mx)
    total += np.square(dydy, out=mx)
    disc = np.square(total, out=dxdx)
    disc -= np.multiply(np.square(det, out=dxdy), 4, out=dxdy)
    np.maximum(disc, 0, out=disc)
    np.sqrt(disc, out=disc)
    smallest = np.subtract(total, disc, out=total)
    smallest /= 2
    np.maximum(smallest, 0, out=smallest)
    np.sqrt(smallest, out=smallest)
    return np.sqrt(det, out=det), smallest


def _jacobian_near(mapping: np.ndarray, where: np.ndarray, scale: np.ndarray, resolution: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``scale`` and ``resolution`` with :func:`jacobian_scales` of ``mapping`` taken over ``where``.

    Only the bounding box of ``where`` (with the reach of its filters) is recomputed: the same values as
    over the whole map, at the cost of the region that changed.
    """
    ys, xs = np.nonzero(where)
    h, w = where.shape
    pad = _JACOBIAN_REACH
    y0, y1 = max(0, ys.min() - pad), min(h, ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(w, xs.max() + 1 + pad)
    s_crop, r_crop = jacobian_scales(np.ascontiguousarray(mapping[y0:y1, x0:x1]))
    sl = (slice(y0, y1), slice(x0, x1))
    scale, resolution = scale.copy(), resolution.copy()
    scale[sl] = np.where(where[sl], s_crop, scale[sl])
    resolution[sl] = np.where(where[sl], r_crop, resolution[sl])
    return scale, resolution


def _inside(mapping: np.ndarray, shape: tuple[int, int], margin: float) -> np.ndarray:
    """Pixels of X that map at least ``margin`` px inside Y (filters and warps are unreliable at borders)."""
    h, w = shape
    return ((mapping[..., 0] >= margin) & (mapping[..., 0] <= w - 1 - margin) & (mapping[..., 1] >= margin)
            & (mapping[..., 1] <= h - 1 - margin))


def _epipolar_distance(mapping: np.ndarray, fundamental: np.ndarray) -> np.ndarray:
    """Distance (px, in Y) of each mapped pixel from the epipolar line of its source (``x_y^T F x_x = 0``)."""
    xs, ys = pixel_grid(mapping.shape[:2])
    f = fundamental.astype(np.float32)
    a = f[0, 0] * xs + f[0, 1] * ys + f[0, 2]
    b = f[1, 0] * xs + f[1, 1] * ys + f[1, 2]
    c = f[2, 0] * xs + f[2, 1] * ys + f[2, 2]
    return np.abs(a * mapping[..., 0] + b * mapping[..., 1] + c) / np.maximum(np.hypot(a, b), 1e-9)


def _agreement(mapping: np.ndarray, pts: np.ndarray, pts_other: np.ndarray, tolerance: float) -> float:
    if len(pts) == 0:
        return 0.0
    sampled = cv2.remap(mapping, pts[:, 0].reshape(-1, 1).astype(np.float32),
                        pts[:, 1].reshape(-1, 1).astype(np.float32),
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(_OUTSIDE, _OUTSIDE))
    err = np.linalg.norm(sampled.reshape(-1, 2) - pts_other, axis=1)
    return float((err <= tolerance).mean())


def _clean(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    m[:_MARGIN], m[-_MARGIN:], m[:, :_MARGIN], m[:, -_MARGIN:] = 0, 0, 0, 0
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    return cv2.erode(m, np.ones((5, 5), np.uint8)).astype(bool)


def fill_holes(corr: Correspondence, shape_y: tuple[int, int], settings: AlignSettings | None = None
               ) -> Correspondence:
    """Map small untrusted regions surrounded by trusted surface with that surface's (affine) motion.

    A region qualifies when it maps inside Y, is at most ``max_hole`` of the image, at least
    ``_HOLE_OUTLINE`` of its outline (image borders aside) is trusted, and an affine map fits the
    trusted ring around it within ``hole_fit_px`` (median; a ring spanning two surfaces at different
    depths does not fit, so an occlusion boundary is never filled).
    """
    cfg = settings or AlignSettings()
    h, w = corr.valid.shape
    frame = np.zeros((h, w), bool)
    frame[_MARGIN:h - _MARGIN, _MARGIN:w - _MARGIN] = True
    untrusted = (~corr.valid & frame & _inside(corr.map, shape_y, _MARGIN)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(untrusted, connectivity=4)
    mapping = corr.map.copy()
    filled = np.zeros((h, w), bool)
    limit = cfg.max_hole * h * w
    xs, ys = pixel_grid((h, w))
    pad = 8
    grow = np.ones((2 * pad - 1, 2 * pad - 1), np.uint8)
    for k in range(1, n):
        x, y, bw, bh, area = stats[k]
        if area > limit:
            continue
        y0, y1, x0, x1 = max(0, y - pad), min(h, y + bh + pad), max(0, x - pad), min(w, x + bw + pad)
        hole = labels[y0:y1, x0:x1] == k
        around = cv2.dilate(hole.astype(np.uint8), grow).astype(bool) & ~hole & frame[y0:y1, x0:x1]
        ring = around & corr.valid[y0:y1, x0:x1]
        if ring.sum() < 30 or ring.sum() < _HOLE_OUTLINE * around.sum():
            continue
        src = np.column_stack([xs[y0:y1, x0:x1][ring], ys[y0:y1, x0:x1][ring], np.ones(int(ring.sum()), np.float32)])
        dst = corr.map[y0:y1, x0:x1][ring]
        coef, *_ = np.linalg.lstsq(src.astype(np.float64), dst.astype(np.float64), rcond=None)
        residual = np.linalg.norm(src @ coef - dst, axis=1)
        if float(np.median(residual)) > cfg.hole_fit_px:
            continue
        inside = np.column_stack([xs[y0:y1, x0:x1][hole], ys[y0:y1, x0:x1][hole], np.ones(int(hole.sum()), np.float32)])
        block = mapping[y0:y1, x0:x1]
        block[hole] = (inside @ coef).astype(np.float32)
        filled[y0:y1, x0:x1] |= hole
    filled &= _inside(mapping, shape_y, _MARGIN)
    if not filled.any():
        return Correspondence(corr.map, corr.valid, corr.scale, corr.resolution, corr.agreement, corr.flow_used, filled,
                              corr.planar)
    grown = cv2.dilate(filled.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    scale, resolution = _jacobian_near(mapping, grown, corr.scale, corr.resolution)
    return Correspondence(mapping, corr.valid | filled, scale, resolution, corr.agreement, corr.flow_used, filled,
                          corr.planar)


def is_planar(vm: ViewMatch, settings: AlignSettings | None = None) -> bool:
    """Whether one homography explains nearly all the matches (a flat scene)."""
    cfg = settings or AlignSettings()
    if vm.inliers == 0 or vm.plane_inliers < cfg.planar_share * vm.inliers:
        return False
    mapped = cv2.perspectiveTransform(vm.pts_b.reshape(-1, 1, 2).astype(np.float64), vm.homography).reshape(-1, 2)
    residual = np.linalg.norm(mapped - vm.pts_a, axis=1)
    return bool(np.percentile(residual, 90) <= cfg.planar_residual_px)


def _hull(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.astype(np.float32)).astype(np.int32), 1)
    return mask.astype(bool)


def fill_gaps(corr: Correspondence, to_other: np.ndarray, shape_y: tuple[int, int],
              settings: AlignSettings | None = None) -> Correspondence:
    """Map untrusted pixels next to trusted surface by that surface's smoothed motion, where it moves as one.

    A mark one view has and the other lacks breaks the flow where it is, and the gap is not always
    enclosed (it may touch a tree, the sky or the frame). Its trusted neighbourhood's displacement off the
    homography ``to_other`` is spread into the gap by normalised convolution (``gap_sigma``); a pixel is
    mapped only with enough support (``gap_support``) and when that support moves as one surface (its
    displacement's spread within ``gap_spread_px``). Beside an occluder, the neighbourhood holds two
    motions and the spread is large: the gap stays unmapped.
    """
    cfg = settings or AlignSettings()
    h, w = corr.valid.shape
    flat = _homography_map((h, w), to_other)
    v = corr.valid.astype(np.float32)
    field = np.where(corr.valid[..., None], corr.map - flat, 0).astype(np.float32)

    # the Gaussian is wide (gap_sigma px): the normalised convolution is done on a grid _GAP_STEP times
    # coarser, and its support, mean and spread are interpolated back
    small = (max(1, w // _GAP_STEP), max(1, h // _GAP_STEP))

    def smooth(img: np.ndarray) -> np.ndarray:
        coarse = cv2.resize(img, small, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(coarse, (0, 0), cfg.gap_sigma * small[0] / w, borderType=cv2.BORDER_CONSTANT)

    den = smooth(v)
    safe = np.maximum(den, 1e-6)[..., None]
    mean = smooth(field) / safe
    spread = np.sqrt(np.maximum((smooth(field * field) / safe - mean * mean).sum(axis=2), 0))
    stats = cv2.resize(np.dstack([den, mean, spread]).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    den, mean, spread = stats[..., 0], stats[..., 1:3], stats[..., 3]
    frame = np.zeros((h, w), bool)
    frame[_MARGIN:h - _MARGIN, _MARGIN:w - _MARGIN] = True
    mapped = (flat + mean).astype(np.float32)
    gaps = (~corr.valid & frame & (den >= cfg.gap_support) & (spread <= cfg.gap_spread_px)
            & _inside(mapped, shape_y, _MARGIN))
    if not gaps.any():
        return corr
    mapping = np.where(gaps[..., None], mapped, corr.map).astype(np.float32)
    filled = gaps if corr.filled is None else corr.filled | gaps
    grown = cv2.dilate(gaps.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    scale, resolution = _jacobian_near(mapping, grown, corr.scale, corr.resolution)
    return Correspondence(mapping, corr.valid | gaps, scale, resolution, corr.agreement, corr.flow_used, filled,
                          corr.planar)


def hidden_removed(corr: Correspondence, reverse: Correspondence, settings: AlignSettings | None = None
                   ) -> Correspondence:
    """Drop the filled pixels of X whose place in Y the flow has already traced to *another* point of X.

    A gap next to a recess or an edge in front (a window reveal seen at an angle, a part that sticks
    out) is filled with the motion of the surface around it, but Y shows the nearer surface there: Y's
    pixel is trusted (forward-backward consistent, not filled) and maps back elsewhere in X. A mark
    painted into X leaves Y's place untraced (the flow fails there too) or traced back into the gap.
    """
    cfg = settings or AlignSettings()
    if corr.filled is None or not corr.filled.any():
        return corr
    ys, xs = np.nonzero(corr.filled)
    q = corr.map[ys, xs]
    qx = np.clip(np.round(q[:, 0]).astype(int), 0, reverse.valid.shape[1] - 1)
    qy = np.clip(np.round(q[:, 1]).astype(int), 0, reverse.valid.shape[0] - 1)
    trusted = reverse.valid[qy, qx] & (reverse.filled is None or ~reverse.filled[qy, qx])
    back = reverse.map[qy, qx]
    elsewhere = np.hypot(back[:, 0] - xs, back[:, 1] - ys) > cfg.hidden_px
    hidden = np.zeros_like(corr.filled)
    hidden[ys[trusted & elsewhere], xs[trusted & elsewhere]] = True
    if not hidden.any():
        return corr
    return replace(corr, valid=corr.valid & ~hidden, filled=corr.filled & ~hidden)


def correspond(gray_a: np.ndarray, gray_b: np.ndarray, vm: ViewMatch, settings: AlignSettings | None = None, *,
               flow_images: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Correspondence, Correspondence]:
    """Dense correspondences A→B and B→A of two matched working images (``vm`` relates them).
    ``flow_images``: :func:`flow_image` of each, when the caller keeps them (made here otherwise)."""
    cfg = settings or AlignSettings()
    fa, fb = flow_images if flow_images is not None else (flow_image(gray_a), flow_image(gray_b))
    side = float(max(*gray_a.shape, *gray_b.shape))
    h_ab = np.linalg.inv(vm.homography)
    prior_ab = prior_map(gray_a.shape, h_ab, vm.pts_a, vm.pts_b, cfg.prior_sigma * side)
    prior_ba = prior_map(gray_b.shape, vm.homography, vm.pts_b, vm.pts_a, cfg.prior_sigma * side)
    planar = is_planar(vm, cfg)
    homographies = {"ab": h_ab, "ba": vm.homography}
    maps = {}
    for name, x, y, prior, pts, other in (("ab", fa, fb, prior_ab, vm.pts_a, vm.pts_b),
                                          ("ba", fb, fa, prior_ba, vm.pts_b, vm.pts_a)):
        refined = _refined(x, y, prior)
        agree = _agreement(refined, pts, other, cfg.agreement_px)
        if agree >= cfg.min_agreement or agree >= _agreement(prior, pts, other, cfg.agreement_px):
            maps[name] = (refined, agree, True)
        else:
            maps[name] = (prior, _agreement(prior, pts, other, cfg.agreement_px), False)
    out = {}
    for name, src, dst, fundamental, back in (("ab", gray_a, gray_b, vm.fundamental, "ba"),
                                              ("ba", gray_b, gray_a, vm.fundamental.T, "ab")):
        mapping, agree, used = maps[name]
        reverse = maps[back][0]
        scale, resolution = jacobian_scales(mapping)
        returned = cv2.remap(reverse, mapping[..., 0], mapping[..., 1], cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=(_OUTSIDE, _OUTSIDE))
        xs, ys = pixel_grid(src.shape)
        fb_error = np.hypot(returned[..., 0] - xs, returned[..., 1] - ys)
        allowed = cfg.max_fb_error * np.maximum(1.0, 1.0 / np.maximum(scale, 0.05))
        valid = _clean(_inside(mapping, dst.shape, _MARGIN) & (fb_error <= allowed)
                       & (_epipolar_distance(mapping, fundamental) <= cfg.max_epipolar_error))
        if planar:
            flat = _homography_map(src.shape, homographies[name])
            hull = _hull(vm.pts_a if name == "ab" else vm.pts_b, src.shape)
            reach = int(cfg.planar_reach * max(src.shape))
            if reach > 0:
                hull = cv2.dilate(hull.astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)
            gaps = ~valid & hull & _inside(flat, dst.shape, _MARGIN)
            mapping = np.where(gaps[..., None], flat, mapping).astype(np.float32)
            valid = valid | gaps
            if gaps.any():
                scale, resolution = jacobian_scales(mapping)
        corr = Correspondence(map=mapping, valid=valid, scale=scale, resolution=resolution,
                              agreement=agree, flow_used=used, planar=planar)
        corr = fill_holes(corr, dst.shape, cfg)
        out[name] = corr if planar else fill_gaps(corr, homographies[name], dst.shape, cfg)
    return hidden_removed(out["ab"], out["ba"], cfg), hidden_removed(out["ba"], out["ab"], cfg)
