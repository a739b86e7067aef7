"""Fingerprints of evidence photos: what the reuse index stores instead of pixels.

Two kinds of fingerprint, both 256-bit binary codes compared by Hamming distance:

* **whole image** — PDQ (Meta's perceptual hash, via the ``pdqhash`` package) of the full photo and,
  when the photo sits inside a screenshot or a frame, of the framed content alone. A query also uses
  the eight dihedral variants PDQ provides (rotations by 90° and mirror images). PDQ survives scaling,
  JPEG re-encoding and colour filters, but not crops beyond ~2 %.
* **local features** — ORB keypoint descriptors (256 bits each) with their positions, normalised by
  the longer image side. Matching them and checking that the matches agree on one similarity transform
  finds photos that were cropped (by up to 20 % and more), framed or rescaled, and finds the same damage
  pattern pasted on different products (the fingerprint of a damage region).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pdqhash

from refundguard.findings import Region

HASH_BYTES = 32
#: the longer side the photo is resized to before local features are extracted
LOCAL_SIDE = 640
#: the longer side the photo is reduced to (area averaging) before its PDQ code is taken. PDQ box-filters the
#: photo down to 64x64 anyway; its authors call filtering megapixel input "prohibitively time-consuming" and
#: resize first (hashing.pdf). On a 12 MP camera photo this takes the code from 1.1 CPU-s to 0.03, and the code
#: stays within 4-8 of 256 bits of the full-size one (the match threshold is 31).
PDQ_SIDE = 1024
#: local descriptors stored per photo (the strongest, spread over the photo)
STORED_FEATURES = 64
#: local descriptors extracted from a query photo
QUERY_FEATURES = 400
#: smallest damage region (pixels on each side) that gets a local fingerprint
MIN_REGION_SIDE = 24
#: margin added around a damage region before its fingerprint is taken (share of each side); the
#: surroundings differ between a template and its reuse, so none is added by default
REGION_MARGIN = 0.0


@dataclass(frozen=True, slots=True)
class LocalFeatures:
    """ORB descriptors ``(n, 32) uint8`` and keypoint positions ``(n, 2) float32`` in [0, 1].

    Positions are divided by the longer side of the image (or region), so a crop, a uniform rescale
    or a rotation maps stored positions to query positions by one similarity transform.
    """

    descriptors: np.ndarray
    points: np.ndarray

    def __len__(self) -> int:
        return int(self.descriptors.shape[0])

    @staticmethod
    def empty() -> LocalFeatures:
        return LocalFeatures(np.zeros((0, HASH_BYTES), np.uint8), np.zeros((0, 2), np.float32))


@dataclass(frozen=True, slots=True)
class ImageFingerprint:
    """Everything the index keeps about one photo.

    ``hashes`` are the PDQ codes stored for the photo (full image first, then the framed content when
    it differs); ``variants`` are the codes a query searches with (the dihedral variants of each stored
    code); ``quality`` is PDQ's own 0–100 quality (low for flat, featureless photos); ``local`` holds
    the local features.
    """

    hashes: tuple[bytes, ...]
    variants: tuple[bytes, ...]
    quality: int
    local: LocalFeatures


@dataclass(frozen=True, slots=True)
class RegionFingerprint:
    """The local features of one suspected damage region, with the region in image coordinates."""

    region: Region
    local: LocalFeatures


def pack_bits(bits: np.ndarray) -> bytes:
    """Pack a 256-element 0/1 vector (PDQ's output order) into 32 bytes, most significant bit first."""
    return np.packbits(np.asarray(bits, dtype=np.uint8).reshape(-1)[:256]).tobytes()


def hamming(a: bytes, b: bytes) -> int:
    """Hamming distance between two packed codes of equal length."""
    x = np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)
    return int(np.unpackbits(x).sum())


def _rgb(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)


