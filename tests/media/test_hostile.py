"""Hostile input: each file gets a clear error (exit 2 from the CLI), no traceback, no hang, bounded memory."""

from __future__ import annotations

import io
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from refundguard.errors import InputError, InputTooLarge, UnreadableImage, UnsupportedFormat
from refundguard.media import load_image

ROOT = Path(__file__).resolve().parents[2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(side: int = 30000) -> bytes:
    """A valid 1-bit PNG of side×side pixels whose IDAT inflates to side²/8 bytes of zeros."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _small_png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()[:64, :64]).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _with_png_chunks(chunks: list[bytes]) -> bytes:
    png = _small_png()
    cut = 8 + 25
    return png[:cut] + b"".join(chunks) + png[cut:]


def _jpeg_with_xmp(xmp: bytes) -> bytes:
    raw = _jpeg()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    return raw[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + raw[2:]


XXE = (b'<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description rdf:about="">&xxe;</rdf:Description></rdf:RDF></x:xmpmeta>')
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                  b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol2;</x:xmpmeta>')


def _hostile_files() -> dict[str, tuple[bytes, type[InputError]]]:
    huge_xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"A" * (20 * 1024 * 1024) + b"</x:xmpmeta>"
    many = [_chunk(b"tEXt", b"k\x00v")] * 100_000
    jpeg = _jpeg()
    return {
        "zero.jpg": (b"", UnreadableImage),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], UnreadableImage),
        "text.jpg": (b"this is not an image, just some text\n" * 10, UnsupportedFormat),
        "page.jpg": (b"<!doctype html><html><script>alert(1)</script></html>", UnsupportedFormat),
        "bomb.png": (_png_bomb(), InputTooLarge),
        "xxe.jpg": (_jpeg_with_xmp(XXE), UnreadableImage),
        "laughs.jpg": (_jpeg_with_xmp(BILLION_LAUGHS), UnreadableImage),
        "huge_xmp.png": (_with_png_chunks([_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + huge_xmp)]),
                         InputTooLarge),
        "many_chunks.png": (_with_png_chunks(many), InputTooLarge),
        "gif_polyglot.gif": (b"GIF89a" + b"/*" + b"\x00" * 10 + b"*/=alert(1);", UnreadableImage),
        "zip_bomb_ztxt.png": (_with_png_chunks([_chunk(b"zTXt", b"Comment\x00\x00"
                                                       + zlib.compress(b"\x00" * (64 * 1024 * 1024)))]),
                              InputTooLarge),
    }


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, (content, _) in _hostile_files().items():
        (folder / name).write_bytes(content)
    return folder


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", sorted(_hostile_files()))
def test_loader_refuses_with_a_clear_error(hostile_dir, name):
    expected = _hostile_files()[name][1]
    with pytest.raises(expected) as info:
        load_image(hostile_dir / name)
    message = str(info.value)
    assert name in message and "\n" not in message


def _limit_memory() -> None:  # 3 GiB of address space: a decompression bomb would blow it
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


@pytest.mark.timeout(120)
def test_cli_exits_2_with_one_line_and_no_traceback(hostile_dir):
    for name in sorted(_hostile_files()):
        proc = subprocess.run(
            [sys.executable, "-m", "refundguard.cli", "analyze", str(hostile_dir / name), "--json"],
            capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory, cwd=ROOT,
        )
        assert proc.returncode == 2, (name, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (name, proc.stderr)


def test_polyglot_jpeg_with_appended_archive_is_analysed_as_jpeg(tmp_path):
    path = tmp_path / "poly.jpg"
    path.write_bytes(_jpeg() + b"PK\x03\x04" + b"\x00" * 100)
    im = load_image(path)
    assert im.format == "JPEG" and im.metadata.trailing_bytes == 104


def test_truncated_file_still_fails_after_a_library_relaxes_pillow(hostile_dir):
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # what importing WeasyPrint does
    with pytest.raises(UnreadableImage):
        load_image(hostile_dir / "truncated.jpg")
