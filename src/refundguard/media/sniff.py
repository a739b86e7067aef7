"""Detect a file's type from its content, never from its name."""

from __future__ import annotations

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"}
AVIF_BRANDS = {b"avif", b"avis"}
VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ", b"3gp4",
                b"3gp5", b"3g2a", b"dash", b"MSNV"}


def sniff(head: bytes) -> str | None:
    """Return the format name ("JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF", "GIF", "BMP", "MP4",
    "WEBM") for the first bytes of a file, or None when it is none of them."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM" and len(head) >= 26:
        return "BMP"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "WEBM"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(len(head), 64), 4)}
        major = head[8:12]
        if major in AVIF_BRANDS:
            return "AVIF"
        if major in HEIF_BRANDS or brands & {b"heic", b"heix", b"hevc"}:
            return "HEIF"
        if brands & AVIF_BRANDS:
            return "AVIF"
        if major in VIDEO_BRANDS or brands & VIDEO_BRANDS:
            return "MP4"
    return None


def describe_unknown(head: bytes) -> str:
    """A short human description of content that is not an image, for error messages."""
    if not head:
        return "the file is empty"
    stripped = head.lstrip()
    if stripped[:1] in (b"<",) or stripped[:5].lower() in (b"<!doc", b"<html", b"<?xml"):
        return "it looks like HTML/XML text, not an image"
    if head[:4] == b"%PDF":
        return "it is a PDF document, not an image"
    if head[:2] == b"PK":
        return "it is a ZIP archive, not an image"
    try:
        head[:256].decode("utf-8")
        return "it looks like plain text, not an image"
    except UnicodeDecodeError:
        return "its content is not a supported image type"


IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF", "GIF", "BMP"}
VIDEO_FORMATS = {"MP4", "WEBM"}
