"""Signs that a live shot photographs a screen or a print instead of the item.

- **Periodic chroma** (moiré and pixel grids): a screen's sub-pixels (or a print's halftone dots) sampled by a
  camera leave narrow peaks in the spectrum of the colour-difference channels, far above the smooth spectrum of
  a real scene. Each tile of the photo's centre is tested at full resolution; JPEG's 8- and 16-pixel block
  frequencies and the demosaicing Nyquist line are ignored (every camera photo has them). A real periodic
  texture (a knit, a mesh) covers part of a photo; a screen covers the picture it shows, so the share of tiles
  with such peaks is what counts.
- **A picture inside the picture**: when the claim photo maps into a live shot with its whole frame inside the
  shot, and the shot has a straight edge along the claim photo's mapped border, the shot shows the claim photo
  itself, displayed or printed.
- **Flat geometry**: everything the shot shares with the claim photo lies on one plane. Flat items exist (a
  phone, a book), so this only strengthens the other two signs, never stands alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TILE = 256


@dataclass(frozen=True)
class Periodicity:
    """Spectral peaks of the colour-difference channels over the tiles of a photo's centre."""

    tiles: int
    peaked: int  # tiles with a peak at least ``prominence`` above the spectrum around it
    strongest: float  # largest peak, in natural-log units above the local spectrum

    @property
    def share(self) -> float:
        return self.peaked / self.tiles if self.tiles else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"tiles": self.tiles, "tiles_with_peaks": self.peaked, "share": round(self.share, 3),
                "strongest_peak": round(self.strongest, 2)}


def _mask(n: int) -> np.ndarray:
    """Frequencies compared (True), on an ``n``×``n`` shifted spectrum: away from DC, off the block lines."""
    f = np.fft.fftshift(np.fft.fftfreq(n))
    fy, fx = np.meshgrid(f, f, indexing="ij")
    radius = np.hypot(fx, fy)
    keep = (radius >= 0.06) & (radius <= 0.5)
    for axis in (fx, fy):
        on_block = np.abs(((axis * 16) + 0.5) % 1 - 0.5) * n / 16 < 1.01  # multiples of 1/16 cycles per pixel
        keep &= ~on_block
        keep &= np.abs(np.abs(axis) - 0.5) * n > 2  # the Nyquist line of demosaicing
    return keep


_KEEP = _mask(TILE)
_WINDOW = np.outer(np.hanning(TILE), np.hanning(TILE)).astype(np.float32)


def _ring(inner: int, outer: int) -> np.ndarray:
    y, x = np.mgrid[-outer:outer + 1, -outer:outer + 1]
    r = np.hypot(x, y)
    return ((r >= inner) & (r <= outer)).astype(np.uint8)


_RING = _ring(3, 4)


def _prominence(channel: np.ndarray) -> float:
    """The most isolated strong peak of a tile's power spectrum, as log10 of its ratio to the spectrum there.

    A peak counts by the smaller of two ratios: to the local median (how far above the spectrum it stands) and
    to the strongest bin on a ring 3–4 bins around it (how isolated it is: the spectral streak of a straight
    edge has neighbours along the streak; a sampled grid's peak has none).
    """
    tile = (channel - channel.mean()) * _WINDOW
    power = (np.abs(np.fft.fftshift(np.fft.fft2(tile))) ** 2).astype(np.float32)
    level = cv2.blur(cv2.morphologyEx(power, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)), (9, 9)) + 1e-6
    around = cv2.dilate(power, _RING) + 1e-6
    ratio = np.minimum(power / level, power / around)
    return float(np.log10(np.where(_KEEP, ratio, 0.0).max() + 1e-9))


def periodicity(rgb: np.ndarray, *, prominence: float, grid: int = 4) -> Periodicity:
    """Test up to ``grid``×``grid`` full-resolution tiles of the central 80 % of ``rgb`` for periodic chroma."""
    h, w = rgb.shape[:2]
    if min(h, w) < TILE:
        return Periodicity(0, 0, 0.0)
    x0, y0, x1, y1 = int(w * 0.1), int(h * 0.1), int(w * 0.9), int(h * 0.9)
    if x1 - x0 < TILE or y1 - y0 < TILE:
        x0, y0, x1, y1 = 0, 0, w, h
    xs = np.linspace(x0, x1 - TILE, grid).astype(int) if x1 - x0 > TILE else [x0]
    ys = np.linspace(y0, y1 - TILE, grid).astype(int) if y1 - y0 > TILE else [y0]
    tiles = peaked = 0
    strongest = 0.0
    for y in ys:
        for x in xs:
            # each tile converted alone: the photo's other pixels are never read (a 12 MP shot's whole conversion
            # cost more than its 16 tiles' spectra)
            block = cv2.cvtColor(np.ascontiguousarray(rgb[y:y + TILE, x:x + TILE]), cv2.COLOR_RGB2YCrCb
                                 ).astype(np.float32)
            if float(block[..., 0].std()) < 2.0:  # flat (a blank wall): nothing to sample
                continue
            tiles += 1
            peak = max(_prominence(block[..., 1]), _prominence(block[..., 2]))
            strongest = max(strongest, peak)
            peaked += peak >= prominence
    return Periodicity(tiles, peaked, strongest)


def frame_edge_support(gray: np.ndarray, quad: np.ndarray, *, margin: float = 0.01) -> float:
    """Share of a quadrilateral's border (``quad``: 4×2, in ``gray``'s pixels) that lies inside the photo and
    runs along a straight edge there (gradient across the border, at least twice the photo's typical one).

    0 when the quadrilateral is not inside the photo (a re-framed real view puts the claim photo's frame partly
    outside the shot, or on arbitrary scene content).
    """
    h, w = gray.shape
    inside = ((quad[:, 0] >= margin * w) & (quad[:, 0] <= (1 - margin) * w) & (quad[:, 1] >= margin * h)
              & (quad[:, 1] <= (1 - margin) * h))
    if inside.sum() < 3:
        return 0.0
    g = gray.astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    typical = float(np.percentile(np.hypot(gx, gy)[::4, ::4], 75)) + 1.0
    supported = total = 0
    for k in range(4):
        p, q = quad[k], quad[(k + 1) % 4]
        length = float(np.hypot(*(q - p)))
        if length < 8:
            continue
        normal = np.array([-(q - p)[1], (q - p)[0]]) / length
        for t in np.linspace(0.05, 0.95, 40):
            x, y = p + t * (q - p)
            if not (1 <= x < w - 1 and 1 <= y < h - 1):
                continue
            total += 1
            across = 0.0
            for s in (-2.0, -1.0, 0.0, 1.0, 2.0):  # the edge may sit a pixel or two off the mapped border
                xs, ys = round(x + s * normal[0]), round(y + s * normal[1])
                if 0 <= xs < w and 0 <= ys < h:
                    across = max(across, abs(gx[ys, xs] * normal[0] + gy[ys, xs] * normal[1]))
            supported += across >= 2.0 * typical
    return supported / total if total else 0.0
