"""Metadata extraction from the raw bytes of an image file.

Every XMP packet wherever it lives (JPEG APP1 and ExtendedXMP, PNG iTXt/tEXt/zTXt, WebP ``XMP `` chunk,
TIFF tag 700, HEIF, and anywhere else in the file), PNG text chunks, JPEG segments and quantisation
tables, C2PA container presence, and all EXIF IFDs with UserComment decoded. Walkers are bounded by the
configured limits; hostile structure raises :class:`~refundguard.errors.InputError`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import ExifTags, TiffImagePlugin
from PIL import Image as PILImage

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media.xmp import XmpPacket, parse_packet, scan_for_packets

XMP_JPEG_ID = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
XMP_PNG_KEY = "XML:com.adobe.xmp"
C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
    60, 61, 54, 47, 55, 62, 63])


@dataclass(slots=True)
class TextChunk:
    """A PNG tEXt/zTXt/iTXt chunk (or a comment in another container)."""

    kind: str
    key: str
    text: str


@dataclass(slots=True)
class Segment:
    """A container-level block: a JPEG APPn/COM segment, a PNG chunk, a WebP/RIFF chunk."""

    name: str
    offset: int
    length: int
    head: bytes  # the first bytes of the payload (at most 64 KiB)


@dataclass(slots=True)
class Metadata:
    """Everything the file says about itself, apart from the pixels."""

    exif: dict[str, dict[str, Any]] = field(default_factory=dict)
    xmp: list[XmpPacket] = field(default_factory=list)
    text_chunks: list[TextChunk] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    quant_tables: dict[int, np.ndarray] = field(default_factory=dict)
    c2pa_container: str | None = None
    trailing_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def exif_value(self, name: str) -> Any:
        """The value of an EXIF tag by name in any IFD (IFD0 first), or None."""
        for ifd in ("IFD0", "Exif", "GPS", "Interop", "IFD1"):
            value = self.exif.get(ifd, {}).get(name)
            if value is not None:
                return value
        return None

    def xmp_properties(self) -> list[tuple[str, str, str, str]]:
        """``(source, namespace, name, value)`` of every property of every parsed XMP packet."""
        return [(p.source, ns, name, value) for p in self.xmp for ns, name, value in p.properties()]


# --------------------------------------------------------------------------------------------- EXIF

_IFD_POINTERS = {"Exif": 0x8769, "GPS": 0x8825, "Interop": 0xA005}
_USER_COMMENT = 0x9286


def decode_user_comment(raw: bytes, *, big_endian: bool = False) -> str:
    """Decode an EXIF UserComment (8-byte character code + data): ASCII, UNICODE (UCS-2), JIS, undefined."""
    if len(raw) < 8:
        return raw.decode("utf-8", "replace").strip("\x00 ")
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return body.decode("utf-16", "replace").strip("\x00 ")
        # UCS-2 in the TIFF byte order; some writers ignore it, so pick the order with fewer NULs in
        # the high bytes of ASCII-range characters.
        orders = ("utf-16-be", "utf-16-le") if big_endian else ("utf-16-le", "utf-16-be")
        texts = [body.decode(o, "replace") for o in orders]
        best = min(texts, key=lambda t: sum(1 for ch in t if ord(ch) > 0x2FFF and ch not in "\ufffd"))
        return best.strip("\x00 ")
    if code.startswith(b"JIS"):
        for enc in ("iso2022_jp", "shift_jis", "euc_jp"):
            try:
                return body.decode(enc).strip("\x00 ")
            except UnicodeDecodeError:
                continue
        return body.decode("latin-1").strip("\x00 ")
    if code.startswith(b"ASCII"):
        return body.decode("utf-8", "replace").strip("\x00 ")
    # undefined code: try UTF-8 (many tools write raw UTF-8 JSON), then latin-1
    data = body if code == b"\x00" * 8 else raw
    try:
        return data.decode("utf-8").strip("\x00 ")
    except UnicodeDecodeError:
        return data.decode("latin-1").strip("\x00 ")


def _plain(value: Any, *, max_len: int = 4096) -> Any:
    if isinstance(value, TiffImagePlugin.IFDRational):
        return float(value) if value.denominator else None
    if isinstance(value, bytes):
        if len(value) > max_len:
            return f"<{len(value)} bytes>"
        text = value.rstrip(b"\x00")
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    if isinstance(value, str):
        return value.rstrip("\x00")[:max_len]
    if isinstance(value, tuple):
        return [_plain(v) for v in value[:256]]
    if isinstance(value, int | float):
        return value
    return str(value)[:max_len]


def read_exif(img: PILImage.Image) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """All EXIF IFDs as ``{ifd: {tag name: value}}``, plus notes on what could not be read."""
    notes: list[str] = []
    try:
        exif = img.getexif()
    except Exception as exc:  # hostile EXIF must never take the analysis down
        return {}, [f"EXIF unreadable: {exc}"]
    big_endian = bool(getattr(exif, "endian", "<") == ">")
    out: dict[str, dict[str, Any]] = {}
    ifd0: dict[str, Any] = {}
    for tag, value in exif.items():
        if tag in _IFD_POINTERS.values():
            continue
        ifd0[ExifTags.TAGS.get(tag, f"0x{tag:04x}")] = _plain(value)
    if ifd0:
        out["IFD0"] = ifd0
    for name, pointer in _IFD_POINTERS.items():
        try:
            sub = exif.get_ifd(pointer)
        except Exception as exc:
            notes.append(f"EXIF {name} IFD unreadable: {exc}")
            continue
        if not sub:
            continue
        table = ExifTags.GPSTAGS if name == "GPS" else ExifTags.TAGS
        values: dict[str, Any] = {}
        for tag, value in sub.items():
            if tag == _USER_COMMENT and isinstance(value, bytes):
                values["UserComment"] = decode_user_comment(value, big_endian=big_endian)
            else:
                values[table.get(tag, f"0x{tag:04x}")] = _plain(value)
        out[name] = values
    try:
        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
        if ifd1:
            out["IFD1"] = {ExifTags.TAGS.get(t, f"0x{t:04x}"): _plain(v) for t, v in ifd1.items()}
    except Exception as exc:
        notes.append(f"EXIF IFD1 unreadable: {exc}")
    return out, notes


# --------------------------------------------------------------------------------------------- JPEG

def _jpeg_quant_tables(payload: bytes) -> dict[int, np.ndarray]:
    tables: dict[int, np.ndarray] = {}
    pos = 0
    while pos < len(payload):
        pq_tq = payload[pos]
        precision, table_id = pq_tq >> 4, pq_tq & 0x0F
        size = 128 if precision else 64
        body = payload[pos + 1:pos + 1 + size]
        if len(body) < size:
            break
        values = np.frombuffer(body, dtype=">u2" if precision else np.uint8).astype(np.int32)
        natural = np.zeros(64, dtype=np.int32)
        natural[_ZIGZAG] = values
        tables[table_id] = natural.reshape(8, 8)
        pos += 1 + size
    return tables


def walk_jpeg(data: bytes, meta: Metadata, limits: Limits) -> list[tuple[str, bytes]]:
    """Walk JPEG marker segments up to the scan; return raw XMP payloads with their sources."""
    xmp: list[tuple[str, bytes]] = []
    extended: dict[bytes, dict[int, bytes]] = {}
    ext_len: dict[bytes, int] = {}
    pos, count, meta_bytes = 2, 0, 0
    app11: list[bytes] = []
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise UnreadableImage(f"corrupt JPEG: expected a marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xD9:
            break
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2:
            raise UnreadableImage(f"corrupt JPEG: bad segment length at byte {pos}")
        payload = data[pos + 4:pos + 2 + length]
        count += 1
        if count > limits.max_chunks:
            raise InputTooLarge(f"JPEG has more than {limits.max_chunks} segments")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            meta_bytes += length
            if meta_bytes > limits.max_metadata_bytes:
                raise InputTooLarge(f"JPEG metadata exceeds {limits.max_metadata_bytes:,} bytes")
            name = "COM" if marker == 0xFE else f"APP{marker - 0xE0}"
            meta.segments.append(Segment(name, pos, length, payload[:65536]))
            if marker == 0xE1 and payload.startswith(XMP_JPEG_ID):
                xmp.append(("jpeg:APP1", payload[len(XMP_JPEG_ID):]))
            elif marker == 0xE1 and payload.startswith(XMP_EXT_ID) and len(payload) >= len(XMP_EXT_ID) + 40:
                body = payload[len(XMP_EXT_ID):]
                guid, full, offset = body[:32], *struct.unpack(">II", body[32:40])
                if full > limits.max_xmp_bytes:
                    raise InputTooLarge(f"ExtendedXMP of {full:,} bytes exceeds the {limits.max_xmp_bytes:,} limit")
                extended.setdefault(guid, {})[offset] = body[40:]
                ext_len[guid] = full
            elif marker == 0xEB:
                app11.append(payload)
            elif marker == 0xFE:
                meta.text_chunks.append(TextChunk("COM", "comment", payload.decode("utf-8", "replace")))
        elif marker == 0xDB:
            meta.quant_tables.update(_jpeg_quant_tables(payload))
        elif marker == 0xDA:
            break
        pos += 2 + length
    for guid, parts in extended.items():
        blob = b"".join(parts[k] for k in sorted(parts))
        if len(blob) == ext_len[guid]:
            xmp.append(("jpeg:ExtendedXMP", blob))
        else:
            meta.notes.append("incomplete ExtendedXMP packet ignored")
    if app11 and any(b"jumb" in p and b"c2pa" in p for p in app11):
        meta.c2pa_container = "jpeg:APP11"
    end = data.rfind(b"\xff\xd9")
    if end >= 0 and len(data) - end - 2 > 0:
        meta.trailing_bytes = len(data) - end - 2
    return xmp


# ---------------------------------------------------------------------------------------------- PNG

def _inflate(data: bytes, limit: int, what: str) -> bytes:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise UnreadableImage(f"corrupt compressed {what}: {exc}") from exc
    if len(out) > limit:
        raise InputTooLarge(f"{what} inflates beyond {limit:,} bytes")
    return out


def walk_png(data: bytes, meta: Metadata, limits: Limits) -> list[tuple[str, bytes]]:
    xmp: list[tuple[str, bytes]] = []
    pos, count, meta_bytes, crc_errors = 8, 0, 0, 0
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        if length > len(data):
            raise UnreadableImage(f"corrupt PNG: chunk at byte {pos} claims {length:,} bytes")
        kind = ctype.decode("latin-1")
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        count += 1
        if count > limits.max_chunks:
            raise InputTooLarge(f"PNG has more than {limits.max_chunks:,} chunks")
        if len(crc) == 4 and zlib.crc32(ctype + body) != struct.unpack(">I", crc)[0]:
            crc_errors += 1
        if kind not in ("IDAT", "IEND"):
            meta.segments.append(Segment(kind, pos, length, body[:65536]))
        if kind in ("tEXt", "zTXt", "iTXt"):
            meta_bytes += length
            if meta_bytes > limits.max_metadata_bytes:
                raise InputTooLarge(f"PNG text chunks exceed {limits.max_metadata_bytes:,} bytes")
            key, _, rest = body.partition(b"\x00")
            keyword = key.decode("latin-1")
            if kind == "tEXt":
                raw = rest
            elif kind == "zTXt":
                raw = _inflate(rest[1:], limits.max_metadata_bytes, f"PNG zTXt {keyword!r}")
            else:
                flag, _method = rest[0:1], rest[1:2]
                _lang, _, rest2 = rest[2:].partition(b"\x00")
                _tkey, _, text = rest2.partition(b"\x00")
                raw = _inflate(text, limits.max_metadata_bytes, f"PNG iTXt {keyword!r}") if flag == b"\x01" else text
            if keyword == XMP_PNG_KEY:
                xmp.append((f"png:{kind}", raw))
            encoding = "latin-1" if kind != "iTXt" else "utf-8"
            try:
                text_value = raw.decode("utf-8") if kind != "iTXt" else raw.decode(encoding)
            except UnicodeDecodeError:
                text_value = raw.decode("latin-1")
            meta.text_chunks.append(TextChunk(kind, keyword, text_value))
        elif kind == "caBX":
            meta.c2pa_container = "png:caBX"
        elif kind == "IEND":
            meta.trailing_bytes = len(data) - (pos + 12 + length)
            break
        pos += 12 + length
    if crc_errors:
        meta.notes.append(f"{crc_errors} PNG chunk(s) with a bad CRC")
    return xmp


# --------------------------------------------------------------------------------------------- WebP

def walk_riff(data: bytes, meta: Metadata, limits: Limits) -> list[tuple[str, bytes]]:
    xmp: list[tuple[str, bytes]] = []
    pos, count = 12, 0
    while pos + 8 <= len(data):
        kind = data[pos:pos + 4].decode("latin-1")
        (length,) = struct.unpack("<I", data[pos + 4:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        count += 1
        if count > limits.max_chunks:
            raise InputTooLarge(f"WebP has more than {limits.max_chunks:,} chunks")
        meta.segments.append(Segment(kind, pos, length, body[:65536]))
        if kind == "XMP ":
            xmp.append(("webp:XMP", body))
        elif kind == "C2PA":
            meta.c2pa_container = "webp:C2PA"
        pos += 8 + length + (length & 1)
    return xmp


# ---------------------------------------------------------------------------------------------- C2PA

def _has_c2pa_jumbf(data: bytes, limit: int = 64) -> bool:
    """A JUMBF superbox (``jumb``) whose description box labels it ``c2pa``, anywhere in the file."""
    pos, seen = data.find(b"jumb"), 0
    while pos >= 0 and seen < limit:
        if data[pos + 8:pos + 12] == b"jumd" and b"c2pa" in data[pos:pos + 48]:
            return True
        pos, seen = data.find(b"jumb", pos + 4), seen + 1
    return False


def extract(data: bytes, fmt: str, img: PILImage.Image, limits: Limits, meta: Metadata,
            raw_xmp: list[tuple[str, bytes]]) -> Metadata:
    """Complete the metadata of the container walk (:func:`refundguard.media.container.walk_container`) with
    what the opened (not yet decoded) image adds: HEIF/AVIF XMP, packets anywhere else, EXIF."""
    raw_xmp = list(raw_xmp)
    if fmt in ("HEIF", "AVIF"):
        xmp_info = img.info.get("xmp")
        if isinstance(xmp_info, bytes | str) and xmp_info:
            raw_xmp.append((f"{fmt.lower()}:xmp", xmp_info if isinstance(xmp_info, bytes) else xmp_info.encode()))
    # Packets anywhere else in the file (appended, in unknown boxes, in GIF application extensions).
    known = {bytes(b).strip() for _, b in raw_xmp}
    for offset, blob in scan_for_packets(data, window=limits.max_xmp_bytes):
        if not any(blob.strip() in k or k in blob for k in known):
            raw_xmp.append((f"scan@{offset}", blob))
    for source, blob in raw_xmp:
        meta.xmp.append(parse_packet(blob, source, max_bytes=limits.max_xmp_bytes, max_depth=limits.max_xmp_depth))
    if meta.c2pa_container is None and _has_c2pa_jumbf(data):
        meta.c2pa_container = "jumbf"
    meta.exif, notes = read_exif(img)
    meta.notes += notes
    return meta
