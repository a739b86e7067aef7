"""Structure-aware fuzzing of each container: files assembled from drawn parts (TIFF directories, JPEG
marker segments, PNG chunks, GIF blocks, RIFF chunks, ISO BMFF box trees) whose fields take boundary
values, so the walkers and the decoders behind them see every shape of header, not only flipped bytes."""

from __future__ import annotations

import contextlib
import struct
import zlib

from hypothesis import given
from hypothesis import strategies as st

from bench.hostile_files import avif_photo
from refundguard.config import Limits
from refundguard.errors import InputError
from refundguard.media.bmff import walk_bmff
from refundguard.media.metadata import Metadata
from tests.fuzz.helpers import load_or_clean_error

u8 = st.integers(0, 0xFF)
u16 = st.one_of(st.sampled_from((0, 1, 2, 8, 16, 64, 255, 0x7FFF, 0xFFFF)), st.integers(0, 0xFFFF))
u32 = st.one_of(st.sampled_from((0, 1, 2, 8, 64, 1000, 100_000, 0x7FFFFFFF, 0xFFFFFFFF)), st.integers(0, 1 << 32 - 1))
small_bytes = st.binary(max_size=64)

# ---------------------------------------------------------------------------------------------- TIFF

TIFF_TAGS = (256, 257, 258, 259, 262, 273, 274, 277, 278, 279, 284, 317, 320, 322, 323, 324, 325, 338, 339, 530,
             700, 34665, 34853, 330, 40965)
tiff_entry = st.tuples(st.one_of(st.sampled_from(TIFF_TAGS), u16), st.integers(0, 18), u32, u32)


def tiff_file(order: str, entries: list[tuple[int, int, int, int]], next_ifd: int, tail: bytes) -> bytes:
    head = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    ifd = struct.pack(order + "H", len(entries))
    for tag, typ, count, value in sorted(entries):
        ifd += struct.pack(order + "HHII", tag, typ, count, value)
    return head + ifd + struct.pack(order + "I", next_ifd) + tail


@given(order=st.sampled_from("<>"), entries=st.lists(tiff_entry, max_size=24), next_ifd=u32,
       tail=st.binary(max_size=2048))
def test_tiff_directories(order, entries, next_ifd, tail, capfd):
    load_or_clean_error(tiff_file(order, entries, next_ifd, tail), capfd)


@given(order=st.sampled_from("<>"), width=u16, height=u16, bps=st.sampled_from((1, 2, 4, 8, 12, 16, 32, 64)),
       compression=st.sampled_from((1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946, 34712, 50000)),
       photometric=st.integers(0, 10), spp=st.integers(0, 8), rows=u32, planar=st.sampled_from((1, 2)),
       sample_format=st.integers(0, 4), strips=st.integers(0, 64), pixel_data=st.binary(max_size=4096))
def test_tiff_pages_with_plausible_tags(order, width, height, bps, compression, photometric, spp, rows, planar,
                                        sample_format, strips, pixel_data, capfd):
    """Every combination of the tags a decoder reads, with strips that point into the pixel data."""
    p = order
    n = 12
    data_at = 8 + 2 + 12 * n + 4
    offsets_at = data_at
    counts_at = offsets_at + 4 * max(strips, 2)
    pixels_at = counts_at + 4 * max(strips, 2)
    per = len(pixel_data) // max(strips, 1)
    room = 4 * max(strips, 2)
    offsets = b"".join(struct.pack(p + "I", pixels_at + i * per) for i in range(strips)).ljust(room, b"\0")
    counts = b"".join(struct.pack(p + "I", per) for _ in range(strips)).ljust(room, b"\0")
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, bps << (16 if p == ">" else 0)),
               (259, 3, 1, compression << (16 if p == ">" else 0)),
               (262, 3, 1, photometric << (16 if p == ">" else 0)),
               (273, 4, strips, offsets_at if strips > 1 else pixels_at), (277, 3, 1, spp << (16 if p == ">" else 0)),
               (278, 4, 1, rows), (279, 4, strips, counts_at if strips > 1 else per),
               (284, 3, 1, planar << (16 if p == ">" else 0)), (339, 3, 1, sample_format << (16 if p == ">" else 0)),
               (274, 3, 1, 1 << (16 if p == ">" else 0))]
    load_or_clean_error(tiff_file(p, entries, 0, offsets + counts + pixel_data), capfd)