def _reduced(rgb: np.ndarray, side: int) -> np.ndarray:
    """``rgb`` area-averaged so that its longer side is at most ``side`` (itself when already that small)."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return rgb
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def pdq_codes(pixels: np.ndarray) -> tuple[bytes, tuple[bytes, ...], int]:
    """PDQ of an RGB image (reduced to :data:`PDQ_SIDE` first): (code, its 8 dihedral variants, quality).

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB (or (H, W) grey).
    """
    rgb = _reduced(_rgb(pixels), PDQ_SIDE)
    # one pass: the first dihedral variant is the code itself (pdqhash.compute would filter the photo again,
    # 1.1 CPU-s more on a 12 MP photo, for the same code and quality)
    variants, quality = pdqhash.compute_dihedral(rgb)
    return pack_bits(variants[0]), tuple(pack_bits(v) for v in variants), int(quality)


def content_box(pixels: np.ndarray, *, flat_share: float = 0.7, min_keep: float = 0.3) -> Region:
    """The box of the photo inside a screenshot or frame: trims flat bars and margins from each side.

    A row (column) is *flat* when one coarse colour (16 levels per channel) covers at least
    ``flat_share`` of it: uniform margins, status and navigation bars with small text or icons.
    Flat rows are trimmed from the top and bottom, then flat columns from the left and right. The
    same rule applied to the original photo and to its framed copy yields the same content, which
    is what makes the content's PDQ code match. Returns the full image when less than ``min_keep``
    of either side would remain.
    """
    h, w = pixels.shape[:2]
    step = max(1, max(h, w) // 384)
    small = _rgb(pixels)[::step, ::step] // 16
    codes = (small[..., 0].astype(np.int32) << 8) | (small[..., 1].astype(np.int32) << 4) | small[..., 2]

    def flat(lines: np.ndarray) -> np.ndarray:
        out = np.zeros(lines.shape[0], bool)
        for i, line in enumerate(lines):
            out[i] = np.bincount(line, minlength=1).max() >= flat_share * line.size
        return out

    rows = flat(codes)
    top = int(np.argmin(rows)) if not rows.all() else 0
    bottom = len(rows) - int(np.argmin(rows[::-1])) if not rows.all() else len(rows)
    cols = flat(codes[top:bottom].T) if bottom > top else np.ones(codes.shape[1], bool)
    left = int(np.argmin(cols)) if not cols.all() else 0
    right = len(cols) - int(np.argmin(cols[::-1])) if not cols.all() else len(cols)
    x0, y0 = left * step, top * step
    x1, y1 = min(w, right * step), min(h, bottom * step)
    if (x1 - x0) < min_keep * w or (y1 - y0) < min_keep * h:
        return Region(0, 0, w, h)
    return Region(x0, y0, x1 - x0, y1 - y0)


def local_features(gray: np.ndarray, count: int, *, side: int = LOCAL_SIDE) -> LocalFeatures:
    """ORB descriptors of the ``count`` strongest keypoints, spread over the image.

    Parameters
    ----------
    gray : (H, W) luma, any numeric dtype in [0, 255].
    count : how many keypoints to keep (fewer when the image has fewer corners).
    side : the longer side the image is resized to first, so fingerprints do not depend on resolution.
    """
    img = np.clip(gray, 0, 255).astype(np.uint8)
    h, w = img.shape[:2]
    scale = side / max(h, w)
    if scale < 1.0 or max(h, w) < side // 2:
        img = cv2.resize(img, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
                         if scale < 1 else cv2.INTER_LINEAR)
    h2, w2 = img.shape[:2]
    orb = cv2.ORB_create(nfeatures=max(count * 3, 200), scaleFactor=1.2, nlevels=8, edgeThreshold=15,
                         patchSize=31, fastThreshold=10)
    keypoints, descriptors = orb.detectAndCompute(img, None)
    if descriptors is None or not keypoints:
        return LocalFeatures.empty()
    chosen = _spread(keypoints, count, w2, h2)
    pts = np.array([keypoints[i].pt for i in chosen], np.float32) / float(max(h2, w2))
    return LocalFeatures(np.ascontiguousarray(descriptors[chosen], np.uint8), pts)


def _spread(keypoints: list[cv2.KeyPoint], count: int, w: int, h: int, grid: int = 4) -> list[int]:
    """Pick up to ``count`` keypoints by response, round-robin over a grid so no corner of the image dominates."""
    cells: dict[tuple[int, int], list[int]] = {}
    for i in sorted(range(len(keypoints)), key=lambda j: -keypoints[j].response):
        x, y = keypoints[i].pt
        cells.setdefault((min(grid - 1, int(x * grid / w)), min(grid - 1, int(y * grid / h))), []).append(i)
    chosen: list[int] = []
    queues = list(cells.values())
    depth = 0
    while len(chosen) < count and any(depth < len(q) for q in queues):
        for q in queues:
            if depth < len(q) and len(chosen) < count:
                chosen.append(q[depth])
        depth += 1
    return chosen


@dataclass(frozen=True, slots=True)
class PhotoCodes:
    """The part of a photo's fingerprint that does not depend on how many local features are kept.

    ``hashes``, ``variants`` and ``quality`` are those of :class:`ImageFingerprint`; ``small`` is the photo
    reduced to :data:`LOCAL_SIDE` (RGB uint8), the picture local features (and those of its mirror image) are
    taken from. A query (``QUERY_FEATURES``) and the record of the same photo (``STORED_FEATURES``) differ only in
    the ORB step, so an analysis makes these once (:func:`photo_codes`) and both fingerprints from them.
    """

    hashes: tuple[bytes, ...]
    variants: tuple[bytes, ...]
    quality: int
    small: np.ndarray


def photo_codes(pixels: np.ndarray) -> PhotoCodes:
    """PDQ codes (the photo's and, inside a screenshot or frame, its content's) and the reduced copy of a photo.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB.
    """
    rgb = _rgb(pixels)
    code, variants, quality = pdq_codes(rgb)
    hashes = [code]
    all_variants = list(variants)
    box = content_box(rgb)
    h, w = rgb.shape[:2]
    if box.w < 0.97 * w or box.h < 0.97 * h:
        inner = rgb[box.y:box.y + box.h, box.x:box.x + box.w]
        inner_code, inner_variants, _ = pdq_codes(inner)
        hashes.append(inner_code)
        all_variants.extend(inner_variants)
    return PhotoCodes(hashes=tuple(hashes), variants=tuple(dict.fromkeys(all_variants)), quality=quality,
                      small=_reduced(rgb, LOCAL_SIDE))


def image_fingerprint(pixels: np.ndarray, *, features: int = STORED_FEATURES,
                      codes: PhotoCodes | None = None) -> ImageFingerprint:
    """Fingerprint of one photo for the reuse index.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB.
    features : how many local descriptors to keep (``STORED_FEATURES`` to store, ``QUERY_FEATURES`` to query).
    codes : :func:`photo_codes` of ``pixels`` when already made (the same fingerprint, without making them again).
    """
    codes = codes if codes is not None else photo_codes(pixels)
    gray = _luma(codes.small)  # reduced before the grey: the same picture, 1/40 of the work at 12 MP
    return ImageFingerprint(hashes=codes.hashes, variants=codes.variants, quality=codes.quality,
                            local=local_features(gray, features))


def mirrored_local(pixels: np.ndarray | PhotoCodes, count: int = QUERY_FEATURES) -> LocalFeatures:
    """Local features of the mirror image (ORB is rotation- but not mirror-invariant) of a photo, given as its
    pixels or its :func:`photo_codes`."""
    small = pixels.small if isinstance(pixels, PhotoCodes) else _reduced(_rgb(pixels), LOCAL_SIDE)
    return local_features(_luma(np.ascontiguousarray(small[:, ::-1])), count)


def region_fingerprint(pixels: np.ndarray, region: Region, *, features: int = STORED_FEATURES) -> RegionFingerprint:
    """Local features of one damage region (plus ``REGION_MARGIN``), resized so its longer side is 256 px.

    Raises
    ------
    ValueError
        When the region is smaller than ``MIN_REGION_SIDE`` pixels or outside the image.
    """
    h, w = pixels.shape[:2]
    mx, my = int(region.w * REGION_MARGIN), int(region.h * REGION_MARGIN)
    x0, y0 = max(0, region.x - mx), max(0, region.y - my)
    x1, y1 = min(w, region.x + region.w + mx), min(h, region.y + region.h + my)
    if x1 - x0 < MIN_REGION_SIDE or y1 - y0 < MIN_REGION_SIDE:
        raise ValueError(f"region {region.to_dict()} is too small or outside the {w}x{h} image")
    crop = _rgb(pixels)[y0:y1, x0:x1]
    gray = 0.299 * crop[..., 0] + 0.587 * crop[..., 1] + 0.114 * crop[..., 2]
    return RegionFingerprint(region=Region(x0, y0, x1 - x0, y1 - y0), local=local_features(gray, features, side=256))
