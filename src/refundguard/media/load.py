"""Decode one evidence file under strict limits into a :class:`LoadedImage`."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFile, ImageOps, features

from refundguard.config import Limits
from refundguard.errors import InputError, InputTooLarge, UnreadableImage, UnsupportedFormat
from refundguard.media.metadata import Metadata, extract, walk_container
from refundguard.media.sniff import IMAGE_FORMATS, VIDEO_FORMATS, describe_unknown, sniff

try:  # HEIC/HEIF through pillow-heif
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - dependency is declared
    HEIF_SUPPORTED = False

ImageFile.LOAD_TRUNCATED_IMAGES = False
AVIF_SUPPORTED = bool(features.check("avif")) if "avif" in features.get_supported_modules() else False


@dataclass(eq=False)
class LoadedImage:
    """One decoded image with everything the checks need.

    ``pixels`` is RGB uint8 (H, W, 3) after applying the EXIF orientation; ``alpha`` is the alpha
    channel when the file has one. ``data`` holds the file's raw bytes; ``sha256`` their digest.
    """

    path: str
    data: bytes
    sha256: str
    format: str
    pixels: np.ndarray
    alpha: np.ndarray | None
    metadata: Metadata
    mode: str
    frames: int = 1
    orientation: int = 1
    info: dict[str, object] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @cached_property
    def gray(self) -> np.ndarray:
        """Luma (ITU-R BT.601) as float32 in [0, 255], shape (H, W)."""
        p = self.pixels.astype(np.float32)
        return 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]

    @property
    def name(self) -> str:
        return os.path.basename(self.path) or self.path


def _read(source: str | os.PathLike[str] | bytes, limits: Limits) -> tuple[str, bytes]:
    if isinstance(source, bytes | bytearray):
        if len(source) > limits.max_bytes:
            raise InputTooLarge(f"file is {len(source):,} bytes; the limit is {limits.max_bytes:,}")
        return "<bytes>", bytes(source)
    path = Path(source)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnreadableImage(f"{path}: not a regular file")
        if size > limits.max_bytes:
            raise InputTooLarge(f"{path}: file is {size:,} bytes; the limit is {limits.max_bytes:,}")
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise UnreadableImage(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise UnreadableImage(f"{path}: is a directory") from exc
    except PermissionError as exc:
        raise UnreadableImage(f"{path}: permission denied") from exc
    except OSError as exc:
        raise UnreadableImage(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return str(path), data


def load_image(source: str | os.PathLike[str] | bytes, *, limits: Limits | None = None,
               name: str | None = None) -> LoadedImage:
    """Read, identify, bound-check and decode an image file.

    Raises
    ------
    UnsupportedFormat
        The content is not an image type we read (the file name is never trusted).
    InputTooLarge
        Bytes, pixels, frames or metadata exceed ``limits``.
    UnreadableImage
        Missing, empty, truncated or corrupt files and hostile metadata.
    """
    limits = limits or Limits()
    path, data = _read(source, limits)
    label = name or path
    if not data:
        raise UnreadableImage(f"{label}: the file is empty")
    fmt = sniff(data[:64])
    if fmt in VIDEO_FORMATS:
        raise UnsupportedFormat(f"{label}: this is a video ({fmt}); submit frames or use the video endpoint")
    if fmt not in IMAGE_FORMATS:
        raise UnsupportedFormat(f"{label}: not a supported image ({describe_unknown(data[:256])})")
    if fmt == "AVIF" and not AVIF_SUPPORTED:
        raise UnsupportedFormat(f"{label}: AVIF is not supported by this installation's Pillow build")
    try:
        walked = walk_container(data, fmt, limits)
    except InputError as exc:
        raise type(exc)(f"{label}: {exc}") from exc
    # Other libraries flip Pillow's truncation switch on import (WeasyPrint sets it to True): a truncated
    # file must fail here, so set it back before every decode.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        img = PILImage.open(io.BytesIO(data))
    except PILImage.DecompressionBombError as exc:
        raise InputTooLarge(f"{label}: image dimensions exceed {limits.max_pixels:,} pixels") from exc
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise UnreadableImage(f"{label}: cannot decode {fmt} ({_short(exc)})") from exc
    width, height = img.size
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise InputTooLarge(f"{label}: {width}x{height} exceeds the limit of {limits.max_pixels:,} pixels "
                            f"or {limits.max_side:,} px per side")
    if width < 1 or height < 1:
        raise UnreadableImage(f"{label}: image has no pixels")
    frames = int(getattr(img, "n_frames", 1) or 1)
    if frames > limits.max_frames:
        raise InputTooLarge(f"{label}: {frames} frames; at most {limits.max_frames} are accepted")
    try:
        metadata = extract(data, fmt, img, limits, walked)
    except InputError as exc:
        raise type(exc)(f"{label}: {exc}") from exc
    try:
        img.load()
        orientation = int(img.getexif().get(0x0112, 1) or 1)
        oriented = ImageOps.exif_transpose(img) or img
    except PILImage.DecompressionBombError as exc:
        raise InputTooLarge(f"{label}: image exceeds the pixel limit") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise UnreadableImage(f"{label}: cannot decode {fmt} ({_short(exc)})") from exc
    mode = oriented.mode
    alpha = None
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in oriented.info):
        rgba = oriented.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3].copy()
        rgb = rgba.convert("RGB")
    elif mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(oriented).astype(np.float64)
        top = max(float(arr.max()), 1.0)
        rgb = PILImage.fromarray((arr / top * 255).astype(np.uint8)).convert("RGB")
    elif mode == "F":
        arr = np.nan_to_num(np.asarray(oriented, dtype=np.float64))
        lo, hi = float(arr.min()), float(arr.max())
        rgb = PILImage.fromarray(((arr - lo) / max(hi - lo, 1e-9) * 255).astype(np.uint8)).convert("RGB")
    else:
        rgb = oriented.convert("RGB")
    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    return LoadedImage(
        path=label, data=data, sha256=hashlib.sha256(data).hexdigest(), format=fmt, pixels=pixels,
        alpha=alpha, metadata=metadata, mode=mode, frames=frames, orientation=orientation,
        info={k: v for k, v in img.info.items() if isinstance(v, str | int | float) and k != "xmp"},
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
