"""Decoders for the open ``dwtDct`` and ``dwtDctSvd`` invisible watermarks (``invisible-watermark`` schemes).

Written with NumPy and OpenCV only: the ``imwatermark`` package imports torch at module level.
What the embedder does (read from ``imwatermark/maxDct.py`` and ``dwtDctSvd.py``, 0.2.0):

1. treat the array as BGR and convert it with ``cv2.cvtColor(..., COLOR_BGR2YUV)``;
2. keep rows and columns up to a multiple of 4 and take the U channel only (scales ``[0, 36, 36]``
   but the channel loop is ``range(2)``, so V is never touched; ``dwtDctSvd`` uses ``[0, 36, 0]``);
3. one-level Haar DWT (``pywt.dwt2(..., "haar")``), approximation band LL;
4. cut LL into 4×4 blocks in raster order; block ``k`` carries payload bit ``k mod n``;
5. ``dwtDct``: the largest-magnitude sample among block positions 1..15 (no DCT is applied) is set to
   ``(|v| // 36 + 0.25 + 0.5·bit)·36``; ``dwtDctSvd``: the largest singular value of the block's
   orthonormal DCT (equal to the block's own largest singular value) is set the same way.

The decoder reads ``(value mod 36) > 18`` per block and takes a majority per bit
(``mean·255 > 127``, as the package does).

Two ways the same image can look different to the decoder than to the embedder, both handled here:

* channel order: CompVis SD1/SD2, Stability's sgm and FLUX flip RGB to BGR before embedding
  (``order="bgr"``); diffusers' SDXL pipeline passes the RGB array as if it were BGR (``order="rgb"``);
* domain: OpenCV's YUV offset is 128 for uint8 input but 0.5 for float input. CompVis embeds in uint8,
  diffusers, sgm and FLUX in float32 0–255 arrays (``domain="float"``); the saved file is uint8 either way.

Cost is bounded by decoding a full-width band from the top of the image (see :func:`decode_band`): the
block-to-bit mapping depends only on the number of block columns, so a band of whole rows keeps the
embedder's exact alignment and only drops votes. It never rescales: any resize destroys the mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

SCALE = 36.0
BLOCK = 4
#: the embedder refuses images with fewer pixels than this (``r*c < 256*256``)
MIN_PIXELS = 256 * 256
SCHEMES = ("dwtDct", "dwtDctSvd")
ORDERS = ("bgr", "rgb")
DOMAINS = ("uint8", "float")


@dataclass(frozen=True, slots=True)
class Payload:
    """A known watermark message and the matched-bit count from which a decode counts as present."""

    name: str
    bits: np.ndarray
    threshold: int
    source: str

    @property
    def length(self) -> int:
        return int(self.bits.size)


def bits_from_bytes(data: bytes) -> np.ndarray:
    """Payload bits of an ``imwatermark`` ``'bytes'`` message (most significant bit first)."""
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))


def bits_from_int(value: int) -> np.ndarray:
    """Payload bits of ``set_watermark('bits', [int(b) for b in bin(value)[2:]])`` (leading zeros dropped)."""
    return np.array([int(b) for b in bin(value)[2:]], dtype=np.uint8)


#: Thresholds: SD1, SDXL and FLUX from the research note's measurements (max on 25 unmarked files, both
#: orders: SD1 73/136, SDXL 34/48, FLUX 31/46). SD2 (32 bits): 30/32. Under fair independent bits
#: P(>=30 of 32) = 529/2**32 = 1.2e-7, the same order as FLUX >= 40/46 (1.5e-7) and SDXL >= 42/48
#: (5e-8); 8 decodes per image (2 schemes x 2 orders x 2 domains) keep it near 1e-6 per image.
PAYLOADS: tuple[Payload, ...] = (
    Payload("SD1", bits_from_bytes(b"StableDiffusionV1"), 123, "CompVis stable-diffusion txt2img (bytes)"),
    Payload("SD2", bits_from_bytes(b"SDV2"), 30, "Stability-AI stablediffusion txt2img (bytes)"),
    Payload("SDXL", bits_from_int(0xB3EC907BB19E), 42, "diffusers / Stability sgm SDXL watermark (48 bits)"),
    Payload("FLUX", bits_from_int(0b001010101111111010000111100111001111010100101110), 40,
            "black-forest-labs flux WatermarkEmbedder (46 bits after bin() drops two leading zeros)"),
)


@dataclass(frozen=True, slots=True)
class Decode:
    """The bits one decoding variant read for one payload length and how many match the payload."""

    scheme: str
    order: str
    domain: str
    payload: str
    bits: np.ndarray
    matched: int
    length: int
    threshold: int
    blocks: int

    @property
    def degenerate(self) -> bool:
        """All bits equal: what flat or saturated chroma decodes to, never evidence."""
        return bool(self.bits.min() == self.bits.max())

    @property
    def positive(self) -> bool:
        return self.matched >= self.threshold and not self.degenerate


#: rows of the picture converted to YUV at a time by :func:`chroma_u`
CHROMA_ROWS = 64


def chroma_u(rgb: np.ndarray, order: str, domain: str) -> np.ndarray:
    """The U plane the embedder saw, as float32.

    Parameters
    ----------
    rgb : ndarray (H, W, 3) uint8
        Decoded pixels in RGB order.
    order : {"bgr", "rgb"}
        ``"bgr"``: the embedder got the image flipped to BGR (``cv2.imread`` order);
        ``"rgb"``: it got the RGB array and treated it as BGR.
    domain : {"uint8", "float"}
        Whether the embedder converted uint8 (offset 128, rounded) or float32 0–255 (offset 0.5) pixels.
    """
    if order not in ORDERS or domain not in DOMAINS:
        raise ValueError(f"unknown order/domain {order!r}/{domain!r}")
    # cvtColor(bgr, BGR2YUV) on the flipped array equals cvtColor(rgb, RGB2YUV): no copy needed
    code = cv2.COLOR_RGB2YUV if order == "bgr" else cv2.COLOR_BGR2YUV
    # a few rows at a time (the conversion is per pixel): the float copy and the three-plane YUV picture never
    # exist for the whole band (2 MP: 2 x 24 MB), only the U plane does
    plane = np.empty(rgb.shape[:2], np.float32)
    for top in range(0, rgb.shape[0], CHROMA_ROWS):
        part = rgb[top:top + CHROMA_ROWS]
        src = part if domain == "uint8" else part.astype(np.float32)
        plane[top:top + CHROMA_ROWS] = cv2.cvtColor(src, code)[:, :, 1]
    return plane


def haar_ll(plane: np.ndarray) -> np.ndarray:
    """Approximation band of a one-level Haar DWT on the plane cropped to a multiple of 4.

    Equals ``pywt.dwt2(plane, "haar")[0]`` (each coefficient is half the sum of a 2×2 cell); computed
    as ``2 × INTER_AREA`` half-size resampling, which is exact for a factor of two and ~7× faster.
    """
    h, w = plane.shape[0] // BLOCK * BLOCK, plane.shape[1] // BLOCK * BLOCK
    cropped = np.ascontiguousarray(plane[:h, :w], dtype=np.float32)
    return cv2.resize(cropped, (w // 2, h // 2), interpolation=cv2.INTER_AREA) * np.float32(2.0)


def _blocks(ll: np.ndarray) -> np.ndarray:
    """LL cut into 4×4 blocks in the embedder's raster order, shape (n_blocks, 16)."""
    rows, cols = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    cut = ll[: rows * BLOCK, : cols * BLOCK]
    return cut.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK * BLOCK)


