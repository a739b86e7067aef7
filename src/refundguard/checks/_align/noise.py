"""How large is a difference that laundering alone makes, here? Noise scales per texture and per place.

Re-encoding, resampling and sharpening change a photo more where it has texture: foliage, grass,
fabric and hair churn, flat walls barely move. A difference is therefore judged against two scales,
both measured on the claim/reference pair itself (no constants tuned on other photos):

- the *texture model*: the pixels are grouped into bins of the reference's local gradient energy, and the
  scale of a detector's response in each bin (its 99th percentile of absolute values / 2.576: the residual
  of a copy is sparse and heavy-tailed, so a median would be near zero), made non-decreasing in texture,
  is what this laundering does to that much texture anywhere in the photo;
- the *local scale*: the median, over a window of coarse cells, of each cell's RMS response: what the
  laundering did to *this* patch, so a patch of foliage that churns more than other textures of its
  energy does not light up. It is capped at a multiple of the texture model so a large edit cannot
  hide itself.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

BINS = 16
SAMPLES = 60000
LOCAL_WINDOW = 5  # cells of the coarse grid the local median spans (cv2.medianBlur: 3 or 5 for float)
LOCAL_CAP = 4.0  # local scale at most this multiple of the texture model
QUANTILE = 0.99
QUANTILE_Z = 2.576  # the 99th percentile of |x| for a Gaussian, in sigmas
PLACES = 4  # the statistics pixels are split into PLACES x PLACES parts of the photo ...
OUTLIER_PLACE = 2.0  # ... and the one part whose 99th percentile is this many times the parts' median is left out
MIN_PLACES = 4  # parts (with at least MIN_BIN_PX pixels of the bin) needed to compare them
MIN_BIN_PX = 20


def texture_energy(ref_gray: np.ndarray) -> np.ndarray:
    """How much fine detail each pixel of the (aligned) reference sits on: the largest absolute
    high-pass value (image minus Gaussian sigma 1) within one pixel, lightly smoothed. Resampling and
    re-encoding errors follow the image's curvature at that very place, not a broad average of it."""
    hp = np.abs(ref_gray - cv2.GaussianBlur(ref_gray, (0, 0), 1.0))
    near = cv2.dilate(hp, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(near, (0, 0), 0.7)


def chroma_energy(ref_opponent: np.ndarray) -> np.ndarray:
    """Texture energy for the colour channels: JPEG keeps chroma at half resolution and quantises it
    hard, so colour churns with the chroma detail (sigma 2) and with the luminance detail beside it."""
    lum = texture_energy(ref_opponent[:, :, 0])
    hp = [np.abs(c - cv2.GaussianBlur(c, (0, 0), 2.0)) for c in cv2.split(ref_opponent)[1:]]
    near = cv2.dilate(np.maximum(hp[0], hp[1]), np.ones((5, 5), np.uint8))
    return np.maximum(lum, cv2.GaussianBlur(near, (0, 0), 1.5))


class TextureModel:
    """Quantile bins of texture energy over the pixels used for statistics (see module docstring)."""

    def __init__(self, energy: np.ndarray, stats: np.ndarray, seed: int = 0, by_place: bool = True) -> None:
        ys, xs = np.nonzero(stats)
        if len(ys) > SAMPLES:
            pick = np.random.default_rng(seed).choice(len(ys), size=SAMPLES, replace=False)
            ys, xs = ys[pick], xs[pick]
        self.ys, self.xs = ys, xs
        self.energy = energy
        self.by_place = by_place
        values = energy[ys, xs]
        if values.size == 0:
            values = np.zeros(1, np.float32)
        edges = np.quantile(values, np.linspace(0.0, 1.0, BINS + 1))
        self.edges = np.maximum.accumulate(edges)
        self.bin_of = np.clip(np.searchsorted(self.edges, values, side="right") - 1, 0, BINS - 1)
        self.centres = np.array([float(np.median(values[self.bin_of == b])) if np.any(self.bin_of == b)
                                 else float(self.edges[b]) for b in range(BINS)])
        self.centres = np.maximum.accumulate(self.centres)
        # per-pixel position among the bin centres, for a linear interpolation of each response's scales
        pos = np.clip(np.searchsorted(self.centres, energy, side="right") - 1, 0, BINS - 2).astype(np.int32)
        lo, hi = self.centres[pos], self.centres[pos + 1]
        self.pos = pos
        self.frac = np.clip((energy - lo) / np.maximum(hi - lo, 1e-9), 0.0, 1.0).astype(np.float32)
        self.order = np.argsort(self.bin_of, kind="stable")
        bounds = np.searchsorted(self.bin_of[self.order], np.arange(BINS + 1))
        self.groups = list(itertools.pairwise(bounds))
        # the part of the photo each sample lies in: an edit (a dent, a stain) fills one place, laundering
        # churns a texture everywhere, so a bin's scale is judged over places, not pooled (see scale())
        h, w = energy.shape
        place = (ys * PLACES // max(1, h)) * PLACES + (xs * PLACES // max(1, w))
        self.key = (self.bin_of * PLACES * PLACES + place).astype(np.int64)
        self.key_order = np.argsort(self.key, kind="stable")
        self.key_bounds = np.searchsorted(self.key[self.key_order], np.arange(BINS * PLACES * PLACES + 1))

    def scale(self, response: np.ndarray, floor: float) -> tuple[np.ndarray, float]:
        """Per-pixel noise scale of ``response`` from its texture bins, and its median over bins.

        A bin's scale is the 99th percentile / 2.576 of the response's magnitude over the bin's pixels, pooled
        over the photo but for one part of it: the photo is split into PLACES x PLACES parts, and the part whose
        own 99th percentile is at least OUTLIER_PLACE times the median of the parts' is left out. A faint dent or
        stain fills more than 1 % of the flat pixels of its part and would otherwise set the pooled percentile
        (the edit judged against itself); laundering churns a texture all over the photo and leaves no part
        out. A texture that churns more in one place (foliage in a corner) is kept dark there by the local
        scale (:func:`local_scale`). Not for colour (``by_place`` False): JPEG's 4:2:0 chroma error follows an
        object's saturation, which the chroma energy does not bin — one vivid object (a green bag after q50) is a
        place of its own, and its churn must stay in the scale (tuned-0139, a copy, became an overlay)."""
        mags = np.abs(response[self.ys, self.xs])
        vals = mags[self.order]
        kv = mags[self.key_order]
        scales = np.full(BINS, floor, np.float64)
        per_bin = PLACES * PLACES
        for b, (lo, hi) in enumerate(self.groups):
            if hi - lo < MIN_BIN_PX:
                continue
            pooled = vals[lo:hi]
            parts: list[tuple[float, int]] = []
            for g in range(b * per_bin, (b + 1) * per_bin):
                plo, phi = int(self.key_bounds[g]), int(self.key_bounds[g + 1])
                if phi - plo >= MIN_BIN_PX:
                    k = int(QUANTILE * (phi - plo - 1))
                    parts.append((float(np.partition(kv[plo:phi], k)[k]), g))
            if self.by_place and len(parts) >= MIN_PLACES:
                worst, g = max(parts)
                if worst >= OUTLIER_PLACE * float(np.median([p for p, _ in parts])):
                    keep = np.ones(self.key_bounds[(b + 1) * per_bin] - self.key_bounds[b * per_bin], bool)
                    base = int(self.key_bounds[b * per_bin])
                    keep[int(self.key_bounds[g]) - base:int(self.key_bounds[g + 1]) - base] = False
                    pooled = kv[base:base + len(keep)][keep]
            k = int(QUANTILE * (len(pooled) - 1))
            scales[b] = max(floor, float(np.partition(pooled, k)[k]) / QUANTILE_Z)
        scales = np.maximum.accumulate(scales)
        s32 = scales.astype(np.float32)
        per_pixel = s32[self.pos] + self.frac * (s32[self.pos + 1] - s32[self.pos])
        return per_pixel, float(np.median(scales))


def local_scale(response: np.ndarray, cell: int, model_scale: np.ndarray) -> np.ndarray:
    """Robust local scale of ``response`` on ``cell``-px cells (median of cell RMS, window 5 cells)."""
    h, w = response.shape
    small = cv2.resize(response * response, (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA)
    med = np.sqrt(cv2.medianBlur(small, LOCAL_WINDOW))
    up = cv2.resize(med.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.minimum(up, LOCAL_CAP * model_scale)
