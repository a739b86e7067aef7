"""Hostile image files, generated (nothing big is committed): small files whose headers promise large or
expensive decodes, containers with absurd structure, and decoder crashers.

Every generator returns the file's bytes. ``CLASSES`` lists the hostile classes that ``bench/hostile.py``
measures and the tests use, with what the loader must do with each: ``reduce`` (analysed at reduced
size within the budget), ``refuse`` (one clear error, exit 2) or ``analyse`` (within the budget as is).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

# ------------------------------------------------------------------------------------------- helpers


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _noise(width: int, height: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# ---------------------------------------------------------------------------------------------- JPEG

def jpeg_header_bomb(width: int = 8000, height: int = 8000, *, progressive: bool = True, copies: int = 10) -> bytes:
    """A JPEG of a few kilobytes whose frame header says ``width``×``height``.

    The scans of a 16×16 picture run into the next marker long before the promised picture is complete:
    libjpeg pads them with zero bits and decodes every block of the full size. With ``progressive``
    the ten scans of the small picture are repeated ``copies`` times (100 full-size scans by default,
    3.2 KB, like the 3,388-byte file of issue #17).
    """
    small = _encode(Image.new("RGB", (16, 16), (120, 60, 30)), "JPEG", quality=80, progressive=progressive)
    sof = small.find(b"\xff\xc2" if progressive else b"\xff\xc0")
    data = bytearray(small)
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    first_scan = data.find(b"\xff\xda")
    scans = bytes(data[first_scan:-2])
    return bytes(data[:first_scan]) + scans * (copies if progressive else 1) + b"\xff\xd9"


def jpeg_many_scans(scans: int = 1000) -> bytes:
    """A progressive JPEG header bomb with ``scans`` scans (each one a pass over the whole picture)."""
    return jpeg_header_bomb(8000, 8000, progressive=True, copies=max(1, scans // 10))


def jpeg_many_segments(segments: int = 20_000) -> bytes:
    """A small JPEG with ``segments`` empty COM segments before the frame."""
    small = _encode(Image.new("RGB", (16, 16)), "JPEG")
    return small[:2] + b"\xff\xfe\x00\x02" * segments + small[2:]


def jpeg_photo(width: int, height: int, *, quality: int = 92, seed: int = 0) -> bytes:
    """A JPEG of noisy photo-like content (the costliest content for the blind checks)."""
    base = np.asarray(Image.fromarray(_noise(max(2, width // 16), max(2, height // 16), seed)).resize(
        (width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    grain = np.random.default_rng(seed + 1).integers(-8, 9, (height, width, 3), dtype=np.int16)
    return _encode(Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8)), "JPEG", quality=quality)


# ----------------------------------------------------------------------------------------------- PNG

def png_bomb(width: int = 8000, height: int = 8000, *, colour_type: int = 2) -> bytes:
    """A valid PNG of ``width``×``height`` zero pixels (8-bit RGB by default): ~190 KB for 64 MP."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    row = b"\x00" * (1 + width * channels)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def png_strip(width: int = 1, height: int = 20000) -> bytes:
    """A 1×20000 PNG (165 bytes): an aspect ratio no photo has."""
    return png_bomb(width, height)


def apng_frames(frames: int = 1_000_000) -> bytes:
    """A 16×16 PNG whose ``acTL`` chunk declares ``frames`` animation frames."""
    png = _encode(Image.new("RGB", (16, 16)), "PNG")
    actl = png_chunk(b"acTL", struct.pack(">II", frames, 0))
    return png[:33] + actl + png[33:]


# ----------------------------------------------------------------------------------------------- GIF

def gif_bomb(side: int = 7900) -> bytes:
    """A flat palette GIF of ``side``² pixels (~47 KB for 62 MP: LZW codes grow with the run)."""
    return _encode(Image.new("P", (side, side), 0), "GIF")


def gif_frames(frames: int = 10_000) -> bytes:
    """A 1×1 GIF with ``frames`` frames."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return head + frame * frames + b"\x3b"


def gif_tiny_sub_blocks(blocks: int = 2_000_000) -> bytes:
    """A 1×1 GIF whose comment is cut into ``blocks`` one-byte sub-blocks (Pillow walks them in Python)."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    comment = b"\x21\xfe" + b"\x01A" * blocks + b"\x00"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return head + comment + frame + b"\x3b"


# ----------------------------------------------------------------------------------------------- BMP

def bmp_rle(width: int = 8000, height: int = 8000) -> bytes:
    """An RLE8 BMP where every row is one pixel then an end-of-line: Pillow's Python decoder pads each
    row byte by byte (64 MP from 33 KB)."""
    pixels = b"\x01\x05\x00\x00" * height + b"\x00\x01"
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    dib = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 2835, 2835, 256, 0)
    return header + dib + palette + pixels


