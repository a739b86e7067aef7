"""Where does an aligned, colour-normalised reference differ from the claim, visibly to a person?

The detector looks for *structure* in the difference, at the size a person would call damage:

1. **Tolerant residual.** The claim minus the reference, per opponent channel (luminance, red-green,
   yellow-blue), after letting each reference pixel take any value within ``tolerance_px`` of a pixel's
   shift towards its neighbours: edges moved by interpolation stay dark, a new 1 px line does not.
2. **Detector bank** on the residual (responses in the residual's own units, i.e. a contrast):
   a fine channel (Gaussian sigma 0.7: 1-2 px spots and lines), eight oriented line filters (elongated
   Gaussians, sigma 0.8 across, 3.5 along: thin scratches and hairline cracks at any angle), spot and
   blob channels (sigma 1.6, 3.5: chips, spots, small stains), a shading channel (sigma 8 minus a robust
   background: dents and soft stains) and a colour shading channel per opponent colour (sigma 8: tinted
   stains; finer colour channels were dropped: JPEG's 4:2:0 chroma churns at that scale).
3. **Significance** of each response against what the laundering does to that texture in this photo and
   in this place (:mod:`noise`): ``z = response / max(texture model, local scale, floor)``.
4. **Visibility** of the change to a person: its contrast over a just-noticeable difference that grows
   with the reference's local texture contrast (contrast masking), so a change a person could not see
   is never reported however significant, and a faint line on a flat surface is.
5. **Regions**: hysteresis (peaks at ``seed_z`` that are visible, grown down to ``grow_z``), no peaks in
   the framing band along the reference's edge (screenshot frames, borders, JPEG blocks straddling the
   edge), regions down to ``min_area_px``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from refundguard.checks._align.noise import TextureModel, chroma_energy, local_scale, texture_energy
from refundguard.checks._align.settings import ChangeSettings
from refundguard.checks._align.sharpness import match_sharpness

#: detector channels: name -> (residual channel, kind, sigma, coarse cell of the local scale or 0)
CHANNELS: tuple[tuple[str, int, str, float, int], ...] = (
    ("fine", 0, "gauss", 0.7, 6),
    ("line", 0, "line", 0.8, 6),
    ("spot", 0, "gauss", 1.6, 6),
    ("blob", 0, "gauss", 3.5, 12),
    ("shading", 0, "shade", 8.0, 0),
    ("colour_shading", 1, "shade", 8.0, 24),
    ("colour_shading", 2, "shade", 8.0, 24),
)
LINE_ANGLES = 8
TOP_PIXELS = 48
LARGE_CHANGE = 0.05  # gray: a smoothed change above this and above the local contrast is never noise
CORRELATION_AREA = 9.0
LINE_ALONG = 3.5
BACKGROUND_CELL = 64
SMOOTH_SIGMA = 3.5  # channels this coarse spread a strong change into its neighbours (see _own_share)


@dataclass(frozen=True)
class ChangedRegion:
    """One changed region (working pixels of the compared frame).

    Attributes
    ----------
    label : its index in :attr:`Changes.labels`.
    box : (x, y, w, h).
    area : pixels.
    peak_z : highest significance of one pixel inside (noise units).
    significance : the region's evidence: root of the summed squared significance of its strongest
        pixels (at most 48) over the area one noise blob spans (9 px). A thin scratch of 40 px at z 5 is
        as significant as a 9 px blob at z 13; a single noisy pixel is not.
    contrast : the strongest response inside, in the residual's units (gray 0-1 or opponent chroma).
    visibility : mean contrast over the just-noticeable difference on those pixels, times the fourth
        root of their count in blob areas (spatial summation: a longer line is seen at lower contrast).
    channel : the detector channel of the peak ("fine", "line", "spot", "blob", "shading", "colour", ...).
    lighter : share of the region's luminance change that brightens (0 = all darker, 1 = all lighter).
    peak_visible_z : the significance of its strongest pixel that is visible on its own.
    """

    label: int
    box: tuple[int, int, int, int]
    area: int
    peak_z: float
    significance: float
    contrast: float
    visibility: float
    channel: str
    lighter: float
    peak_visible_z: float = 0.0


@dataclass(frozen=True)
class Changes:
    """Changed area of the claim (working pixels).

    Attributes
    ----------
    heat : (h, w) float32 in [0, 1], 0 outside the reference footprint; values >= 0.5 mark exactly the
        changed pixels (``mask``), lower values show sub-threshold significance.
    mask : (h, w) bool, the changed pixels.
    labels : (h, w) int32, region labels (0 = unchanged); ``regions[i].label`` indexes it.
    regions : the changed regions, most visible first.
    noise : median texture-model scale of the fine luminance channel (laundering noise level).
    share : changed pixels / footprint pixels.
    framing : pixels of the footprint's edge band treated as framing (never a peak).
    residual : (h, w, 3) tolerant residual (luminance, red-green, yellow-blue), for the region kinds.
    z : (h, w) float32, each pixel's highest significance over the channels (noise units).
    visibility : (h, w) float32, the contrast over the just-noticeable difference of that channel.
    """

    heat: np.ndarray
    mask: np.ndarray
    labels: np.ndarray
    regions: list[ChangedRegion]
    noise: float
    share: float
    framing: np.ndarray = field(repr=False)
    residual: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0), np.float32))
    visibility: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0), np.float32))

    @property
    def boxes(self) -> list[tuple[int, int, int, int]]:
        return [r.box for r in self.regions]


def opponent(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32: luminance, red-green and yellow-blue opponent channels of an RGB image."""
    r, g, b = cv2.split(rgb)
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    return cv2.merge([lum, r - g, 0.5 * (r + g) - b])


