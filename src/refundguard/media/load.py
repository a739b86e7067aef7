"""Decode evidence files under strict limits and a cost budget into :class:`LoadedImage` objects.

Loading is two steps. :func:`probe` reads the file, identifies it from its content and walks its
container (:mod:`~refundguard.media.container`): hard limits refuse it there, before any decoder runs.
:func:`decode` then decodes it within its pixel budget (:mod:`~refundguard.media.budget`): a photo over
the budget is decoded at reduced size — JPEG through the decoder's DCT scaling (1/2, 1/4, 1/8) and an
exact resize after it, other formats decoded (their size is bounded by the hard limits) and resized
before any other copy is made — and carries a :class:`~refundguard.media.budget.Reduction`.
:func:`load_claim` shares the claim budget among the photos of one claim before decoding any of them.
Every decoder failure is one :class:`~refundguard.errors.InputError`; warnings are recorded in
``metadata.notes``, never printed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageFile, features

from refundguard.config import Limits
from refundguard.errors import InputError, InputTooLarge, UnreadableImage, UnsupportedFormat
from refundguard.media.budget import Budget, Reduction, check_budget, check_geometry, claim_budgets, fit
from refundguard.media.container import Walked, walk_container
from refundguard.media.geometry import Geometry
from refundguard.media.guard import decoding
from refundguard.media.metadata import Metadata, extract
from refundguard.media.names import printable
from refundguard.media.sniff import IMAGE_FORMATS, VIDEO_FORMATS, describe_unknown, sniff

try:  # HEIC/HEIF through pillow-heif
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - dependency is declared
    HEIF_SUPPORTED = False

ImageFile.LOAD_TRUNCATED_IMAGES = False


@cache
def avif_supported() -> bool:
    """Whether this Pillow decodes AVIF (asked when an AVIF file comes: probing every optional module of Pillow at
    import, as ``features.get_supported_modules()`` does, loads Tk, FreeType and LittleCMS for nothing)."""
    try:
        return bool(features.check_module("avif"))
    except ValueError:  # a Pillow that has no AVIF module at all
        return False


#: pixels of the strips :func:`pixel_array` copies an RGB photo in (an RGBX working strip of 4 MiB)
_PASTE_STRIP_PIXELS = 1 << 20
#: pixels of the strips :attr:`LoadedImage.gray` is made from (float32 working copies of ~12 MiB)
_GRAY_STRIP_PIXELS = 1_000_000


@dataclass(eq=False)
class LoadedImage:
    """One decoded image with everything the checks need.

    ``pixels`` is RGB uint8 (H, W, 3) after applying the EXIF orientation; ``alpha`` is the alpha
    channel when the file has one. ``data`` holds the file's raw bytes; ``sha256`` their digest.
    ``reduction`` is set when the photo was decoded below its stored size to fit the analysis budget:
    ``pixels`` then hold the reduced grid, and checks that need the file's own pixel grid (JPEG block
    traces, invisible watermarks) must skip the photo and say so.
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
    reduction: Reduction | None = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @cached_property
    def gray(self) -> np.ndarray:
        """Luma (ITU-R BT.601) as float32 in [0, 255], shape (H, W).

        Made a strip of rows at a time (the same float32 arithmetic per pixel): converting a whole 12 MP photo
        to float32 first took ~240 MiB of temporaries for a 46 MiB result."""
        pixels = self.pixels
        out = np.empty(pixels.shape[:2], np.float32)
        step = max(1, _GRAY_STRIP_PIXELS // max(1, pixels.shape[1]))
        for top in range(0, pixels.shape[0], step):
            p = pixels[top:top + step].astype(np.float32)
            row = out[top:top + step]
            np.multiply(p[..., 0], 0.299, out=row)
            row += 0.587 * p[..., 1]
            row += 0.114 * p[..., 2]
        return out

    @property
    def name(self) -> str:
        return os.path.basename(self.path) or self.path

    @property
    def original_size(self) -> tuple[int, int]:
        """``(width, height)`` of the stored image as displayed (EXIF-oriented), before any reduction."""
        if self.reduction is not None:
            return self.reduction.original_width, self.reduction.original_height
        return self.width, self.height

    @property
    def reduced(self) -> bool:
        """Whether ``pixels`` hold a reduced copy of the stored image (see :attr:`reduction`)."""
        return self.reduction is not None


def _read(source: str | os.PathLike[str] | bytes, limits: Limits) -> tuple[str, bytes]:
    if isinstance(source, bytes | bytearray):
        if len(source) > limits.max_bytes:
            raise InputTooLarge(f"file is {len(source):,} bytes; the limit is {limits.max_bytes:,}",
                                zh=f"文件有 {len(source):,} 字节，上限为 {limits.max_bytes:,}")
        return "<bytes>", bytes(source)
    path = Path(source)
    shown = printable(str(path))
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnreadableImage(f"{shown}: not a regular file", zh=f"{shown}：不是普通文件")
        if size > limits.max_bytes:
            raise InputTooLarge(f"{shown}: file is {size:,} bytes; the limit is {limits.max_bytes:,}",
                                zh=f"{shown}：文件有 {size:,} 字节，上限为 {limits.max_bytes:,}")
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise UnreadableImage(f"{shown}: no such file", zh=f"{shown}：文件不存在") from exc
    except IsADirectoryError as exc:
        raise UnreadableImage(f"{shown}: is a directory", zh=f"{shown}：是一个目录") from exc
    except PermissionError as exc:
        raise UnreadableImage(f"{shown}: permission denied", zh=f"{shown}：没有读取权限") from exc
    except OSError as exc:
        raise UnreadableImage(f"{shown}: cannot read ({exc.strerror or exc})", zh=f"{shown}：无法读取") from exc
    return str(path), data


Source = str | os.PathLike[str] | bytes


@dataclass(eq=False)
class Probe:
    """A file read, identified and its container walked — not yet decoded. ``label`` is the name for
    messages (control characters escaped, :func:`~refundguard.media.names.printable`); ``path`` the name
    as given."""

    label: str
    path: str
    data: bytes
    format: str
    walked: Walked

    @property
    def geometry(self) -> Geometry:
        return self.walked.geometry


def probe(source: Source, *, limits: Limits | None = None, name: str | None = None) -> Probe:
    """Read ``source``, identify it from its content and walk its container under ``limits``.

    Raises
    ------
    UnsupportedFormat
        The content is not an image type we read (the file name is never trusted).
    InputTooLarge
        Bytes, declared pixels, side, aspect ratio, frames, strips/tiles, scans or metadata over ``limits``.
    UnreadableImage
        Missing, empty or corrupt files and hostile structure.
    """
    limits = limits or Limits()
    try:
        path, data = _read(source, limits)
    except InputError as exc:  # a path names itself in the message; bytes take the name given
        if isinstance(source, bytes | bytearray):
            raise exc.prefixed(printable(name or "<bytes>")) from exc
        raise
    label = printable(name or path)
    if not data:
        raise UnreadableImage(f"{label}: the file is empty", zh=f"{label}：文件为空")
    fmt = sniff(data[:64])
    if fmt in VIDEO_FORMATS:
        raise UnsupportedFormat(f"{label}: this is a video ({fmt}); submit frames or use the video endpoint",
                                zh=f"{label}：这是视频（{fmt}），请提交截帧或使用视频接口")
    if fmt not in IMAGE_FORMATS:
        raise UnsupportedFormat(f"{label}: not a supported image ({describe_unknown(data[:256])})",
                                zh=f"{label}：不是受支持的图片格式")
    if fmt == "AVIF" and not avif_supported():
        raise UnsupportedFormat(f"{label}: AVIF is not supported by this installation's Pillow build",
                                zh=f"{label}：此安装的 Pillow 不支持 AVIF")
    with decoding(label, fmt):
        walked = walk_container(data, fmt, limits)
        check_geometry(walked.geometry, fmt, limits)
    return Probe(label, name or path, data, fmt, walked)


def decode(probed: Probe, *, limits: Limits | None = None, budget: Budget | None = None) -> LoadedImage:
    """Decode a probed file within ``budget`` (default: ``limits.analysis_pixels``).

    A photo over the budget is decoded at reduced size and carries a :class:`Reduction`; with
    ``limits.over_budget = "refuse"`` it is refused instead (:class:`InputTooLarge`).
    """
    limits = limits or Limits()
    budget = budget or Budget(limits.analysis_pixels)
    label, data, fmt = probed.label, probed.data, probed.format
    # Other libraries flip Pillow's truncation switch on import (WeasyPrint sets it to True): a truncated
    # file must fail here, so set it back before every decode.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with decoding(label, fmt) as notes:
        img = PILImage.open(io.BytesIO(data))
        width, height = img.size
        frames = int(getattr(img, "n_frames", 1) or 1)
        # the decoder's own header, checked again: it is what will be allocated
        check_geometry(Geometry(width, height, frames=frames), fmt, limits)
        check_budget(width * height, budget, limits)
        metadata = extract(data, fmt, img, limits, probed.walked.meta, probed.walked.raw_xmp)
        methods: list[str] = []
        if width * height > budget.pixels and fmt == "JPEG" and img.mode in ("RGB", "L", "CMYK"):
            img.draft(img.mode, fit(width, height, budget.pixels))  # DCT scaling: the size stays >= the request
            if img.size != (width, height):
                methods.append("jpeg-dct-scaling")
        img.load()
        orientation = int(img.getexif().get(0x0112, 1) or 1)
        target = fit(img.width, img.height, budget.pixels)
        if target != img.size:
            methods.append("resampling")
        mode = img.mode
        shrunk, has_alpha = _shrunk(img, target)
        shown = shrunk.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else shrunk
        arr = pixel_array(shown)
        alpha = arr[..., 3].copy() if has_alpha else None
        pixels = np.ascontiguousarray(arr[..., :3] if arr.ndim == 3 else np.repeat(arr[..., None], 3, axis=2))
        ow, oh = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    metadata.notes += notes
    reduction = None
    if methods:
        rh, rw = pixels.shape[:2]
        reduction = Reduction(ow, oh, rw, rh, budget.pixels, budget.scope, "+".join(methods))
    return LoadedImage(
        path=probed.path, data=data, sha256=hashlib.sha256(data).hexdigest(), format=fmt, pixels=pixels,
        alpha=alpha, metadata=metadata, mode=mode, frames=frames, orientation=orientation,
        info={k: v for k, v in img.info.items() if isinstance(v, str | int | float) and k != "xmp"},
        reduction=reduction,
    )


def load_image(source: Source, *, limits: Limits | None = None, name: str | None = None,
               budget: Budget | None = None) -> LoadedImage:
    """Read, identify, bound-check and decode an image file (:func:`probe`, then :func:`decode`).

    Raises
    ------
    UnsupportedFormat
        The content is not an image type we read (the file name is never trusted).
    InputTooLarge
        Bytes, pixels, frames, decoding cost or metadata exceed ``limits`` (or, with
        ``over_budget = "refuse"``, the photo exceeds its analysis budget).
    UnreadableImage
        Missing, empty, truncated or corrupt files and hostile metadata.
    """
    limits = limits or Limits()
    return decode(probe(source, limits=limits, name=name), limits=limits, budget=budget)


def load_claim(sources: Sequence[Source | Probe | LoadedImage], *, limits: Limits | None = None,
               progress: Callable[[LoadedImage], None] | None = None) -> list[LoadedImage]:
    """Load the photos of one claim within the claim budget, shared before any of them is decoded.

    Every file is probed first (a refused file stops the claim before any decoding); each photo then gets
    its share of ``limits.claim_pixels`` (:func:`~refundguard.media.budget.claim_budgets`). Images loaded
    earlier are reduced to their share when they exceed it; a :class:`Probe` (a file probed under its own name,
    such as the uploaded file name of a stored evidence file) is decoded as it is.

    The photos are decoded side by side on the process's shared pool (:func:`refundguard.parallel.fork`; the
    decoders release the GIL): at most as many at once as the pool has threads, and a photo no worker has
    started is decoded by the caller. Results, ``progress`` calls and the error raised (the first failing photo's
    in the given order) are those of decoding one after another.
    """
    from refundguard.parallel import fork

    limits = limits or Limits()
    probes = [s if isinstance(s, LoadedImage | Probe) else probe(s, limits=limits) for s in sources]
    declared = [p.width * p.height if isinstance(p, LoadedImage)
                else (p.geometry.pixels if p.geometry.known else limits.analysis_pixels) for p in probes]
    budgets = claim_budgets(declared, limits)
    pending = [fork(_load_one, item, budget, limits) for item, budget in zip(probes, budgets, strict=True)]
    images = []
    failure: BaseException | None = None
    for job in pending:  # every photo is waited for, so that none is still decoding when this returns
        try:
            image = job.result()
        except Exception as exc:
            failure = failure or exc
            continue
        if failure is None:
            images.append(image)
            if progress:
                progress(image)
    if failure is not None:
        raise failure
    return images


def _load_one(item: Probe | LoadedImage, budget: Budget, limits: Limits) -> LoadedImage:
    return fit_loaded(item, budget, limits) if isinstance(item, LoadedImage) else decode(
        item, limits=limits, budget=budget)


def pixel_array(img: PILImage.Image) -> np.ndarray:
    """The pixels of a loaded Pillow image as a NumPy array, equal to ``np.asarray(img)``.

    For RGB and L images the pixels go straight into NumPy's memory: an L array, or a small RGBX strip,
    that Pillow maps as an image and pastes into, then OpenCV's channel copy into the RGB array.
    ``np.asarray`` goes through ``tobytes``, which packs the picture in 64 KiB pieces and joins them (for a
    12 MP photo ~0.05 CPU-s, as much as the JPEG decode itself, against ~0.015). Other modes, and a Pillow
    without these internals, take ``np.asarray``.
    """
    if img.mode in ("RGB", "L") and img.width > 0 and img.height > 0:
        try:
            img.load()
            w, h = img.size
            if img.mode == "L":
                arr = np.empty((h, w), np.uint8)
                view = PILImage.frombuffer("L", (w, h), arr, "raw", "L", 0, 1)
                view.im.paste(img.im, (0, 0, w, h))  # into the mapped array itself (Image.paste copies it first)
            else:  # a strip of rows at a time through a small RGBX array, not one of the whole photo (48 MiB)
                arr = np.empty((h, w, 3), np.uint8)
                step = max(1, _PASTE_STRIP_PIXELS // w)
                strip = np.empty((min(step, h), w, 4), np.uint8)
                view = PILImage.frombuffer("RGBX", (w, len(strip)), strip, "raw", "RGBX", 0, 1)
                for top in range(0, h, step):
                    rows = min(step, h - top)
                    view.im.paste(img.im.crop((0, top, w, top + rows)), (0, 0, w, rows))
                    rgb = arr[top:top + rows]
                    if cv2.cvtColor(strip[:rows], cv2.COLOR_RGBA2RGB, dst=rgb).ctypes.data != rgb.ctypes.data:
                        raise ValueError("OpenCV wrote the rows elsewhere")  # never seen; np.asarray then
            del view
            arr.flags.writeable = False  # as np.asarray gives it: the decoded photo is shared, never written
            return arr
        except (AttributeError, TypeError, ValueError):
            pass
    return np.asarray(img)


def fit_loaded(image: LoadedImage, budget: Budget, limits: Limits) -> LoadedImage:
    """``image`` itself when it fits ``budget``; else a copy resized to fit, its :class:`Reduction` updated."""
    if image.width * image.height <= budget.pixels:
        return image
    try:
        check_budget(image.width * image.height, budget, limits)
    except InputError as exc:
        raise exc.prefixed(printable(image.path)) from exc
    w, h = fit(image.width, image.height, budget.pixels)
    pixels = cv2.resize(image.pixels, (w, h), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(image.alpha, (w, h), interpolation=cv2.INTER_AREA) if image.alpha is not None else None
    before = image.reduction
    reduction = Reduction(before.original_width if before else image.width,
                          before.original_height if before else image.height, w, h, budget.pixels, budget.scope,
                          (before.method + "+" if before else "") + "resampling")
    return dataclasses.replace(image, pixels=np.ascontiguousarray(pixels), alpha=alpha, reduction=reduction)


#: EXIF orientation -> the transpose that shows the image upright (as ``ImageOps.exif_transpose``)
_TRANSPOSE = {2: PILImage.Transpose.FLIP_LEFT_RIGHT, 3: PILImage.Transpose.ROTATE_180,
              4: PILImage.Transpose.FLIP_TOP_BOTTOM, 5: PILImage.Transpose.TRANSPOSE,
              6: PILImage.Transpose.ROTATE_270, 7: PILImage.Transpose.TRANSVERSE, 8: PILImage.Transpose.ROTATE_90}


def _shrunk(img: PILImage.Image, size: tuple[int, int]) -> tuple[PILImage.Image, bool]:
    """``img`` as 8-bit RGB, RGBA (second value True) or L, resized to ``size``.

    The resize happens before any wider copy: palette images are expanded, 16-bit, 32-bit and float
    images are resized in their own mode and only then scaled to 8 bits.
    """
    mode = img.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in img.info):
        return _resized(img if mode == "RGBA" else img.convert("RGBA"), size), True
    if mode.startswith("I;16") or mode in ("I", "F"):
        return PILImage.fromarray(_scaled_to_bytes(img, size, unsigned=mode.startswith("I;16"))), False
    return _resized(img if mode == "RGB" else img.convert("RGB"), size), False


def _resized(img: PILImage.Image, size: tuple[int, int]) -> PILImage.Image:
    """Antialiased resize (bilinear over the reduced footprint, integer box reduction first for large factors)."""
    if img.size == size:
        return img
    return img.resize(size, PILImage.Resampling.BILINEAR, reducing_gap=2.0)


def _scaled_to_bytes(img: PILImage.Image, size: tuple[int, int], *, unsigned: bool) -> np.ndarray:
    """A 16-bit, 32-bit integer or float image as uint8: integers over [0, max] (unsigned) or [min, max],
    floats over their finite range, +inf shown as the maximum, -inf and NaN as the minimum."""
    arr = np.array(img.convert("I") if img.mode.startswith("I;16") else img, dtype=np.float32)
    finite = np.isfinite(arr)
    lo = float(np.min(arr, where=finite, initial=np.inf)) if finite.any() else 0.0
    hi = float(np.max(arr, where=finite, initial=-np.inf)) if finite.any() else 0.0
    if unsigned:
        lo = 0.0
    if not finite.all():
        arr[np.isposinf(arr)] = hi
        arr[~np.isfinite(arr)] = lo
    del finite
    if arr.shape[::-1] != size:
        arr = np.asarray(_resized(PILImage.fromarray(arr, mode="F"), size), dtype=np.float32)
    span = max(hi - lo, 1e-30)
    out = (arr.astype(np.float64) - lo) / span * 255.0
    return np.clip(out, 0, 255).astype(np.uint8)