# ---------------------------------------------------------------------------------------------- TIFF

def _tiff(entries: list[tuple[int, int, int, bytes]], extra: bytes = b"", next_ifd: int = 0) -> bytes:
    """A little-endian TIFF with one IFD right after the header; values larger than 4 bytes are placed
    after the IFD (``extra`` follows them)."""
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    table, blobs = b"", b""
    for tag, typ, count, value in sorted(entries):
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\x00")
        else:
            table += struct.pack("<HHII", tag, typ, count, data_at + len(blobs))
            blobs += value + (b"\x00" if len(value) % 2 else b"")
    ifd = struct.pack("<H", len(entries)) + table + struct.pack("<I", next_ifd)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + blobs + extra


def tiff_many_strips(strips: int = 5_000_000) -> bytes:
    """A 1×``strips`` grey TIFF with one row per strip: 40 MB of strip offsets and byte counts."""
    header_guess = 8 + 2 + 12 * 9 + 4
    offsets_at = header_guess
    pixel_at = offsets_at + 8 * strips
    offsets = struct.pack("<I", pixel_at) * strips
    counts = struct.pack("<I", 1) * strips
    entries = [(256, 4, 1, struct.pack("<I", 1)), (257, 4, 1, struct.pack("<I", strips)),
               (258, 3, 1, struct.pack("<H", 8)), (259, 3, 1, struct.pack("<H", 1)),
               (262, 3, 1, struct.pack("<H", 1)), (273, 4, strips, offsets), (277, 3, 1, struct.pack("<H", 1)),
               (278, 4, 1, struct.pack("<I", 1)), (279, 4, strips, counts)]
    return _tiff(entries, extra=b"\x80")


def tiff_ifd_loop() -> bytes:
    """A multi-page TIFF whose page chain loops back to an earlier page, with tags pointing past the end."""
    base = bytearray(_encode(Image.new("RGB", (64, 64), (1, 2, 3)), "TIFF"))
    first = struct.unpack("<I", base[4:8])[0]
    count = struct.unpack("<H", base[first:first + 2])[0]
    # a second IFD: a copy of the first, whose "next" points back to the first
    second_at = len(base)
    table = bytes(base[first + 2:first + 2 + 12 * count])
    bogus = struct.pack("<HHII", 0x9000 + 1, 4, 1000, 0x7FFF0000)  # a tag whose values lie past the end
    entries = sorted([table[i:i + 12] for i in range(0, len(table), 12)] + [bogus], key=lambda e: e[:2][::-1])
    second = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", first)
    base[first + 2 + 12 * count:first + 6 + 12 * count] = struct.pack("<I", second_at)
    return bytes(base) + second


def tiff_float_infinities(side: int = 64) -> bytes:
    """A float TIFF full of +inf with a -inf, a NaN and two finite values (0 and 1)."""
    arr = np.full((side, side), np.inf, dtype=np.float32)
    arr[0, 0], arr[1, 1], arr[2, 2], arr[3, 3] = -np.inf, np.nan, 1.0, 0.0
    return _encode(Image.fromarray(arr, "F"), "TIFF")


# ---------------------------------------------------------------------------------------------- WebP

def webp_bomb(side: int = 8000) -> bytes:
    """A flat lossless WebP of ``side``² pixels (a few kilobytes)."""
    return _encode(Image.new("RGB", (side, side), (90, 90, 90)), "WEBP", lossless=True, method=0)


# ---------------------------------------------------------------------------------------- AVIF / BMFF

def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def _children(data: bytes, start: int, end: int) -> dict[bytes, bytes]:
    out, pos = {}, start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.setdefault(kind, data[pos + 8:pos + size])
        pos += size
    return out


