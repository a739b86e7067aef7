"""Hostile input: each file gets a clear error (exit 2 from the CLI), no traceback, no hang, bounded memory."""

from __future__ import annotations

import io
import json
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bench.hostile_files import (
    apng_frames,
    avif_bad_planes,
    avif_invalid_grid,
    avif_missing_item,
    bmp_rle,
    gif_frames,
    jpeg_header_bomb,
    jpeg_many_scans,
    png_strip,
    tiff_float_infinities,
    tiff_ifd_loop,
    tiff_many_strips,
)
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


#: refused by the container walk or the decoder; checked in-process (the CLI runs are below)
MORE_HOSTILE: dict[str, tuple[object, type[InputError], str]] = {
    "avif_bad_planes.avif": (avif_bad_planes, UnreadableImage, "Decoding of color planes failed"),
    "avif_missing_item.avif": (avif_missing_item, UnreadableImage, "Missing or empty image item"),
    "avif_invalid_grid.avif": (avif_invalid_grid, UnreadableImage, "Invalid image grid"),
    "strips.tif": (lambda: tiff_many_strips(200_000), InputTooLarge, "values"),
    "scans.jpg": (jpeg_many_scans, InputTooLarge, "scans"),
    "strip.png": (png_strip, InputTooLarge, "aspect ratio"),
    "frames.png": (apng_frames, InputTooLarge, "frames"),
    "frames.gif": (lambda: gif_frames(100), InputTooLarge, "frames"),
    "rle.bmp": (bmp_rle, InputTooLarge, "RLE"),
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


@pytest.mark.parametrize("name", sorted(MORE_HOSTILE))
def test_more_hostile_files_are_refused_with_one_clean_error(name):
    make, expected, words = MORE_HOSTILE[name]
    with pytest.raises(expected) as info:
        load_image(make(), name=name)
    message = str(info.value)
    assert message.startswith(name + ": ") and words in message and "\n" not in message
    assert info.value.zh is None or "\n" not in info.value.zh


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


def _cli(*args: str, timeout: int = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refundguard.cli", "analyze", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_limit_memory, cwd=ROOT, errors="surrogateescape")


@pytest.mark.timeout(180)
def test_malformed_avif_exits_2_with_one_line_in_english_and_chinese(tmp_path):
    for name in ("avif_bad_planes.avif", "avif_missing_item.avif", "avif_invalid_grid.avif"):
        path = tmp_path / name
        path.write_bytes(MORE_HOSTILE[name][0]())
        proc = _cli(str(path))
        assert proc.returncode == 2, (name, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (name, proc.stderr)
        assert MORE_HOSTILE[name][2] in lines[0] and "错误：" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.timeout(120)
def test_escape_sequences_and_line_breaks_in_file_names_never_reach_the_terminal(tmp_path):
    evil = "\x1b[2J\x1b]8;;http:evil.example\x07click\x1b]8;;\x07\u202egpj.exe\nerror: fake [bold red]x"
    broken = tmp_path / (evil + ".avif")
    broken.write_bytes(avif_missing_item())
    proc = _cli(str(broken))
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in proc.stderr
    assert "\\x1b[2J" in lines[0] and "\\u202e" in lines[0] and "\\x0a" in lines[0]  # shown, not obeyed
    assert "[bold red]x" in lines[0]  # shown as typed, not read as markup
    fine = tmp_path / (evil + ".png")
    Image.fromarray(data.astronaut()[:128, :128]).save(fine, format="PNG")
    proc = _cli(str(fine), "--lang", "en", "--check", "capture")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\u202e" not in proc.stdout
    assert "\\x1b[2J" in proc.stdout


@pytest.mark.timeout(120)
def test_decoder_and_numpy_warnings_are_recorded_not_printed(tmp_path):
    loop, floats = tmp_path / "loop.tif", tmp_path / "inf.tif"
    loop.write_bytes(tiff_ifd_loop())
    floats.write_bytes(tiff_float_infinities())
    proc = _cli(str(loop), str(floats), "--json", "--no-heatmaps", "--check", "capture")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    report = json.loads(proc.stdout)
    assert [im["format"] for im in report["images"]] == ["TIFF", "TIFF"]
    im = load_image(floats)
    assert im.pixels.dtype == np.uint8 and int(im.pixels.max()) == 255 and int(im.pixels.min()) == 0


@pytest.mark.timeout(120)
def test_small_file_bomb_is_analysed_within_the_budget_and_reported(tmp_path):
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(jpeg_header_bomb())  # 3.2 KB promising 8000×8000
    config = tmp_path / "budget.toml"
    config.write_text("[limits]\nanalysis_pixels = 1000000\n")  # a small budget keeps the test quick
    proc = _cli(str(bomb), "--json", "--no-heatmaps", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    image = report["images"][0]
    assert image["width"] * image["height"] <= 1_000_000
    assert image["reduced"]["original_width"] == 8000 and image["reduced"]["method"] == "jpeg-dct-scaling"
    assert report["checks"]["tamper"]["status"] == "not_applicable"
    assert "reduced size" in report["checks"]["tamper"]["why"]
    proc = _cli(str(bomb), "--config", str(config), "--lang", "en", "--check", "capture")
    assert "note: bomb.jpg: analysed at reduced size: 8000×8000" in proc.stdout
