"""A bounded walk of a TIFF file's directories, before Pillow parses them.

Pillow reads every value of every tag of a directory into Python objects as soon as the file is
opened: a 40 MB TIFF declaring five million strips held it for 40 s and 1.9 GB before any limit could
look at the image. This walker reads only the directory entries (12 bytes each) and the few values it
needs, follows the page chain with loop detection, and refuses before Pillow sees the file:

* more pages than ``max_frames``; a directory chain that loops back is cut there (noted);
* more strips or tiles than ``max_tiff_blocks``, or any numeric tag with more values than that, or
  more numeric values in one directory than four times that;
* the EXIF, GPS and Interop directories under the same bounds (Pillow parses them on ``getexif()``).

It also returns the XMP packet of tag 700.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media.geometry import Geometry

#: byte size of one value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED,
#: SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD)
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
#: types Pillow keeps as one bytes object (cheap); every other type becomes a tuple of Python numbers
BYTES_TYPES = {1, 2, 6, 7}
_SUB_IFDS = {34665: "Exif", 34853: "GPS", 40965: "Interop"}
_XMP = 700


@dataclass(slots=True)
class Entry:
    tag: int
    type: int
    count: int
    value_at: int  # offset of the value bytes (inline in the entry when they fit in 4 bytes)

    @property
    def size(self) -> int:
        return self.count * TYPE_SIZES.get(self.type, 0)


@dataclass(slots=True)
class TiffWalk:
    """What the walk found: the first page's geometry, the XMP packet, notes on tolerated defects."""

    geometry: Geometry
    xmp: bytes | None = None
    notes: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, data: bytes, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        self.order = "<" if data[:2] == b"II" else ">"
        self.notes: list[str] = []

    def u16(self, at: int) -> int:
        return struct.unpack(self.order + "H", self.data[at:at + 2])[0]

    def u32(self, at: int) -> int:
        return struct.unpack(self.order + "I", self.data[at:at + 4])[0]

    def entries(self, offset: int, what: str) -> list[Entry]:
        """The entries of the directory at ``offset``, bounded; values are not read."""
        data = self.data
        if offset < 8 or offset + 2 > len(data):
            raise UnreadableImage(f"corrupt TIFF: {what} directory at byte {offset:,} lies outside the file",
                                  zh=f"TIFF 文件损坏：{what}目录位于文件之外（第 {offset:,} 字节）")
        count = self.u16(offset)
        end = offset + 2 + 12 * count
        if end > len(data):
            raise UnreadableImage(f"corrupt TIFF: {what} directory of {count:,} entries runs past the end of the file",
                                  zh=f"TIFF 文件损坏：{what}目录的 {count:,} 个条目超出文件末尾")
        out: list[Entry] = []
        numeric = 0
        limit = self.limits.max_tiff_blocks
        for i in range(count):
            at = offset + 2 + 12 * i
            tag, typ = struct.unpack(self.order + "HH", data[at:at + 4])
            n = self.u32(at + 4)
            entry = Entry(tag, typ, n, at + 8)
            if typ not in TYPE_SIZES:
                continue  # Pillow skips unknown types
            if entry.size > 4:
                entry.value_at = self.u32(at + 8)
                if entry.value_at + entry.size > len(data):
                    self.notes.append(f"TIFF tag {tag} points past the end of the file (ignored)")
                    continue
            if typ not in BYTES_TYPES:
                if n > limit:
                    raise InputTooLarge(f"TIFF tag {tag} holds {n:,} values; at most {limit:,} are read",
                                        zh=f"TIFF 标签 {tag} 含有 {n:,} 个数值，最多读取 {limit:,} 个")
                numeric += n
                if numeric > 4 * limit:
                    raise InputTooLarge(f"TIFF {what} directory holds more than {4 * limit:,} numeric values",
                                        zh=f"TIFF {what}目录的数值超过 {4 * limit:,} 个")
            out.append(entry)
        return out

    def number(self, entry: Entry | None, default: int = 0) -> int:
        """The first value of a SHORT/LONG (or BYTE) entry."""
        if entry is None or entry.count < 1:
            return default
        if entry.type == 3 or entry.type == 8:
            return self.u16(entry.value_at)
        if entry.type in (4, 9, 13):
            return self.u32(entry.value_at)
        if entry.type in (1, 6):
            return self.data[entry.value_at]
        return default

    def blob(self, entry: Entry) -> bytes:
        return self.data[entry.value_at:entry.value_at + entry.size]


