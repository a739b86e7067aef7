"""Fuzzing the metadata walkers: XMP packets (parsing and the scan for packets anywhere in a file), EXIF
directories (in a JPEG APP1 segment and read through Pillow), and C2PA containers (JUMBF boxes in JPEG
APP11, the PNG caBX chunk, BMFF ``uuid`` boxes) up to the provenance check that reads them."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from refundguard.checks.provenance import analyse_image
from refundguard.errors import InputError
from refundguard.media import load_image
from refundguard.media.guard import recording
from refundguard.media.metadata import C2PA_UUID, _has_c2pa_jumbf, read_exif
from refundguard.media.xmp import parse_packet, scan_for_packets
from tests.fuzz.helpers import load_or_clean_error
from tests.fuzz.test_fuzz_structures import TIFF_TAGS, tiff_entry, tiff_file

# ----------------------------------------------------------------------------------------------- XMP

XMP_PARTS = ('<x:xmpmeta xmlns:x="adobe:ns:meta/">', "</x:xmpmeta>",
             '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', "</rdf:RDF>",
             '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="x">',
             "</rdf:Description>", "<rdf:Bag>", "</rdf:Bag>", "<rdf:li>", "</rdf:li>", "<a:b xmlns:a='u:a'>", "</a:b>",
             "<![CDATA[", "]]>", "&amp;", "&lol;", "&#0;", "&#x10FFFF;", "<!DOCTYPE x [<!ENTITY lol 'l'>]>",
             '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>', '<?xpacket end="w"?>', "<", ">", "\x00",
             "TC260:AIGC", '{"Label":"1"}', "é", "生成")
xmp_text = st.lists(st.one_of(st.sampled_from(XMP_PARTS), st.text(max_size=12)), max_size=40).map("".join)


@given(text=xmp_text, as_bytes=st.booleans())
def test_xmp_packets_parse_or_are_refused(text, as_bytes):
    raw = text.encode("utf-8", "surrogatepass") if as_bytes else text
    try:
        packet = parse_packet(raw, "fuzz", max_bytes=1 << 16)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    for ns, name, value in packet.properties():
        assert isinstance(ns, str) and isinstance(name, str) and isinstance(value, str)


def test_deeply_nested_xmp_is_walked_without_recursion_errors():
    body = "<a:b xmlns:a='u:a'>" * 20_000 + "deep" + "</a:b>" * 20_000
    packet = parse_packet(f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{body}</x:xmpmeta>', "deep", max_bytes=1 << 22)
    assert packet.too_deep and packet.too_deep > 20_000
    assert list(packet.properties()) == []  # read down to the depth limit only; no RecursionError


@given(blob=st.lists(st.one_of(st.sampled_from((b"<x:xmpmeta", b"</x:xmpmeta>", b"<?xpacket begin=",
                                                 b"<?xpacket end='w'?>")), st.binary(max_size=24)), max_size=60))
def test_scan_for_packets_is_bounded(blob):
    data = b"".join(blob)
    found = list(scan_for_packets(data, window=4096, limit=32))
    assert len(found) <= 64
    assert all(data[at:at + len(packet)] == packet for at, packet in found)


@given(text=xmp_text)
def test_xmp_in_a_jpeg(text, capfd):
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + text.encode("utf-8", "surrogatepass")[:60000]
    load_or_clean_error(_jpeg_with(b"\xff\xe1", payload), capfd)


# ---------------------------------------------------------------------------------------------- EXIF

def _jpeg_with(marker: bytes, payload: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buf, format="JPEG")
    jpeg = buf.getvalue()
    return jpeg[:2] + marker + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


exif_ifd = st.tuples(st.sampled_from("<>"), st.lists(st.one_of(tiff_entry, st.tuples(
    st.sampled_from((0x0112, 0x010F, 0x0110, 0x0131, 0x9286, 0x927C, 0x8769, 0x8825, 0xA005, *TIFF_TAGS)),
    st.integers(1, 13), st.integers(0, 300), st.integers(0, 400))), max_size=16), st.binary(max_size=512))


@given(ifd=exif_ifd)
def test_exif_directories_in_a_jpeg(ifd, capfd):
    order, entries, tail = ifd
    block = b"Exif\x00\x00" + tiff_file(order, entries, 0, tail)
    load_or_clean_error(_jpeg_with(b"\xff\xe1", block[:65000]), capfd)


@given(ifd=exif_ifd)
def test_exif_read_through_pillow_never_raises(ifd, capfd):
    order, entries, tail = ifd
    image = Image.new("RGB", (4, 4))
    image.info["exif"] = b"Exif\x00\x00" + tiff_file(order, entries, 0, tail)
    with warnings.catch_warnings(record=True) as escaped, recording() as recorded:
        warnings.simplefilter("always")
        exif, notes = read_exif(image)
    assert isinstance(exif, dict) and isinstance(notes, list) and isinstance(recorded, list)
    assert escaped == [] and capfd.readouterr() == ("", "")


# ---------------------------------------------------------------------------------------------- C2PA

def jumbf(label: bytes, inner: bytes, honest: bool = True, size: int = 0) -> bytes:
    jumd = b"jumd" + bytes(16) + b"\x03" + label + b"\x00"
    jumd_box = struct.pack(">I", 4 + len(jumd)) + jumd
    body = b"jumb" + jumd_box + inner
    return struct.pack(">I", (4 + len(body)) if honest else size) + body


jumbf_tree = st.recursive(st.binary(max_size=40), lambda inner: st.tuples(
    st.sampled_from((b"c2pa", b"c2pa.assertions", b"c2pa.claim", b"c2pa.signature", b"x")), st.lists(inner, max_size=3),
    st.booleans(), st.integers(0, 1 << 20)).map(lambda t: jumbf(t[0], b"".join(t[1]), t[2], t[3])), max_leaves=8)


@given(tree=jumbf_tree, seq=st.integers(1, 3))
def test_c2pa_jumbf_in_jpeg_app11_up_to_the_provenance_reader(tree, seq, capfd):
    segment = b"JP" + struct.pack(">HI", 1, seq) + jumbf(b"c2pa", tree if isinstance(tree, bytes) else b"")
    data = _jpeg_with(b"\xff\xeb", segment[:65000])
    try:
        image = load_image(data, name="c2pa.jpg")
    except InputError:
        return
    assert image.metadata.c2pa_container in ("jpeg:APP11", "jumbf", None)
    for signal in analyse_image(image):  # the C2PA reader runs on this container; errors are signals
        assert signal.code.startswith("provenance.")
    capfd.readouterr()


@given(tree=jumbf_tree)
def test_c2pa_boxes_in_png_and_bmff_and_anywhere(tree, capfd):
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    raw = png.getvalue()
    body = tree if isinstance(tree, bytes) else b""
    cabx = struct.pack(">I", len(body)) + b"caBX" + body + struct.pack(">I", zlib.crc32(b"caBX" + body))
    load_or_clean_error(raw[:33] + cabx + raw[33:], capfd)
    uuid_box = struct.pack(">I", 24 + len(body)) + b"uuid" + C2PA_UUID + body
    assert isinstance(_has_c2pa_jumbf(b"\x00" * 7 + body + uuid_box), bool)
