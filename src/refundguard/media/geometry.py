"""What decoding a file will cost, read from its container before any decoder runs.

:class:`Geometry` holds the size the file declares, its frames and the pieces a decoder must handle
one by one (TIFF strips or tiles, JPEG scans). The readers here take it from the JPEG frame header and
scan markers, the PNG ``IHDR``/``acTL`` chunks, the WebP ``VP8X``/``VP8 ``/``VP8L`` chunks and the BMP
header; :mod:`~refundguard.media.tiff`, :mod:`~refundguard.media.gif` and
:mod:`~refundguard.media.bmff` walk the other containers. Every reader is bounded by the file's length
and the configured limits, and raises :class:`~refundguard.errors.InputError` on hostile structure.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media.metadata import Segment


@dataclass(frozen=True, slots=True)
class Geometry:
    """The decoded size a file declares and what decoding it involves.

    ``width``/``height`` are 0 when the container does not say (the decoder's header is read next);
    ``pieces`` counts TIFF strips or tiles and JPEG scans; ``codec`` names the coding where it changes
    the cost (``progressive``, ``rle8``, ...).
    """

    width: int
    height: int
    frames: int = 1
    pieces: int = 1
    codec: str = ""

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def known(self) -> bool:
        return self.width > 0 and self.height > 0

    @property
    def aspect(self) -> float:
        """Long side over short side (1.0 for a square)."""
        return max(self.width, self.height) / max(1, min(self.width, self.height))


# --------------------------------------------------------------------------------------------- JPEG

#: start-of-frame markers: baseline, extended, progressive, lossless (Huffman and arithmetic coding)
_SOF = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive", 0xC3: "lossless", 0xC5: "hierarchical",
        0xC6: "hierarchical", 0xC7: "hierarchical", 0xC9: "arithmetic", 0xCA: "arithmetic-progressive",
        0xCB: "arithmetic-lossless", 0xCD: "hierarchical", 0xCE: "hierarchical", 0xCF: "hierarchical"}
#: a marker inside entropy-coded data: 0xFF followed by anything but a stuffed 0x00, a restart marker or
#: another fill byte
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def jpeg_geometry(data: bytes, limits: Limits) -> Geometry:
    """Frame size, coding and number of scans of a JPEG, walking every marker up to EOI.

    The scans are counted because each progressive scan is one more pass of the decoder over the whole
    coefficient buffer: a few kilobytes of empty scans can cost minutes.
    """
    pos, segments, scans = 2, 0, 0
    width = height = 0
    codec = ""
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise UnreadableImage(f"corrupt JPEG: expected a marker at byte {pos}",
                                  zh=f"JPEG 文件损坏：第 {pos} 字节处应为标记")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:
            break
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2:
            raise UnreadableImage(f"corrupt JPEG: bad segment length at byte {pos}",
                                  zh=f"JPEG 文件损坏：第 {pos} 字节处段长度错误")
        segments += 1
        if segments > limits.max_chunks:
            raise InputTooLarge(f"JPEG has more than {limits.max_chunks:,} segments",
                                zh=f"JPEG 的段数超过 {limits.max_chunks:,}")
        if marker in _SOF and not codec:
            if length < 8 or pos + 9 > len(data):
                raise UnreadableImage("corrupt JPEG: truncated frame header", zh="JPEG 文件损坏：帧头不完整")
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            codec = _SOF[marker]
            if height == 0:
                raise UnreadableImage("JPEG declares its height later (DNL marker), which is not supported",
                                      zh="JPEG 使用 DNL 标记延后声明高度，不受支持")
        pos += 2 + length
        if marker == 0xDA:
            scans += 1
            if scans > limits.max_jpeg_scans:
                raise InputTooLarge(f"JPEG has more than {limits.max_jpeg_scans} scans (each one is a decoding "
                                    "pass over the whole picture)",
                                    zh=f"JPEG 的扫描段超过 {limits.max_jpeg_scans} 个"
                                       "（每个扫描段都要对整幅图解码一遍）")
            found = _MARKER_IN_SCAN.search(data, pos)
            if found is None:
                break
            pos = found.start()
    if not codec:
        raise UnreadableImage("JPEG has no frame header (no image in the file)", zh="JPEG 没有帧头（文件中没有图像）")
    return Geometry(width, height, pieces=max(scans, 1), codec=codec)


# ---------------------------------------------------------------------------------------------- PNG

def png_geometry(data: bytes, segments: list[Segment]) -> Geometry:
    """Size from ``IHDR``; frames from ``acTL`` (APNG) or the ``fcTL`` chunks, whichever is larger."""
    ihdr = next((s for s in segments if s.name == "IHDR"), None)
    if ihdr is None or ihdr.offset != 8 or len(ihdr.head) < 13:
        raise UnreadableImage("corrupt PNG: the first chunk is not a complete IHDR",
                              zh="PNG 文件损坏：第一个块不是完整的 IHDR")
    width, height, depth, _colour, _c, _f, interlace = struct.unpack(">IIBBBBB", ihdr.head[:13])
    frames = sum(1 for s in segments if s.name == "fcTL")
    actl = next((s for s in segments if s.name == "acTL" and len(s.head) >= 8), None)
    if actl is not None:
        frames = max(frames, struct.unpack(">I", actl.head[:4])[0])
    codec = f"{depth}-bit" + (" interlaced" if interlace else "")
    return Geometry(width, height, frames=max(frames, 1), codec=codec)


# --------------------------------------------------------------------------------------------- WebP

def webp_geometry(segments: list[Segment]) -> Geometry:
    """Canvas from ``VP8X``, else the frame size of ``VP8 `` (lossy) or ``VP8L`` (lossless); ``ANMF`` frames."""
    frames = sum(1 for s in segments if s.name == "ANMF")
    for s in segments:
        head = s.head
        if s.name == "VP8X" and len(head) >= 10:
            width = 1 + int.from_bytes(head[4:7], "little")
            height = 1 + int.from_bytes(head[7:10], "little")
            return Geometry(width, height, frames=max(frames, 1), codec="extended")
        if s.name == "VP8 " and len(head) >= 10 and head[3:6] == b"\x9d\x01\x2a":
            width, height = struct.unpack("<HH", head[6:10])
            return Geometry(width & 0x3FFF, height & 0x3FFF, codec="lossy")
        if s.name == "VP8L" and len(head) >= 5 and head[0] == 0x2F:
            bits = int.from_bytes(head[1:5], "little")
            return Geometry(1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF), codec="lossless")
    raise UnreadableImage("corrupt WebP: no VP8X, VP8 or VP8L image header", zh="WebP 文件损坏：没有图像头")


# ---------------------------------------------------------------------------------------------- BMP

_BMP_CODECS = {0: "rgb", 1: "rle8", 2: "rle4", 3: "bitfields", 4: "jpeg", 5: "png", 6: "bitfields"}


def bmp_geometry(data: bytes) -> Geometry:
    """Size and compression from the BMP header (OS/2 core header or BITMAPINFOHEADER and its successors)."""
    if len(data) < 26:
        raise UnreadableImage("corrupt BMP: truncated header", zh="BMP 文件损坏：文件头不完整")
    (header_size,) = struct.unpack("<I", data[14:18])
    if header_size == 12:
        width, height = struct.unpack("<HH", data[18:22])
        return Geometry(width, height, codec="rgb")
    if header_size < 16 or len(data) < 14 + min(header_size, 20):
        raise UnreadableImage(f"corrupt BMP: unknown header size {header_size}",
                              zh=f"BMP 文件损坏：未知的文件头长度 {header_size}")
    width, height = struct.unpack("<ii", data[18:26])
    compression = struct.unpack("<I", data[30:34])[0] if header_size >= 20 and len(data) >= 34 else 0
    return Geometry(abs(width), abs(height), codec=_BMP_CODECS.get(compression, f"compression {compression}"))
