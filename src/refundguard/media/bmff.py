"""A bounded walk of ISO BMFF boxes (HEIF, AVIF): top-level boxes, C2PA ``uuid`` boxes, and the size of
the primary image from the ``meta`` box (``pitm``, ``iinf``, ``iprp``/``ipco``/``ispe``, ``ipma``).

The walk descends only into the boxes that hold item properties; every box counts against
``max_chunks`` and no box may claim more bytes than its parent holds.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media.geometry import Geometry
from refundguard.media.metadata import C2PA_UUID, Metadata, Segment


class _Counter:
    def __init__(self, limits: Limits) -> None:
        self.count = 0
        self.limit = limits.max_chunks

    def tick(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise InputTooLarge(f"file has more than {self.limit:,} boxes", zh=f"文件的 box 超过 {self.limit:,} 个")


def boxes(data: bytes, start: int, end: int, counter: _Counter) -> Iterator[tuple[str, int, int, int]]:
    """``(type, box start, payload start, box end)`` of the boxes in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        counter.tick()
        yield kind.decode("latin-1"), pos, pos + header, pos + size
        pos += size


def walk_bmff(data: bytes, meta: Metadata, limits: Limits) -> Geometry:
    """Record the top-level boxes and C2PA ``uuid`` boxes; return the primary image's declared size.

    The size is 0×0 when the file has no ``meta`` box with an ``ispe`` property (the decoder's header
    is then the only source).
    """
    counter = _Counter(limits)
    geometry = Geometry(0, 0)
    for name, pos, payload, end in boxes(data, 0, len(data), counter):
        meta.segments.append(Segment(name, pos, end - pos, data[payload:min(end, payload + 64)]))
        if name == "uuid" and data[payload:payload + 16] == C2PA_UUID:
            meta.c2pa_container = "bmff:uuid"
        elif name == "meta" and not geometry.known:
            geometry = _primary_size(data, payload + 4, end, counter)
    return geometry


def _primary_size(data: bytes, start: int, end: int, counter: _Counter) -> Geometry:
    primary: int | None = None
    items = 0
    sizes: list[tuple[int, int] | None] = []  # ipco properties in order (1-based in ipma); None: not ispe
    links: dict[int, list[int]] = {}
    for name, _pos, payload, box_end in boxes(data, start, end, counter):
        if name == "pitm" and box_end - payload >= 6:
            version = data[payload]
            primary = (struct.unpack(">H", data[payload + 4:payload + 6])[0] if version == 0
                       else struct.unpack(">I", data[payload + 4:payload + 8])[0])
        elif name == "iinf" and box_end - payload >= 6:
            version = data[payload]
            items = (struct.unpack(">H", data[payload + 4:payload + 6])[0] if version == 0
                     else struct.unpack(">I", data[payload + 4:payload + 8])[0])
            if items > counter.limit:
                raise InputTooLarge(f"file declares {items:,} items; at most {counter.limit:,} are accepted",
                                    zh=f"文件声明了 {items:,} 个 item，最多接受 {counter.limit:,} 个")
        elif name == "iprp":
            for inner, _p, inner_payload, inner_end in boxes(data, payload, box_end, counter):
                if inner == "ipco":
                    for prop, _q, prop_payload, prop_end in boxes(data, inner_payload, inner_end, counter):
                        if prop == "ispe" and prop_end - prop_payload >= 12:
                            sizes.append(struct.unpack(">II", data[prop_payload + 4:prop_payload + 12]))
                        else:
                            sizes.append(None)
                elif inner == "ipma":
                    links.update(_associations(data, inner_payload, inner_end, counter))
    declared = [s for s in sizes if s]
    if not declared:
        return Geometry(0, 0, pieces=max(items, 1))
    own = [sizes[i - 1] for i in links.get(primary, []) if 0 < i <= len(sizes) and sizes[i - 1]] if primary else []
    width, height = (own or [max(declared, key=lambda s: s[0] * s[1])])[0]
    return Geometry(width, height, pieces=max(items, 1), codec="items")


def _associations(data: bytes, start: int, end: int, counter: _Counter) -> dict[int, list[int]]:
    """``ipma``: item id -> 1-based indices of its properties in ``ipco``."""
    if end - start < 8:
        raise UnreadableImage("corrupt HEIF: truncated ipma box", zh="HEIF 文件损坏：ipma box 不完整")
    version, flags = data[start], int.from_bytes(data[start + 1:start + 4], "big")
    (entries,) = struct.unpack(">I", data[start + 4:start + 8])
    pos, out = start + 8, {}
    id_size, index_size = (2 if version < 1 else 4), (2 if flags & 1 else 1)
    for _ in range(entries):
        counter.tick()
        if pos + id_size + 1 > end:
            break
        item = int.from_bytes(data[pos:pos + id_size], "big")
        count = data[pos + id_size]
        pos += id_size + 1
        if pos + count * index_size > end:
            break
        mask = 0x7FFF if index_size == 2 else 0x7F
        out[item] = [int.from_bytes(data[pos + k * index_size:pos + (k + 1) * index_size], "big") & mask
                     for k in range(count)]
        pos += count * index_size
    return out
