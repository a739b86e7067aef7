"""capture.screenshot and capture.no_camera_data."""

from __future__ import annotations

import io

import cv2
import numpy as np
import piexif
from PIL import Image, ImageDraw
from skimage import data

from refundguard.checks._screens import detect_status_bar, screen_family
from tests.checks.capture.conftest import camera_exif, codes, jpeg_bytes, run_capture
from tests.conftest import corpus_path

SCREEN = "capture.screenshot"
NO_CAMERA = "capture.no_camera_data"


def phone_screen(width: int = 1080, height: int = 2400, bar: bool = True) -> np.ndarray:
    """A phone screen showing a product photo, with a drawn status bar (clock left, icons right)."""
    photo = cv2.resize(data.coffee(), (width, int(width * 400 / 600)), interpolation=cv2.INTER_AREA)
    screen = np.full((height, width, 3), 245, np.uint8)
    top = height // 6
    screen[top:top + photo.shape[0]] = photo
    if bar:
        img = Image.fromarray(screen)
        draw = ImageDraw.Draw(img)
        size = max(12, height // 80)
        y = height // 100
        draw.text((width // 20, y), "14:05", fill=(0, 0, 0), font_size=size * 1.4)
        for k in range(4):  # signal bars
            x = width - width // 4 + k * size // 2
            draw.rectangle((x, y + size - k * size // 4, x + size // 3, y + size), fill=(0, 0, 0))
        bx = width - width // 8
        draw.rectangle((bx, y + size // 4, bx + 2 * size, y + size), outline=(0, 0, 0), width=2)
        draw.rectangle((bx + 3, y + size // 4 + 3, bx + size, y + size - 3), fill=(0, 0, 0))
        screen = np.asarray(img)
    return screen


def png_bytes(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def test_screen_table() -> None:
    assert screen_family(1080, 2400) is not None
    assert screen_family(2400, 1080) == screen_family(1080, 2400)
    assert screen_family(1179, 2556) == "iPhone"
    assert screen_family(1260, 2720) == "Huawei/Honor"
    assert screen_family(1000, 2000) is None


def test_status_bar_detector_on_drawn_bar_and_real_photos() -> None:
    bar = detect_status_bar(phone_screen())
    assert bar is not None and bar.glyphs >= 3
    assert detect_status_bar(phone_screen(bar=False)) is None
    for photo in (data.coffee(), data.astronaut(), data.chelsea(), data.rocket()):
        assert detect_status_bar(photo) is None
    for name in ("IMG_0003.jpg", "P1000827.jpg"):
        with Image.open(corpus_path("natural", name)) as im:
            assert detect_status_bar(np.asarray(im.convert("RGB"))) is None


def test_png_phone_screenshot_with_status_bar(write) -> None:
    path = write("shot.png", png_bytes(phone_screen()))
    [finding] = codes(run_capture([path]), SCREEN)
    assert finding.score >= 0.9
    assert finding.details["status_bar"]["glyphs"] >= 3
    assert "1080×2400" in finding.message.en and "状态栏" in finding.message.zh


def test_screen_size_without_status_bar_is_moderate(write) -> None:
    path = write("plain.jpg", jpeg_bytes(None, phone_screen(bar=False)))
    [finding] = codes(run_capture([path]), SCREEN)
    assert finding.score < 0.6
    assert not codes(run_capture([path]), NO_CAMERA)  # the screenshot finding covers it


def test_user_comment_screenshot_label(write) -> None:
    exif = {"0th": {}, "Exif": {piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00Screenshot"}, "GPS": {}, "1st": {}}
    path = write("ios.jpg", jpeg_bytes(exif, data.astronaut()))
    [finding] = codes(run_capture([path]), SCREEN)
    assert finding.score >= 0.9
    assert finding.details["labels"][0]["source"] == "EXIF UserComment"


def test_camera_photo_of_screen_size_is_not_a_screenshot(write) -> None:
    pixels = cv2.resize(data.coffee(), (1920, 1080))
    path = write("cam.jpg", jpeg_bytes(camera_exif(), pixels))
    result = run_capture([path])
    assert not codes(result, SCREEN) and not codes(result, NO_CAMERA)


def test_no_camera_data_only_for_exif_formats_and_weak(write) -> None:
    jpg = write("stripped.jpg", jpeg_bytes(None, data.chelsea()))
    png = write("stripped.png", png_bytes(data.chelsea()))
    result = run_capture([jpg, png])
    [finding] = codes(result, NO_CAMERA)
    assert finding.image == 0 and finding.score <= 0.3
    assert "weak" in finding.message.en and "弱" in finding.message.zh
    assert not codes(result, SCREEN)


def test_common_photo_size_alone_is_not_a_screenshot(write) -> None:
    # 1024×768 is an iPad screen but also the everyday resize of a 4:3 photo
    pixels = cv2.resize(data.astronaut(), (1024, 768))
    result = run_capture([write("resized.jpg", jpeg_bytes(None, pixels))])
    assert not codes(result, SCREEN)
    assert codes(result, NO_CAMERA)


def test_small_images_are_not_searched_for_a_status_bar() -> None:
    small = cv2.resize(phone_screen(), (144, 320), interpolation=cv2.INTER_AREA)
    assert detect_status_bar(small) is None