def avif_photo(side: int = 64, seed: int = 0) -> bytes:
    return _encode(Image.fromarray(_noise(side, side, seed)), "AVIF", quality=60)


def avif_grid(rows: int, cols: int, width: int, height: int, *, tile: int = 64, distinct: bool = True) -> bytes:
    """An AVIF whose primary item is a ``rows``×``cols`` grid of one AV1 tile (one payload in ``mdat``
    shared by every tile item) with a ``width``×``height`` canvas.

    With ``distinct=False`` every grid cell references the same item, which libavif refuses with
    "Invalid image grid"; a canvas larger than the tiles cover is refused the same way.
    """
    src = avif_photo(tile)
    top = _children(src, 0, len(src))
    parts = _children(top[b"meta"], 4, len(top[b"meta"]))
    iprp = _children(parts[b"iprp"], 0, len(parts[b"iprp"]))
    props, pos, ipco = [], 0, iprp[b"ipco"]
    while pos + 8 <= len(ipco):
        size = struct.unpack(">I", ipco[pos:pos + 4])[0]
        props.append(ipco[pos:pos + size])
        pos += size
    ipma = iprp[b"ipma"]
    tile_assoc = list(ipma[11:11 + ipma[10]])  # version 0, one entry: item id (2 bytes), count, indices
    iloc = parts[b"iloc"]
    offset_size, length_size, base_size = iloc[4] >> 4, iloc[4] & 15, iloc[5] >> 4
    p = 6 + 2 + 2 + (2 if iloc[0] in (1, 2) else 0) + 2
    base = int.from_bytes(iloc[p:p + base_size], "big")
    p += base_size + 2
    offset = int.from_bytes(iloc[p:p + offset_size], "big")
    length = int.from_bytes(iloc[p + offset_size:p + offset_size + length_size], "big")
    payload = src[base + offset:base + offset + length]
    grid = bytes([0, 0, rows - 1, cols - 1]) + struct.pack(">HH", width, height)
    props.append(_full(b"ispe", 0, 0, struct.pack(">II", width, height)))
    canvas_prop = len(props)
    cells = rows * cols
    tiles = list(range(2, 2 + (cells if distinct else 1)))
    grid_id = tiles[-1] + 1

    def meta(mdat_at: int) -> bytes:
        tile_at, grid_at = mdat_at + 8, mdat_at + 8 + len(payload)
        items = [(t, tile_at, len(payload)) for t in tiles] + [(grid_id, grid_at, len(grid))]
        iloc_box = _full(b"iloc", 0, 0, bytes([0x44, 0x00]) + struct.pack(">H", len(items))
                         + b"".join(struct.pack(">HHHII", i, 0, 1, at, n) for i, at, n in items))
        infes = b"".join(_full(b"infe", 2, 1, struct.pack(">HH", t, 0) + b"av01\x00") for t in tiles)
        infes += _full(b"infe", 2, 0, struct.pack(">HH", grid_id, 0) + b"grid\x00")
        refs = [tiles[k % len(tiles)] for k in range(cells)]
        iref = _full(b"iref", 0, 0, _box(b"dimg", struct.pack(">HH", grid_id, cells)
                                         + b"".join(struct.pack(">H", r) for r in refs)))
        grid_assoc = [a for a in tile_assoc if (a & 0x7F) != 1] + [0x80 | canvas_prop]
        entries = b"".join(struct.pack(">HB", t, len(tile_assoc)) + bytes(tile_assoc) for t in tiles)
        entries += struct.pack(">HB", grid_id, len(grid_assoc)) + bytes(grid_assoc)
        ipma_box = _full(b"ipma", 0, 0, struct.pack(">I", len(tiles) + 1) + entries)
        return _full(b"meta", 0, 0, _full(b"hdlr", 0, 0, b"\0" * 4 + b"pict" + b"\0" * 13)
                     + _full(b"pitm", 0, 0, struct.pack(">H", grid_id)) + iloc_box
                     + _full(b"iinf", 0, 0, struct.pack(">H", len(tiles) + 1) + infes) + iref
                     + _box(b"iprp", _box(b"ipco", b"".join(props)) + ipma_box))

    ftyp = _box(b"ftyp", top[b"ftyp"])
    mdat_at = len(ftyp) + len(meta(0))
    return ftyp + meta(mdat_at) + _box(b"mdat", payload + grid)


