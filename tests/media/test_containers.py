"""Container walks: the geometry each format declares, read before any decoder, and hostile structure refused."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from bench.hostile_files import (
    apng_frames,
    avif_photo,
    bmp_rle,
    gif_frames,
    gif_tiny_sub_blocks,
    jpeg_header_bomb,
    jpeg_many_scans,
    png_strip,
    tiff_ifd_loop,
    tiff_many_strips,
)
from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media import load_image
from refundguard.media.container import walk_container
from refundguard.media.load import probe


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.fromarray(np.random.default_rng(3).integers(0, 256, (48, 80, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt,kw", [
    ("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}), ("GIF", {}), ("BMP", {}), ("TIFF", {}),
    ("TIFF", {"compression": "tiff_lzw"}), ("WEBP", {"lossless": True}), ("WEBP", {"quality": 80}),
    ("HEIF", {}), ("AVIF", {}),
])
def test_declared_geometry_matches_the_decoded_size(photo, fmt, kw):
    data = _encode(photo, fmt, **kw)
    p = probe(data, name="x")
    if fmt == "HEIF":  # ispe is the coded size (HEVC pads to 8 px); the clean aperture crops it when decoded
        assert p.geometry.width >= 80 and p.geometry.height >= 48, p.geometry
    else:
        assert (p.geometry.width, p.geometry.height) == (80, 48), (fmt, p.geometry)
    assert p.geometry.frames == 1


def test_webp_with_alpha_declares_its_canvas(photo):
    data = _encode(photo.convert("RGBA"), "WEBP", quality=80)
    assert (probe(data).geometry.width, probe(data).geometry.height) == (80, 48)


def test_jpeg_scans_are_counted_and_bounded():
    assert probe(jpeg_header_bomb()).geometry.pieces == 100
    with pytest.raises(InputTooLarge, match="scans"):
        probe(jpeg_many_scans())
    with pytest.raises(InputTooLarge, match="scans"):
        probe(jpeg_header_bomb(), limits=Limits(max_jpeg_scans=50))


def test_jpeg_without_a_frame_header_is_unreadable():
    with pytest.raises(UnreadableImage, match="frame header"):
        probe(b"\xff\xd8\xff\xfe\x00\x04hi\xff\xd9")


def test_tiff_with_millions_of_strips_is_refused_before_pillow_parses_it(monkeypatch):
    data = tiff_many_strips(200_000)

    def never(*_a, **_k):
        raise AssertionError("Pillow must not see this file")

    monkeypatch.setattr(Image, "open", never)
    with pytest.raises(InputTooLarge, match="200,000 values"):
        load_image(data, name="strips.tif")


def test_tiff_strip_count_is_read_from_the_directory():
    data = tiff_many_strips(3000)
    geometry = walk_container(data, "TIFF", Limits()).geometry
    assert (geometry.width, geometry.height, geometry.pieces) == (1, 3000, 3000)
    with pytest.raises(InputTooLarge, match=r"strips or tiles|values"):
        walk_container(data, "TIFF", Limits(max_tiff_blocks=1000))


def test_tiff_page_loop_is_cut_and_noted_and_tags_past_the_end_ignored():
    im = load_image(tiff_ifd_loop(), name="loop.tif")
    notes = " | ".join(im.metadata.notes)
    assert "loops back" in notes and "past the end" in notes
    assert (im.width, im.height) == (64, 64)


def test_tiff_pages_over_the_frame_limit_are_refused(photo):
    pages = [photo] * 6
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:])
    with pytest.raises(InputTooLarge, match="pages"):
        probe(buf.getvalue())


def test_tiff_xmp_comes_from_the_walk(photo):
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Walker"/>'
           b"</rdf:RDF></x:xmpmeta>")
    data = _encode(photo, "TIFF", tiffinfo={700: xmp})
    im = load_image(data)
    assert [p.source for p in im.metadata.xmp] == ["tiff:700"]
    assert ("http://ns.adobe.com/xap/1.0/", "CreatorTool", "Walker") in list(im.metadata.xmp[0].properties())


def test_gif_frames_comments_and_sub_blocks():
    with pytest.raises(InputTooLarge, match="frames"):
        probe(gif_frames(50))
    with pytest.raises(InputTooLarge, match="sub-blocks"):
        probe(gif_tiny_sub_blocks(200_000))
    frames = [Image.new("RGB", (20, 10), (80 * i, 40, 200 - 60 * i)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], comment=b"first frame note")
    p = probe(buf.getvalue())
    assert p.geometry.frames == 3 and (p.geometry.width, p.geometry.height) == (20, 10)
    assert [c.text for c in p.walked.meta.text_chunks] == ["first frame note"]


def test_apng_frame_count_is_read_from_acTL():
    with pytest.raises(InputTooLarge, match="1,000,000 frames"):
        probe(apng_frames())


def test_aspect_ratio_and_rle_limits():
    with pytest.raises(InputTooLarge, match="aspect ratio") as info:
        probe(png_strip(), name="strip.png")
    assert "strip.png" in str(info.value) and "长宽比" in (info.value.zh or "")
    with pytest.raises(InputTooLarge, match="RLE"):
        probe(bmp_rle(3000, 3000))
    assert probe(bmp_rle(1000, 1000)).geometry.codec == "rle8"


def test_heif_primary_size_comes_from_its_ispe_property():
    data = avif_photo(96)
    meta_box = data.find(b"meta")
    assert meta_box > 0
    geometry = probe(data).geometry
    assert (geometry.width, geometry.height) == (96, 96) and geometry.pieces >= 1


def test_bmff_item_count_is_bounded():
    data = bytearray(avif_photo(64))
    at = data.find(b"iinf") + 8
    data[at:at + 2] = struct.pack(">H", 60_000)
    with pytest.raises(InputTooLarge, match="items"):
        probe(bytes(data))


def test_tiff_with_a_truncated_second_page_keeps_the_first(photo):
    buf = io.BytesIO()
    photo.save(buf, format="TIFF", save_all=True, append_images=[photo])
    data = bytearray(buf.getvalue())
    first = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[first:first + 2])[0]
    second = struct.unpack("<I", data[first + 2 + 12 * count:first + 6 + 12 * count])[0]
    walked = walk_container(bytes(data[:second + 8]), "TIFF", Limits())
    assert walked.geometry.frames == 1 and "cut off" in " ".join(walked.meta.notes)