def block_bits_max(ll: np.ndarray, scale: float = SCALE) -> np.ndarray:
    """Per-block bit of the ``dwtDct`` scheme: ``(|largest of positions 1..15| mod scale) > scale/2``."""
    mags = np.abs(_blocks(ll)[:, 1:])
    peak = mags[np.arange(mags.shape[0]), mags.argmax(axis=1)]
    return (np.mod(peak, scale) > 0.5 * scale).astype(np.float32)


def block_bits_svd(ll: np.ndarray, scale: float = SCALE) -> np.ndarray:
    """Per-block bit of the ``dwtDctSvd`` scheme: ``(σ_max mod scale) > scale/2``.

    The embedder takes σ_max of the block's orthonormal 2-D DCT; an orthonormal transform keeps the
    singular values, so σ_max of the block itself is used (the square root of the largest eigenvalue
    of BᵀB).
    """
    blocks = _blocks(ll).astype(np.float64).reshape(-1, BLOCK, BLOCK)
    gram = np.matmul(blocks.transpose(0, 2, 1), blocks)
    sigma = np.sqrt(np.clip(np.linalg.eigvalsh(gram)[:, -1], 0.0, None))
    return (np.mod(sigma, scale) > 0.5 * scale).astype(np.float32)


def vote(block_bits: np.ndarray, length: int) -> np.ndarray:
    """Majority per payload bit: block ``k`` votes for bit ``k mod length`` (``mean·255 > 127``)."""
    index = np.arange(block_bits.size) % length
    sums = np.bincount(index, weights=block_bits, minlength=length)
    counts = np.bincount(index, minlength=length)
    means = np.divide(sums, counts, out=np.zeros(length), where=counts > 0)
    return (means * 255 > 127).astype(np.uint8)


