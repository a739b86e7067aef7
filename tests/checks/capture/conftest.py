"""Fixtures for the capture tests: real photos with EXIF written by piexif, analysed through the engine."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import piexif
import pytest
from PIL import Image
from skimage import data

from refundguard.checks.registry import ClaimInfo
from refundguard.engine import Analysis, analyze
from refundguard.findings import Finding

Exif = dict[str, dict[int, Any]]


def camera_exif(when: str = "2026:05:03 18:20:11", *, offset: str | None = "+08:00", make: str = "Xiaomi",
                model: str = "2211133C", software: str | None = None, serial: str | None = None) -> Exif:
    """EXIF of a phone photo: make/model, exposure, DateTimeOriginal (+ sub-seconds and offset)."""
    zeroth: dict[int, Any] = {piexif.ImageIFD.Make: make.encode(), piexif.ImageIFD.Model: model.encode()}
    if software:
        zeroth[piexif.ImageIFD.Software] = software.encode()
    exif: dict[int, Any] = {piexif.ExifIFD.DateTimeOriginal: when.encode(),
                            piexif.ExifIFD.SubSecTimeOriginal: b"123",
                            piexif.ExifIFD.ExposureTime: (1, 120), piexif.ExifIFD.FNumber: (18, 10),
                            piexif.ExifIFD.ISOSpeedRatings: 100}
    if offset:
        exif[piexif.ExifIFD.OffsetTimeOriginal] = offset.encode()
    if serial:
        exif[piexif.ExifIFD.BodySerialNumber] = serial.encode()
    return {"0th": zeroth, "Exif": exif, "GPS": {}, "1st": {}}


def jpeg_bytes(exif: Exif | None, pixels: np.ndarray | None = None, quality: int = 90) -> bytes:
    """A real photo (scikit-image's coffee unless given) saved as JPEG with ``exif``."""
    arr = data.coffee() if pixels is None else pixels
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {"exif": piexif.dump(exif)} if exif else {}
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality, **kwargs)
    return buf.getvalue()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def _write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return _write


def run_capture(paths: list[Path], *, delivered: str | None = None, ordered: str | None = None,
                references: list[Path] | None = None) -> Analysis:
    info = ClaimInfo(delivered_at=datetime.fromisoformat(delivered) if delivered else None,
                     order_time=datetime.fromisoformat(ordered) if ordered else None)
    result = analyze(paths, references or [], info=info, only=["capture"])
    assert result.checks["capture"].status == "ran", result.checks["capture"]
    return result


def codes(result: Analysis, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]
