"""Mutation fuzzing of real files of every format the loader reads: JPEG (baseline, progressive, EXIF),
PNG (RGBA, APNG), GIF (animated), BMP (RGB, RLE8), TIFF (raw, LZW, multi-page), WebP (lossy, lossless),
HEIF and AVIF. Bytes are flipped, header words overwritten with boundary values, slices duplicated or
cut, files truncated; every result must be a bounded image or one clean error, silently."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bench.hostile_files import bmp_rle
from tests.fuzz.helpers import load_or_clean_error


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    rgb = Image.fromarray(rng.integers(0, 256, (24, 40, 3), dtype=np.uint8))
    rgba = Image.fromarray(rng.integers(0, 256, (24, 40, 4), dtype=np.uint8), "RGBA")
    frames = [Image.new("RGB", (20, 12), (60 * i, 90, 30)) for i in range(3)]
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "FuzzCam"
    gif, apng, tiff_pages = io.BytesIO(), io.BytesIO(), io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], comment=b"hello")
    frames[0].save(apng, format="PNG", save_all=True, append_images=frames[1:])
    frames[0].save(tiff_pages, format="TIFF", save_all=True, append_images=frames[1:2])
    return {
        "jpeg": _encode(rgb, "JPEG", quality=85, exif=exif),
        "jpeg_progressive": _encode(rgb, "JPEG", quality=85, progressive=True),
        "png_rgba": _encode(rgba, "PNG"),
        "apng": apng.getvalue(),
        "gif": gif.getvalue(),
        "bmp": _encode(rgb, "BMP"),
        "bmp_rle8": bmp_rle(40, 24),
        "tiff": _encode(rgb, "TIFF"),
        "tiff_lzw": _encode(rgb, "TIFF", compression="tiff_lzw"),
        "tiff_pages": tiff_pages.getvalue(),
        "webp_lossy": _encode(rgb, "WEBP", quality=70),
        "webp_lossless": _encode(rgba, "WEBP", lossless=True),
        "heif": _encode(rgb, "HEIF", quality=70),
        "avif": _encode(rgb, "AVIF", quality=70),
    }


SEEDS = _seeds()
#: values that break size fields: zero, one, sign and width boundaries, the file's own length
BOUNDARY = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)

edits = st.lists(st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 1 << 20), st.integers(0, 255)),
    st.tuples(st.just("word"), st.integers(0, 1 << 20), st.sampled_from(BOUNDARY), st.sampled_from("<>"),
              st.sampled_from((2, 4))),
    st.tuples(st.just("repeat"), st.integers(0, 1 << 20), st.integers(1, 64), st.integers(1, 40)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 20), st.integers(1, 256)),
), min_size=1, max_size=6)


def mutate(seed: bytes, ops: list[tuple], cut: int | None) -> bytes:
    data = bytearray(seed)
    for op in ops:
        if not data:
            break
        at = op[1] % len(data)
        if op[0] == "byte":
            data[at] = op[2]
        elif op[0] == "word":
            _, _, value, order, size = op
            data[at:at + size] = struct.pack(order + ("H" if size == 2 else "I"), value & (0xFFFF if size == 2 else
                                                                                          0xFFFFFFFF))
        elif op[0] == "repeat":
            chunk = bytes(data[at:at + op[2]])
            data[at:at] = chunk * op[3]
        else:
            del data[at:at + op[2]]
    if cut is not None and data:
        del data[max(8, cut % len(data)):]
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@given(ops=edits, cut=st.one_of(st.none(), st.integers(0, 1 << 20)))
def test_mutated_file_loads_within_budget_or_fails_cleanly(fmt, ops, cut, capfd):
    load_or_clean_error(mutate(SEEDS[fmt], ops, cut), capfd)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_every_seed_loads(fmt, capfd):
    load_or_clean_error(SEEDS[fmt], capfd)