def walk_tiff(data: bytes, limits: Limits) -> TiffWalk:
    """Walk the page chain of a TIFF file (classic TIFF, either byte order) under ``limits``."""
    if len(data) < 8:
        raise UnreadableImage("corrupt TIFF: truncated header", zh="TIFF 文件损坏：文件头不完整")
    r = _Reader(data, limits)
    offset = r.u32(4)
    seen: set[int] = set()
    pages: list[dict[int, Entry]] = []
    while offset:
        if offset in seen:
            r.notes.append(f"TIFF page chain loops back to byte {offset:,}; pages after the loop are ignored")
            break
        seen.add(offset)
        if pages and (offset < 8 or offset + 2 > len(data)):
            r.notes.append(f"TIFF page {len(pages) + 1} lies outside the file (ignored)")
            break
        try:
            entries = {e.tag: e for e in r.entries(offset, "page" if not pages else f"page {len(pages) + 1}")}
        except UnreadableImage:
            if not pages:
                raise
            r.notes.append(f"TIFF page {len(pages) + 1} is cut off by the end of the file (ignored)")
            break
        pages.append(entries)
        if len(pages) > limits.max_frames:
            raise InputTooLarge(f"TIFF has more than {limits.max_frames} pages; at most {limits.max_frames} "
                                "are accepted", zh=f"TIFF 超过 {limits.max_frames} 页")
        for tag, name in _SUB_IFDS.items():
            sub = entries.get(tag)
            if sub is not None and len(pages) == 1:
                _walk_sub(r, r.number(sub), name, seen)
        after = offset + 2 + 12 * r.u16(offset)
        offset = r.u32(after) if after + 4 <= len(data) else 0
    first = pages[0]
    width, height = r.number(first.get(256)), r.number(first.get(257))
    blocks = max((first[t].count for t in (273, 279, 324, 325) if t in first), default=0)
    if blocks > limits.max_tiff_blocks:
        raise InputTooLarge(f"TIFF image is split into {blocks:,} strips or tiles; at most "
                            f"{limits.max_tiff_blocks:,} are accepted",
                            zh=f"TIFF 图像被分成 {blocks:,} 个条带或瓦片，最多接受 {limits.max_tiff_blocks:,} 个")
    expected = _expected_blocks(r, first, width, height)
    if expected and blocks > expected:
        r.notes.append(f"TIFF declares {blocks:,} strips or tiles where its size needs {expected:,}")
    compression = r.number(first.get(259), 1)
    xmp = r.blob(first[_XMP]) if _XMP in first else None
    return TiffWalk(Geometry(width, height, frames=len(pages), pieces=max(blocks, 1),
                             codec=f"compression {compression}"), xmp, r.notes)


def _walk_sub(r: _Reader, offset: int, name: str, seen: set[int]) -> None:
    """Bound an EXIF/GPS/Interop directory the way Pillow will parse it (values are not kept)."""
    if not offset or offset in seen:
        return
    seen.add(offset)
    if offset < 8 or offset + 2 > len(r.data):
        r.notes.append(f"TIFF {name} directory lies outside the file (ignored)")
        return
    entries = r.entries(offset, name)
    inner = next((e for e in entries if e.tag == 40965), None)
    if name == "Exif" and inner is not None:
        _walk_sub(r, r.number(inner), "Interop", seen)


def _expected_blocks(r: _Reader, page: dict[int, Entry], width: int, height: int) -> int:
    """Strips or tiles the page's size implies (0 when the tags needed are missing)."""
    if width < 1 or height < 1:
        return 0
    planes = r.number(page.get(277), 1) if r.number(page.get(284), 1) == 2 else 1
    if 322 in page and 323 in page:
        tw, th = r.number(page[322]), r.number(page[323])
        if tw < 1 or th < 1:
            return 0
        return planes * math.ceil(width / tw) * math.ceil(height / th)
    rows = r.number(page.get(278), height) or height
    return planes * math.ceil(height / max(1, min(rows, height)))
