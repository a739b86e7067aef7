"""media.load: decoding, type detection from content, orientation, limits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage, UnsupportedFormat
from refundguard.media import load_image
from tests.conftest import corpus_path


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def coffee() -> Image.Image:
    return Image.fromarray(data.coffee())


@pytest.mark.parametrize("fmt,kw,expected", [
    ("JPEG", {"quality": 90}, "JPEG"),
    ("PNG", {}, "PNG"),
    ("WEBP", {"quality": 90}, "WEBP"),
    ("TIFF", {}, "TIFF"),
    ("GIF", {}, "GIF"),
    ("BMP", {}, "BMP"),
    ("HEIF", {"quality": 90}, "HEIF"),
    ("AVIF", {"quality": 90}, "AVIF"),
])
def test_decodes_every_supported_format(coffee, fmt, kw, expected, tmp_path):
    path = tmp_path / "photo.bin"  # the name says nothing: the type comes from the content
    path.write_bytes(_encode(coffee, fmt, **kw))
    im = load_image(path)
    assert im.format == expected
    assert (im.width, im.height) == coffee.size
    assert im.pixels.shape == (coffee.height, coffee.width, 3) and im.pixels.dtype == np.uint8
    assert len(im.sha256) == 64


def test_type_is_detected_from_content_not_extension(coffee, tmp_path):
    path = tmp_path / "looks_like.jpg"
    path.write_bytes(_encode(coffee, "PNG"))
    assert load_image(path).format == "PNG"


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((60, 100, 3), np.uint8)
    arr[:, :50] = 255  # left half white
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = tmp_path / "rotated.jpg"
    img.save(path, quality=95, exif=exif)
    im = load_image(path)
    assert (im.width, im.height) == (60, 100)
    assert im.orientation == 6
    assert im.pixels[:50].mean() > 200 and im.pixels[50:].mean() < 50  # former left half is now on top


def test_alpha_channel_is_kept(tmp_path):
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 3] = 7
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    im = load_image(path)
    assert im.alpha is not None and int(im.alpha[0, 0]) == 7


def test_sixteen_bit_png_is_scaled(tmp_path):
    arr = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16)
    path = tmp_path / "deep.png"
    Image.fromarray(arr).save(path)
    im = load_image(path)
    assert im.pixels.max() == 255


def test_gray_is_luma(coffee, tmp_path):
    path = tmp_path / "c.png"
    coffee.save(path)
    im = load_image(path)
    p = im.pixels.astype(np.float32)
    assert np.allclose(im.gray, 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2])


def test_pixel_limit_is_enforced(coffee, tmp_path):
    path = tmp_path / "c.png"
    coffee.save(path)
    with pytest.raises(InputTooLarge):
        load_image(path, limits=Limits(max_pixels=1000))


def test_byte_limit_is_enforced(coffee, tmp_path):
    path = tmp_path / "c.png"
    coffee.save(path)
    with pytest.raises(InputTooLarge):
        load_image(path, limits=Limits(max_bytes=1000))


def test_frame_limit_is_enforced(tmp_path):
    frames = [Image.new("RGB", (16, 16), (i * 20, 0, 0)) for i in range(8)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(InputTooLarge, match="frames"):
        load_image(path)


def test_video_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "clip.jpg"
    path.write_bytes(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64)
    with pytest.raises(UnsupportedFormat, match="video"):
        load_image(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(UnreadableImage, match="no such file"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(UnreadableImage):
        load_image(tmp_path)


def test_real_heic_from_corpus_decodes():
    im = load_image(corpus_path("provenance", "c2pa", "sample1.heic"))
    assert im.format == "HEIF" and im.width > 1000


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "I;16"])
def test_pixel_array_equals_numpy_asarray(coffee, mode):
    from refundguard.media.load import pixel_array

    img = coffee.convert(mode) if mode != "I;16" else Image.fromarray(
        np.asarray(coffee.convert("L"), np.uint16) * 257)
    for im in (img, img.crop((3, 5, 301, 211)), img.transpose(Image.Transpose.ROTATE_90)):
        got, want = pixel_array(im), np.asarray(im)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want)
        assert got.flags.c_contiguous and not got.flags.writeable


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_pixel_array_of_rgb_and_l_never_goes_through_tobytes(coffee, mode, monkeypatch):
    from refundguard.media.load import pixel_array

    img = coffee.convert(mode).resize((1500, 900))  # several strips of an RGB photo
    want = np.asarray(img)

    def refused(*args, **kwargs):
        raise AssertionError("tobytes called: pixel_array fell back to np.asarray")

    monkeypatch.setattr(Image.Image, "tobytes", refused)
    assert np.array_equal(pixel_array(img), want)


def test_decoded_jpeg_pixels_are_those_of_numpy_asarray(tmp_path):
    path = corpus_path("multiview", "sceaux_castle", "100_7100.JPG")
    loaded = load_image(path)
    with Image.open(path) as im:
        want = np.asarray(im.convert("RGB"))
    assert np.array_equal(loaded.pixels, want)


def test_load_claim_decodes_side_by_side_in_order_and_raises_the_first_failure(coffee, tmp_path):
    from refundguard.media.load import load_claim

    paths = []
    for i in range(4):
        p = tmp_path / f"p{i}.jpg"
        p.write_bytes(_encode(coffee.rotate(90 * i, expand=True), "JPEG", quality=90))
        paths.append(p)
    seen: list[str] = []
    images = load_claim(paths, progress=lambda im: seen.append(im.name))
    assert [im.name for im in images] == seen == [p.name for p in paths]
    for p, im in zip(paths, images, strict=True):
        assert np.array_equal(im.pixels, load_image(p).pixels)
    data = _encode(coffee, "JPEG", quality=90)
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])  # truncated: fails when decoded, not probed
    with pytest.raises(UnreadableImage, match=r"cut\.jpg"):
        load_claim([paths[0], tmp_path / "cut.jpg", paths[1]])