def band_rows(height: int, width: int, max_pixels: int) -> int:
    """Rows of the top band to decode: all rows, or as many whole 4-row groups as fit in ``max_pixels``."""
    if height * width <= max_pixels:
        return height
    return max(BLOCK * 4, (max_pixels // max(width, 1)) // BLOCK * BLOCK)


def decode_band(rgb: np.ndarray, *, payloads: Iterable[Payload] = PAYLOADS, max_pixels: int = 2_097_152,
                svd_max_pixels: int = 1_048_576) -> list[Decode]:
    """Decode every scheme × channel order × domain for every payload.

    Parameters
    ----------
    rgb : ndarray (H, W, 3) uint8
        Pixels at their native size (the block grid is tied to it).
    payloads : iterable of Payload
        Messages to compare against.
    max_pixels, svd_max_pixels : int
        Pixel budget of the full-width top band decoded by ``dwtDct`` and by the costlier ``dwtDctSvd``.
        Every native generator size (SD1/SD2 512–768², SDXL's ~1 MP buckets, FLUX ≤ 2 MP) fits the
        2.1 MP default and is decoded whole by ``dwtDct``; larger photos keep ≥ 32k blocks of votes.

    Returns
    -------
    list of Decode
        One per (scheme, order, domain, payload); empty when the image is under 256×256 pixels.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("expected an (H, W, 3) uint8 RGB array")
    height, width = rgb.shape[:2]
    if height * width < MIN_PIXELS or height < 2 * BLOCK or width < 2 * BLOCK:
        return []
    payloads = tuple(payloads)
    rows = {"dwtDct": band_rows(height, width, max_pixels), "dwtDctSvd": band_rows(height, width, svd_max_pixels)}
    band = rgb[: max(rows.values())]
    out: list[Decode] = []
    for order in ORDERS:
        for domain in DOMAINS:
            plane = chroma_u(band, order, domain)
            for scheme in SCHEMES:
                ll = haar_ll(plane[: rows[scheme]])
                per_block = block_bits_max(ll) if scheme == "dwtDct" else block_bits_svd(ll)
                for p in payloads:
                    if per_block.size < p.length:
                        continue
                    bits = vote(per_block, p.length)
                    out.append(Decode(scheme=scheme, order=order, domain=domain, payload=p.name, bits=bits,
                                      matched=int(np.count_nonzero(bits == p.bits)), length=p.length,
                                      threshold=p.threshold, blocks=int(per_block.size)))
    return out


def detect(rgb: np.ndarray, *, max_pixels: int = 2_097_152, svd_max_pixels: int = 1_048_576) -> list[Decode]:
    """The positive decodes (matched bits ≥ the payload's threshold, not degenerate), best first."""
    hits = [d for d in decode_band(rgb, max_pixels=max_pixels, svd_max_pixels=svd_max_pixels) if d.positive]
    return sorted(hits, key=lambda d: (d.matched / d.length, d.matched), reverse=True)