# ---------------------------------------------------------------------------------------------- JPEG

JPEG_MARKERS = (0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC9, 0xCC, 0xDA, 0xDB, 0xDD, 0xDC, 0xE0, 0xE1, 0xE2, 0xEB, 0xEE, 0xFE,
                0xD0, 0xD9, 0x01)
jpeg_segment = st.tuples(st.sampled_from(JPEG_MARKERS), st.binary(max_size=80), st.booleans(), u16)


def sof(width: int, height: int, components: int, progressive: bool) -> bytes:
    comps = b"".join(bytes([i + 1, 0x11 if i else 0x22, 0]) for i in range(components))
    body = bytes([8]) + struct.pack(">HH", height, width) + bytes([components]) + comps
    return b"\xff" + (b"\xc2" if progressive else b"\xc0") + struct.pack(">H", len(body) + 2) + body


@given(width=u16, height=u16, components=st.sampled_from((1, 3, 4)), progressive=st.booleans(),
       segments=st.lists(jpeg_segment, max_size=12), scan=st.binary(max_size=512))
def test_jpeg_marker_sequences(width, height, components, progressive, segments, scan, capfd):
    base = avif_free_jpeg()
    sos_at = base.find(b"\xff\xda")
    out = bytearray(b"\xff\xd8")
    for marker, payload, honest_length, length in segments:
        size = len(payload) + 2 if honest_length else length
        out += bytes([0xFF, marker]) + struct.pack(">H", size) + payload
    out += sof(width, height, components, progressive) + base[2:sos_at].split(b"\xff\xc0")[0][2:]
    out += base[sos_at:sos_at + 14] + scan + b"\xff\xd9"
    load_or_clean_error(bytes(out), capfd)