def avif_bad_planes() -> bytes:
    """An AVIF whose AV1 payload is garbage: libavif "Decoding of color planes failed"."""
    data = bytearray(avif_photo())
    start = data.find(b"mdat") + 4 + 8
    data[start:] = bytes(0xAA if k % 2 else 0x55 for k in range(len(data) - start))
    return bytes(data)


def avif_missing_item() -> bytes:
    """An AVIF whose primary item id names no item: libavif "Missing or empty image item"."""
    data = bytearray(avif_photo())
    at = data.find(b"pitm") + 8
    data[at:at + 2] = struct.pack(">H", 77)
    return bytes(data)


def avif_invalid_grid() -> bytes:
    """An AVIF grid whose four cells reference one tile item: libavif "Invalid image grid"."""
    return avif_grid(2, 2, 128, 128, distinct=False)


# ------------------------------------------------------------------------------------------- classes

@dataclass(frozen=True, slots=True)
class HostileClass:
    name: str
    make: Callable[[], bytes]
    expect: str  # reduce | refuse | analyse
    about: str


CLASSES: tuple[HostileClass, ...] = (
    HostileClass("jpeg_header_bomb", jpeg_header_bomb, "reduce",
                 "3.2 KB progressive JPEG promising 8000×8000 (100 zero-padded full-size scans)"),
    HostileClass("jpeg_many_scans", jpeg_many_scans, "refuse", "progressive JPEG with 1,000 scans (30 KB)"),
    HostileClass("jpeg_many_segments", jpeg_many_segments, "refuse", "JPEG with 20,000 empty COM segments"),
    HostileClass("png_bomb", png_bomb, "reduce", "190 KB PNG of 8000×8000 pixels"),
    HostileClass("png_strip", png_strip, "refuse", "165-byte PNG of 1×20000 pixels"),
    HostileClass("apng_frames", apng_frames, "refuse", "PNG declaring 1,000,000 animation frames"),
    HostileClass("gif_bomb", gif_bomb, "reduce", "47 KB GIF of 7900×7900 pixels"),
    HostileClass("gif_frames", gif_frames, "refuse", "GIF with 10,000 frames"),
    HostileClass("gif_tiny_sub_blocks", gif_tiny_sub_blocks, "refuse", "GIF comment cut into 2 M one-byte sub-blocks"),
    HostileClass("bmp_rle", bmp_rle, "refuse", "33 KB RLE8 BMP of 8000×8000 (Pillow's Python decoder pads byte "
                 "by byte)"),
    HostileClass("bmp_rle_at_limit", lambda: bmp_rle(2000, 2000), "analyse",
                 "RLE8 BMP of 2000×2000 (4 MP, the RLE limit) padded byte by byte"),
    HostileClass("tiff_many_strips", tiff_many_strips, "refuse", "40 MB TIFF with 5,000,000 strips"),
    HostileClass("tiff_ifd_loop", tiff_ifd_loop, "analyse", "TIFF page chain looping back, tags past the end"),
    HostileClass("tiff_float_inf", tiff_float_infinities, "analyse", "float TIFF of infinities and NaN"),
    HostileClass("webp_bomb", webp_bomb, "reduce", "flat lossless WebP of 8000×8000 pixels"),
    HostileClass("avif_grid_bomb", lambda: avif_grid(16, 16, 8000, 8000, tile=512), "reduce",
                 "AVIF grid of 16×16 tiles sharing one 512-px payload: an 8000×8000 canvas"),
    HostileClass("avif_bad_planes", avif_bad_planes, "refuse", "AVIF with a garbage AV1 payload"),
    HostileClass("avif_missing_item", avif_missing_item, "refuse", "AVIF whose primary item does not exist"),
    HostileClass("avif_invalid_grid", avif_invalid_grid, "refuse", "AVIF grid whose cells reference one tile"),
    HostileClass("photo_24mp", lambda: jpeg_photo(5712, 4284), "reduce",
                 "noisy 24.5 MP JPEG (an iPhone 15-size photo), over the default 16 MP budget"),
    HostileClass("photo_16mp", lambda: jpeg_photo(4608, 3456), "analyse",
                 "noisy 15.9 MP JPEG, at the budget: the costliest photo analysed in full"),
)