def tolerant_residual(claim: np.ndarray, ref: np.ndarray, tolerance: float) -> np.ndarray:
    """Claim minus the part of its difference a ``tolerance``-pixel shift of the reference explains."""
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    lo = cv2.erode(ref, cross)
    hi = cv2.dilate(ref, cross)
    lo = ref - tolerance * (ref - lo)
    hi = ref + tolerance * (hi - ref)
    return claim - np.clip(claim, lo, hi)


def _line_kernels(sigma: float) -> list[np.ndarray]:
    half = int(np.ceil(3 * LINE_ALONG))
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float32)
    out = []
    for k in range(LINE_ANGLES):
        t = np.pi * k / LINE_ANGLES
        along = xx * np.cos(t) + yy * np.sin(t)
        across = -xx * np.sin(t) + yy * np.cos(t)
        kern = np.exp(-0.5 * ((along / LINE_ALONG) ** 2 + (across / sigma) ** 2)).astype(np.float32)
        out.append(kern / kern.sum())
    return out


_KERNELS: dict[float, list[np.ndarray]] = {}


def _background(a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Robust smooth background of ``a``: median of 64 px cell means over 5 x 5 cells, interpolated (a dent
    or stain under half of that 320 px window keeps its contrast; a colour model's smooth error does not)."""
    from scipy import ndimage

    h, w = a.shape
    size = (max(1, w // BACKGROUND_CELL), max(1, h // BACKGROUND_CELL))
    cells = cv2.resize(a * valid, size, interpolation=cv2.INTER_AREA)
    cover = cv2.resize(valid.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    cells = np.where(cover > 0.2, cells / np.maximum(cover, 1e-6), 0.0).astype(np.float32)
    med = ndimage.median_filter(cells, size=5, mode="nearest")
    return cv2.resize(med, (w, h), interpolation=cv2.INTER_LINEAR)


def _response(kind: str, sigma: float, res: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """One detector channel's response to a residual channel (signed; the line channel keeps the sign of
    the strongest orientation, and its noise is then measured on that maximum, as for any channel)."""
    if kind == "gauss":
        return cv2.GaussianBlur(res, (0, 0), sigma)
    if kind == "line":
        if sigma not in _KERNELS:
            _KERNELS[sigma] = _line_kernels(sigma)
        best: np.ndarray | None = None
        for k in _KERNELS[sigma]:
            r = cv2.filter2D(res, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)
            if best is None:
                best = r
            else:
                np.copyto(best, r, where=np.abs(r) > np.abs(best))
        assert best is not None
        return best
    smooth = cv2.GaussianBlur(res, (0, 0), sigma)
    return smooth - _background(smooth, valid)


def _masking(channel: np.ndarray) -> np.ndarray:
    """Local contrast of the reference's own detail (RMS of image minus Gaussian sigma 2, window sigma 3)."""
    hp = channel - cv2.GaussianBlur(channel, (0, 0), 2.0)
    return np.sqrt(cv2.GaussianBlur(hp * hp, (0, 0), 3.0))


def framing_band(valid: np.ndarray, margin_px: float) -> np.ndarray:
    """The footprint pixels within ``margin_px`` of its edge (framing, JPEG blocks across the edge)."""
    m = int(np.ceil(margin_px))
    if m <= 0:
        return np.zeros_like(valid)
    inner = cv2.erode(valid.astype(np.uint8), np.ones((2 * m + 1, 2 * m + 1), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)  # the photo's own edge too
    return valid & ~inner


def _shift_explains(claim: np.ndarray, ref: np.ndarray, box: tuple[int, int, int, int], labels: np.ndarray,
                    label: int, s: ChangeSettings) -> bool:
    """Whether moving the reference locally by up to ``shift_px`` (a sub-pixel grid of shifts) removes at least
    ``shift_explained`` of the region's luminance difference: an edge the homography placed slightly off
    (an alignment pulled by a large overlay, a lens the homography does not model) lights up as a pair of
    bright and dark lines along it, which a shift explains; a scratch or a spot is new and no shift of the
    reference draws it."""
    x, y, w, h = box
    pad = int(np.ceil(s.shift_px)) + 2
    hh, ww = claim.shape
    ya, yb, xa, xb = max(0, y - pad), min(hh, y + h + pad), max(0, x - pad), min(ww, x + w + pad)
    region = labels[ya:yb, xa:xb] == label
    region = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    c, r = claim[ya:yb, xa:xb], ref[ya:yb, xa:xb]
    base = float(np.abs(c - r)[region].sum())
    if base <= 0:
        return True
    steps = np.arange(-s.shift_px, s.shift_px + 1e-6, 0.5)
    best = base
    for dy in steps:
        for dx in steps:
            if dx == 0 and dy == 0:
                continue
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            moved = cv2.warpAffine(r, m, (r.shape[1], r.shape[0]), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)
            best = min(best, float(np.abs(c - moved)[region].sum()))
    return best <= (1.0 - s.shift_explained) * base


def _moves_light(diff: np.ndarray, labels: np.ndarray, box: tuple[int, int, int, int], label: int,
                 s: ChangeSettings) -> bool:
    """Whether the region's luminance difference only moves light around: smoothed by a Gaussian of
    ``coherence_sigma`` px, it keeps under ``min_coherence`` of its mass. Resampling (a perspective warp's
    interpolation, a resize), a slightly misplaced edge and re-encoding redistribute light locally — bright
    and dark dashes side by side along an edge, which cancel when smoothed; a scratch, a spot, a stain or a
    dent adds or removes light, one-signed over its own size, and keeps most of its mass."""
    x, y, w, h = box
    pad = int(np.ceil(3 * s.coherence_sigma)) + 2
    hh, ww = diff.shape
    ya, yb, xa, xb = max(0, y - pad), min(hh, y + h + pad), max(0, x - pad), min(ww, x + w + pad)
    region = cv2.dilate((labels[ya:yb, xa:xb] == label).astype(np.uint8), np.ones((3, 3), np.uint8))
    d = diff[ya:yb, xa:xb] * region
    mass = float(np.abs(d).sum())
    if mass <= 0:
        return True
    kept = float(np.abs(cv2.GaussianBlur(d, (0, 0), s.coherence_sigma)).sum())
    return kept < s.min_coherence * mass


def _own_share(res: np.ndarray, kind: str, sigma: float, labels: np.ndarray, box: tuple[int, int, int, int],
               label: int) -> float:
    """Share of a smooth channel's response over a region that the region's own residual gives.

    A coarse filter (the blob and shading channels, sigma 3.5-8 px) spreads a strong change into the pixels
    beside it: next to a viewer's bar, a sticker or a watermark (an overlay, with its JPEG ringing and
    sharpening halo) it draws a band of "shading" that nothing in the band itself explains. The response is
    recomputed from the residual inside the region (grown by 1 px) only and compared with the full one over
    the region's pixels; a dent or a stain is its own cause and keeps most of it."""
    x, y, w, h = box
    pad = int(np.ceil(3 * sigma)) + 2
    hh, ww = labels.shape
    ya, yb, xa, xb = max(0, y - pad), min(hh, y + h + pad), max(0, x - pad), min(ww, x + w + pad)
    region = labels[ya:yb, xa:xb] == label
    own = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32)
    r = res[ya:yb, xa:xb]
    full = cv2.GaussianBlur(r, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    mine = cv2.GaussianBlur(r * own, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    total = float(np.abs(full[region]).sum())
    if total <= 0 or kind not in ("gauss", "shade"):
        return 1.0
    return float(np.abs(mine[region]).sum()) / total


def _dropped_by(s: ChangeSettings, significance: float, visibility: float, peak_visible: float, channel: int,
                kind: str, sigma: float, c_opp: np.ndarray, r_opp: np.ndarray, res: np.ndarray, labels: np.ndarray,
                box: tuple[int, int, int, int], label: int) -> str:
    """The rule that drops a candidate region ("" when it is a change)."""
    if (significance < s.seed_z or visibility < s.min_visibility) and peak_visible < s.peak_z:
        return "weak" if significance < s.seed_z else "invisible"
    if channel == 0 and _moves_light(c_opp[:, :, 0] - r_opp[:, :, 0], labels, box, label, s):
        return "moves_light"  # resampling or re-encoding moved light along an edge; nothing was added
    if s.min_own_response > 0 and sigma >= SMOOTH_SIGMA and _own_share(
            res[:, :, channel], kind, sigma, labels, box, label) < s.min_own_response:
        return "tail"  # the tail of a stronger change beside it (an overlay's edge), not a change of its own
    if s.shift_explained < 1.0 and _shift_explains(c_opp[:, :, 0], r_opp[:, :, 0], box, labels, label, s):
        return "shift"  # a local misregistration (an edge moved), not a change
    return ""


def _raw_visibility(c_opp: np.ndarray, r_opp: np.ndarray, valid: np.ndarray, best_ch: np.ndarray,
                    jnd: tuple[np.ndarray, np.ndarray], box: tuple[int, int, int, int], sub: np.ndarray,
                    order: np.ndarray, fallback: np.ndarray) -> float:
    """The region's visibility on the untolerated difference: a person compares the two photos as they are,
    and the half-pixel tolerance, which keeps interpolated edges out of the significance, also takes most of
    the contrast of a 1-2 px scratch or spot in texture. Each of the region's strongest pixels is measured in
    its own detector channel when that channel is fine (sigma below :data:`SMOOTH_SIGMA`: a coarse channel
    hardly depends on the tolerance), else it keeps ``fallback`` (its visibility on the tolerated one)."""
    x, y, w, h = box
    pad = int(np.ceil(3 * SMOOTH_SIGMA)) + 2
    hh, ww = valid.shape
    ya, yb, xa, xb = max(0, y - pad), min(hh, y + h + pad), max(0, x - pad), min(ww, x + w + pad)
    raw = (c_opp[ya:yb, xa:xb] - r_opp[ya:yb, xa:xb]) * valid[ya:yb, xa:xb, None]
    py, px = np.nonzero(sub)
    py, px = py[order] + y - ya, px[order] + x - xa
    chans = best_ch[y:y + h, x:x + w][sub][order]
    vis = fallback.astype(np.float32).copy()
    for ci in np.unique(chans):
        _, channel, kind, sigma, _ = CHANNELS[int(ci)]
        if sigma >= SMOOTH_SIGMA or kind not in ("gauss", "line"):
            continue
        resp = np.abs(_response(kind, sigma, np.ascontiguousarray(raw[:, :, channel]), valid[ya:yb, xa:xb]))
        at = chans == ci
        j = jnd[0 if channel == 0 else 1][ya:yb, xa:xb]
        vis[at] = np.maximum(vis[at], resp[py[at], px[at]] / j[py[at], px[at]])
    return float(np.mean(vis) * (len(vis) / CORRELATION_AREA) ** 0.25)


def find_changes(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, unchanged: np.ndarray | None = None,
                 settings: ChangeSettings | None = None, claim_scale: float = 1.0,
                 trace: list[dict[str, object]] | None = None) -> Changes:
    """Find the changed regions of an aligned pair (see module docstring).

    Parameters
    ----------
    claim, ref : (h, w, 3) float32 RGB in [0, 1], aligned and colour-normalised.
    valid : pixels the reference covers.
    unchanged : optional pixels known to share the capture (tiles whose fine detail correlates); the
        noise statistics are taken there, so an edit covering much of the photo cannot inflate them.
    settings : thresholds (defaults when None).
    claim_scale : working pixels per claim pixel (the framing margin is given in claim pixels).
    trace : when given, every candidate region that reached ``grow_z + 1`` is appended to it with its
        measures and the rule that dropped it (``"kept"`` when reported), for the benchmark's diagnostics.
    """
    s = settings or ChangeSettings()
    framing = framing_band(valid, s.framing_margin_px * claim_scale + 1.0)
    inner = valid & ~framing
    stats = inner
    if unchanged is not None and int((unchanged & stats).sum()) >= max(500, 0.05 * int(stats.sum())):
        stats = unchanged & stats
    claim, ref, _ = match_sharpness(claim, ref, stats)
    c_opp, r_opp = opponent(claim), opponent(ref)
    res = tolerant_residual(c_opp, r_opp, s.tolerance_px)
    res[~valid] = 0.0
    # laundering changes texture by a fraction of its own contrast; a change larger than the photo's local
    # contrast (a torn hole, a pasted object) is an edit, and is kept out of the noise statistics so that a
    # large edit cannot raise the noise scale it is judged against
    big = np.abs(cv2.GaussianBlur(res[:, :, 0], (0, 0), 1.6)) > np.maximum(LARGE_CHANGE, _masking(r_opp[:, :, 0]))
    big = cv2.dilate(big.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    if int((stats & ~big).sum()) >= 500:
        stats = stats & ~big
    models = {0: TextureModel(texture_energy(r_opp[:, :, 0]), stats)}
    models[1] = models[2] = TextureModel(chroma_energy(r_opp), stats, by_place=False)
    jnd_lum = s.jnd_base + s.jnd_masking * _masking(r_opp[:, :, 0])
    jnd_chroma = s.chroma_jnd + s.jnd_masking * np.maximum(_masking(r_opp[:, :, 1]), _masking(r_opp[:, :, 2]))

    best_z = np.zeros(valid.shape, np.float32)
    best_v = np.zeros(valid.shape, np.float32)
    best_c = np.zeros(valid.shape, np.float32)
    best_ch = np.zeros(valid.shape, np.int8)
    noise = 0.0
    for ci, (name, channel, kind, sigma, cell) in enumerate(CHANNELS):
        resp = _response(kind, sigma, res[:, :, channel], valid)
        model_scale, typical = models[channel].scale(resp, s.noise_floor)
        scale = np.maximum(local_scale(resp, cell, model_scale), model_scale) if cell else model_scale
        mag = np.abs(resp)
        z = mag / scale
        z[~valid] = 0.0
        if name == "fine":
            noise = typical
        better = z > best_z
        np.copyto(best_z, z, where=better)
        np.copyto(best_v, mag / (jnd_lum if channel == 0 else jnd_chroma), where=better)
        np.copyto(best_c, mag, where=better)
        best_ch[better] = ci

    grow = ((best_z >= s.grow_z) & valid).astype(np.uint8)
    grow = cv2.morphologyEx(grow, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) & valid.astype(np.uint8)
    n, labels, st, _ = cv2.connectedComponentsWithStats(grow, connectivity=8)
    regions: list[ChangedRegion] = []
    keep = np.zeros(n, bool)
    lum_res = res[:, :, 0]
    for i in range(1, n):
        if st[i, cv2.CC_STAT_AREA] < s.min_area_px:
            continue
        x, y, w, h = (int(v) for v in st[i, :4])
        sub = (labels[y:y + h, x:x + w] == i) & inner[y:y + h, x:x + w]
        if not sub.any():
            continue  # wholly in the framing band
        zi = best_z[y:y + h, x:x + w][sub]
        if float(zi.max()) < s.grow_z + 1.0:
            continue
        order = np.argsort(zi)[::-1][:TOP_PIXELS]
        top = zi[order]
        significance = float(np.sqrt(np.sum(top * top) / CORRELATION_AREA))
        vis_top = best_v[y:y + h, x:x + w][sub][order]
        visibility = float(np.mean(vis_top) * (len(top) / CORRELATION_AREA) ** 0.25)
        # a small spot spans too few pixels to sum up evidence: its strongest visible pixel alone may decide
        visible_z = zi * (best_v[y:y + h, x:x + w][sub] >= s.min_visibility)
        peak_visible = float(visible_z.max())
        py0, px0 = divmod(int(np.flatnonzero(sub)[order[0]]), w)  # the region's peak
        name, channel, kind, sigma, _ = CHANNELS[int(best_ch[y + py0, x + px0])]
        if 0 < s.raw_visibility_z <= float(top[0]) and significance >= s.seed_z and visibility < s.min_visibility:
            # significant beyond doubt, yet not visible once the tolerance took its share: judge its contrast as
            # a person sees it, on the photos as they are
            visibility = max(visibility, _raw_visibility(c_opp, r_opp, valid, best_ch, (jnd_lum, jnd_chroma),
                                                         (x, y, w, h), sub, order, vis_top))
        why = _dropped_by(s, significance, visibility, peak_visible, channel, kind, sigma, c_opp, r_opp, res,
                          labels, (x, y, w, h), i)
        if trace is not None:
            trace.append({"label": i, "box": (x, y, w, h), "area": int(st[i, cv2.CC_STAT_AREA]),
                          "peak_z": float(top[0]), "significance": significance, "visibility": visibility,
                          "peak_visible_z": peak_visible, "channel": name, "dropped": why or "kept"})
        if why:
            continue
        py, px = py0, px0
        lr = lum_res[y:y + h, x:x + w][labels[y:y + h, x:x + w] == i]
        mag = float(np.abs(lr).sum())
        keep[i] = True
        regions.append(ChangedRegion(
            label=i, box=(x, y, w, h), area=int(st[i, cv2.CC_STAT_AREA]), peak_z=float(top[0]),
            significance=significance, contrast=float(best_c[y + py, x + px]), visibility=visibility,
            peak_visible_z=peak_visible,
            channel=CHANNELS[int(best_ch[y + py, x + px])][0],
            lighter=float(np.clip(lr, 0, None).sum() / mag) if mag > 0 else 0.5))
    regions.sort(key=lambda r: -r.visibility)
    mask = keep[labels]
    labels = np.where(mask, labels, 0).astype(np.int32)
    footprint = max(1, int(valid.sum()))
    heat = np.clip(best_z / (2.0 * s.seed_z), 0.0, 1.0)
    heat = np.where(mask, 0.5 + 0.5 * heat, np.minimum(heat, 0.49)) * valid
    return Changes(heat=heat.astype(np.float32), mask=mask, labels=labels, regions=regions, noise=noise,
                   share=float(mask.sum()) / footprint, framing=framing, residual=res, z=best_z, visibility=best_v)