def avif_free_jpeg() -> bytes:
    """A small JPEG whose tables (DQT, DHT) the drawn files reuse."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(buf, format="JPEG")
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------- PNG

def chunk(kind: bytes, body: bytes, good_crc: bool = True) -> bytes:
    crc = zlib.crc32(kind + body) if good_crc else 0
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc & 0xFFFFFFFF)


PNG_CHUNKS = (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"acTL", b"fcTL", b"fdAT", b"IDAT", b"caBX", b"PLTE", b"tRNS",
              b"iCCP", b"gAMA", b"sBIT", b"IEND")
png_part = st.tuples(st.sampled_from(PNG_CHUNKS), st.binary(max_size=96), st.booleans(), st.booleans())


@given(width=u32, height=u32, depth=st.sampled_from((1, 2, 4, 8, 16, 3)), colour=st.sampled_from((0, 2, 3, 4, 6, 5)),
       interlace=st.integers(0, 2), parts=st.lists(png_part, max_size=10), pixels=st.binary(max_size=2048))
def test_png_chunk_sequences(width, height, depth, colour, interlace, parts, pixels, capfd):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    for kind, body, compress, good_crc in parts:
        payload = zlib.compress(body) if compress and kind in (b"IDAT", b"zTXt", b"iCCP", b"fdAT") else body
        out += chunk(kind, payload, good_crc)
    out += chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")
    load_or_clean_error(out, capfd)


# ----------------------------------------------------------------------------------------------- GIF

gif_block = st.one_of(
    st.tuples(st.just("image"), u16, u16, u16, u16, u8, st.integers(0, 12), st.lists(st.binary(max_size=40),
                                                                                    max_size=4)),
    st.tuples(st.just("ext"), st.sampled_from((0xF9, 0xFE, 0xFF, 0x01, 0x00)), st.lists(st.binary(max_size=40),
                                                                                        max_size=4)),
    st.tuples(st.just("junk"), st.binary(min_size=1, max_size=8)),
)


def sub_blocks(parts: list[bytes]) -> bytes:
    return b"".join(bytes([len(p)]) + p for p in parts) + b"\x00"


@given(width=u16, height=u16, flags=u8, blocks=st.lists(gif_block, max_size=8), trailer=st.booleans())
def test_gif_block_sequences(width, height, flags, blocks, trailer, capfd):
    out = b"GIF89a" + struct.pack("<HHBBB", width, height, flags, 0, 0)
    if flags & 0x80:
        out += bytes(3 * (2 << (flags & 7)))
    for block in blocks:
        if block[0] == "image":
            _, left, top, w, h, f, code, parts = block
            table = bytes(3 * (2 << (f & 7))) if f & 0x80 else b""
            out += b"\x2c" + struct.pack("<HHHHB", left, top, w, h, f) + table + bytes([code]) + sub_blocks(parts)
        elif block[0] == "ext":
            out += b"\x21" + bytes([block[1]]) + sub_blocks(block[2])
        else:
            out += block[1]
    load_or_clean_error(out + (b"\x3b" if trailer else b""), capfd)


# ---------------------------------------------------------------------------------------------- WebP

riff_chunk = st.tuples(st.sampled_from((b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"EXIF", b"XMP ",
                                        b"ICCP", b"C2PA")), st.binary(max_size=64), st.booleans(), u32)


@given(chunks=st.lists(riff_chunk, min_size=1, max_size=6), width=st.integers(0, 1 << 14),
       height=st.integers(0, 1 << 14), lossless=st.booleans())
def test_riff_chunk_sequences(chunks, width, height, lossless, capfd):
    body = b""
    for kind, payload, honest, size in chunks:
        if kind == b"VP8X":
            payload = (bytes([payload[0] if payload else 0, 0, 0, 0]) + max(width - 1, 0).to_bytes(3, "little")
                       + max(height - 1, 0).to_bytes(3, "little"))
        elif kind == b"VP8L" and lossless:
            payload = b"\x2f" + ((max(width, 1) - 1) | ((max(height, 1) - 1) << 14)).to_bytes(4, "little") + payload
        elif kind == b"VP8 ":
            payload = b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + payload
        length = len(payload) if honest else size
        body += kind + struct.pack("<I", length & 0xFFFFFFFF) + payload + (b"\x00" if len(payload) % 2 else b"")
    load_or_clean_error(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body, capfd)


# ---------------------------------------------------------------------------------------- ISO BMFF

BOX_TYPES = (b"ftyp", b"meta", b"hdlr", b"pitm", b"iinf", b"infe", b"iloc", b"iprp", b"ipco", b"ispe", b"ipma",
             b"iref", b"dimg", b"av1C", b"hvcC", b"colr", b"pixi", b"irot", b"clap", b"mdat", b"uuid", b"free")


def box(kind: bytes, payload: bytes, size: int | None = None) -> bytes:
    return struct.pack(">I", (8 + len(payload)) if size is None else size) + kind + payload


boxes = st.recursive(
    st.tuples(st.sampled_from(BOX_TYPES), st.binary(max_size=48), st.one_of(st.none(), u32)).map(
        lambda t: box(t[0], t[1], t[2])),
    lambda inner: st.tuples(st.sampled_from((b"meta", b"iprp", b"ipco", b"iinf", b"iref")), st.lists(inner, max_size=5),
                            st.booleans()).map(lambda t: box(t[0], (b"\x00\x00\x00\x00" if t[2] else b"")
                                                             + b"".join(t[1]))),
    max_leaves=16,
)


@given(brand=st.sampled_from((b"avif", b"heic", b"mif1", b"avis")), parts=st.lists(boxes, max_size=6))
def test_bmff_box_trees(brand, parts, capfd):
    data = box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"mif1") + b"".join(parts)
    with contextlib.suppress(InputError):
        walk_bmff(data, Metadata(), Limits(max_chunks=500))
    load_or_clean_error(data, capfd)


@given(ops=st.lists(st.tuples(st.integers(0, 4000), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6))
def test_bmff_boxes_of_a_real_avif_overwritten(ops, capfd):
    data = bytearray(avif_photo(32))
    for at, blob in ops:
        at %= len(data)
        data[at:at + len(blob)] = blob
    load_or_clean_error(bytes(data), capfd)
