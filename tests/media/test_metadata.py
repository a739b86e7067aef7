"""media.metadata: every XMP packet wherever it lives, EXIF IFDs, PNG text, JPEG tables, C2PA presence."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import piexif
import pytest
from PIL import Image, PngImagePlugin
from skimage import data

from refundguard.media import load_image
from refundguard.media.metadata import XMP_EXT_ID, XMP_JPEG_ID, decode_user_comment
from tests.conftest import corpus_path

NS = "http://example.org/ns/rg/1.0/"


def xmp_packet(value: str) -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:rg="{NS}" rg:Attr="attr-{value}"><rg:Elem>{value}</rg:Elem>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def props(im) -> set[tuple[str, str, str]]:
    return {(ns, name, value) for _, ns, name, value in im.metadata.xmp_properties()}


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.fromarray(data.astronaut()[:128, :128])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _insert_png_chunks(png: bytes, chunks: list[bytes]) -> bytes:
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]


def test_jpeg_app1_xmp_element_and_attribute_forms(photo, tmp_path):
    path = tmp_path / "x.jpg"
    photo.save(path, quality=90, xmp=xmp_packet("jpeg"))
    im = load_image(path)
    assert {(NS, "Elem", "jpeg"), (NS, "Attr", "attr-jpeg")} <= props(im)
    assert im.metadata.xmp[0].source == "jpeg:APP1"


def test_jpeg_extended_xmp_is_reassembled(photo, tmp_path):
    jpeg = io.BytesIO()
    photo.save(jpeg, format="JPEG", quality=90)
    raw = jpeg.getvalue()
    ext = xmp_packet("extended")
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    half = len(ext) // 2
    segs = b""
    for offset, part in ((0, ext[:half]), (half, ext[half:])):
        payload = XMP_EXT_ID + guid + struct.pack(">II", len(ext), offset) + part
        segs += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    main = XMP_JPEG_ID + xmp_packet("main")
    segs = b"\xff\xe1" + struct.pack(">H", len(main) + 2) + main + segs
    path = tmp_path / "ext.jpg"
    path.write_bytes(raw[:2] + segs + raw[2:])
    im = load_image(path)
    sources = {p.source for p in im.metadata.xmp}
    assert {"jpeg:APP1", "jpeg:ExtendedXMP"} <= sources
    assert (NS, "Elem", "extended") in props(im)


@pytest.mark.parametrize("kind", ["iTXt", "iTXt-compressed", "tEXt", "zTXt"])
def test_png_xmp_in_every_text_chunk_kind(photo, kind, tmp_path):
    packet = xmp_packet(kind)
    key = b"XML:com.adobe.xmp"
    if kind == "iTXt":
        chunk = _png_chunk(b"iTXt", key + b"\x00\x00\x00\x00\x00" + packet)
    elif kind == "iTXt-compressed":
        chunk = _png_chunk(b"iTXt", key + b"\x00\x01\x00\x00\x00" + zlib.compress(packet))
    elif kind == "tEXt":
        chunk = _png_chunk(b"tEXt", key + b"\x00" + packet)
    else:
        chunk = _png_chunk(b"zTXt", key + b"\x00\x00" + zlib.compress(packet))
    buf = io.BytesIO()
    photo.save(buf, format="PNG")
    path = tmp_path / "x.png"
    path.write_bytes(_insert_png_chunks(buf.getvalue(), [chunk]))
    im = load_image(path)
    assert (NS, "Elem", kind) in props(im)
    assert any(c.key == "XML:com.adobe.xmp" for c in im.metadata.text_chunks)


def test_png_text_chunks_are_listed(photo, tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat, Steps: 20, Sampler: Euler a")
    info.add_text("Comment", "压缩", zip=True)
    info.add_itxt("Title", "标题")
    path = tmp_path / "t.png"
    photo.save(path, pnginfo=info)
    chunks = {(c.kind, c.key): c.text for c in load_image(path).metadata.text_chunks}
    assert chunks[("tEXt", "parameters")].startswith("a cat")
    assert chunks[("iTXt", "Title")] == "标题"
    assert ("zTXt", "Comment") in chunks or ("iTXt", "Comment") in chunks


def test_webp_xmp_chunk(photo, tmp_path):
    path = tmp_path / "x.webp"
    photo.save(path, quality=90, xmp=xmp_packet("webp"))
    im = load_image(path)
    assert (NS, "Elem", "webp") in props(im)
    assert any(p.source == "webp:XMP" for p in im.metadata.xmp)


def test_tiff_tag_700_xmp(photo, tmp_path):
    path = tmp_path / "x.tif"
    photo.save(path, tiffinfo={700: xmp_packet("tiff")})
    im = load_image(path)
    assert (NS, "Elem", "tiff") in props(im)


def test_xmp_appended_after_the_image_is_found(photo, tmp_path):
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=90)
    path = tmp_path / "tail.jpg"
    path.write_bytes(buf.getvalue() + xmp_packet("appended"))
    im = load_image(path)
    assert (NS, "Elem", "appended") in props(im)
    assert im.metadata.trailing_bytes > 0
    assert any(p.source.startswith("scan@") for p in im.metadata.xmp)


def test_malformed_xmp_is_kept_as_text_not_fatal(photo, tmp_path):
    path = tmp_path / "bad.jpg"
    photo.save(path, quality=90, xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><broken></x:xmpmeta>")
    packet = load_image(path).metadata.xmp[0]
    assert packet.root is None and packet.error


def test_all_exif_ifds_and_user_comment_forms(photo, tmp_path):
    exif = {
        "0th": {piexif.ImageIFD.Make: b"Canon", piexif.ImageIFD.Software: b"GIMP 2.10"},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2026:05:01 10:00:00",
                 piexif.ExifIFD.UserComment: b"UNICODE\x00" + "你好 AIGC".encode("utf-16-be")},
        "GPS": {piexif.GPSIFD.GPSDateStamp: b"2026:05:01"},
        "Interop": {}, "1st": {}, "thumbnail": None,
    }
    path = tmp_path / "e.jpg"
    photo.save(path, quality=90, exif=piexif.dump(exif))
    meta = load_image(path).metadata
    assert meta.exif["IFD0"]["Make"] == "Canon"
    assert meta.exif["Exif"]["DateTimeOriginal"] == "2026:05:01 10:00:00"
    assert meta.exif["Exif"]["UserComment"] == "你好 AIGC"
    assert meta.exif["GPS"]["GPSDateStamp"] == "2026:05:01"
    assert meta.exif_value("Software") == "GIMP 2.10"


@pytest.mark.parametrize("raw,expected", [
    (b"ASCII\x00\x00\x00hello", "hello"),
    (b"UNICODE\x00" + "AI生成".encode("utf-16-le"), "AI生成"),
    (b"UNICODE\x00" + "AI生成".encode("utf-16-be"), "AI生成"),
    (b"JIS\x00\x00\x00\x00\x00" + "日本".encode("iso2022_jp"), "日本"),
    (b"\x00" * 8 + b'{"AIGC":{"Label":"1"}}', '{"AIGC":{"Label":"1"}}'),
])
def test_user_comment_decoding(raw, expected):
    assert decode_user_comment(raw, big_endian=False) == expected or \
        decode_user_comment(raw, big_endian=True) == expected


def test_jpeg_quantisation_tables_match_pillow(photo, tmp_path):
    path = tmp_path / "q.jpg"
    photo.save(path, quality=63)
    meta = load_image(path).metadata
    pil = Image.open(path).quantization
    for table_id, values in pil.items():
        assert np.array_equal(meta.quant_tables[table_id].ravel(), np.array(values))


@pytest.mark.parametrize("name,container", [
    ("C.jpg", "jpeg:APP11"), ("XCA.jpg", "jpeg:APP11"), ("A.jpg", None), ("no_manifest.jpg", None),
])
def test_c2pa_container_presence(name, container):
    assert load_image(corpus_path("provenance", "c2pa", name)).metadata.c2pa_container == container


def test_c2pa_in_png_is_detected():
    assert load_image(corpus_path("provenance", "ai", "chatgpt-1.png")).metadata.c2pa_container == "png:caBX"


def test_real_doubao_label_is_read_from_png_itxt():
    im = load_image(corpus_path("provenance", "ai", "doubao_black_1x1_1.png"))
    values = [v for _, ns, name, v in im.metadata.xmp_properties() if name == "AIGC"]
    assert values and '"Label":"1"' in values[0].replace(" ", "")
