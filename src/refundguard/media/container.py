"""The first pass over a file, before any decoder sees it: walk its container under the limits.

One walker per format collects the metadata that lives in the container (segments, text chunks, raw
XMP payloads, C2PA boxes) and the :class:`~refundguard.media.geometry.Geometry` that decides what
decoding will cost. Hostile structure — too many chunks, boxes, strips, scans or frames, oversized or
bomb metadata — stops here with an :class:`~refundguard.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from refundguard.config import Limits
from refundguard.media.bmff import walk_bmff
from refundguard.media.geometry import Geometry, bmp_geometry, jpeg_geometry, png_geometry, webp_geometry
from refundguard.media.gif import walk_gif
from refundguard.media.metadata import Metadata, TextChunk, walk_jpeg, walk_png, walk_riff
from refundguard.media.tiff import walk_tiff


@dataclass(slots=True)
class Walked:
    """What the container walk found: metadata, raw XMP payloads ``(source, bytes)`` and the geometry."""

    meta: Metadata
    geometry: Geometry
    raw_xmp: list[tuple[str, bytes]] = field(default_factory=list)


def walk_container(data: bytes, fmt: str, limits: Limits) -> Walked:
    """Walk the container of ``data`` (format ``fmt`` as :func:`~refundguard.media.sniff.sniff` named it)."""
    meta = Metadata()
    raw_xmp: list[tuple[str, bytes]] = []
    if fmt == "JPEG":
        raw_xmp += walk_jpeg(data, meta, limits)
        geometry = jpeg_geometry(data, limits)
    elif fmt == "PNG":
        raw_xmp += walk_png(data, meta, limits)
        geometry = png_geometry(data, meta.segments)
    elif fmt == "WEBP":
        raw_xmp += walk_riff(data, meta, limits)
        geometry = webp_geometry(meta.segments)
    elif fmt in ("HEIF", "AVIF"):
        geometry = walk_bmff(data, meta, limits)
    elif fmt == "TIFF":
        tiff = walk_tiff(data, limits)
        geometry = tiff.geometry
        meta.notes += tiff.notes
        if tiff.xmp:
            raw_xmp.append(("tiff:700", tiff.xmp))
    elif fmt == "GIF":
        gif = walk_gif(data, limits)
        geometry = gif.geometry
        meta.notes += gif.notes
        meta.text_chunks += [TextChunk("GIF", "comment", text) for text in gif.comments]
    elif fmt == "BMP":
        geometry = bmp_geometry(data)
    else:
        geometry = Geometry(0, 0)
    return Walked(meta, geometry, raw_xmp)
