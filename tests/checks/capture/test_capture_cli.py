"""The CLI path: ``refundguard analyze X --delivered-at ... --order-time ...``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.checks.capture.conftest import camera_exif, jpeg_bytes


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refundguard.cli", "analyze", *args, "--check", "capture"],
                          capture_output=True, text=True, timeout=120)


def test_cli_delivery_time_flags_early_photo(tmp_path: Path) -> None:
    photo = tmp_path / "damage.jpg"
    photo.write_bytes(jpeg_bytes(camera_exif("2026:05:01 09:00:00", offset="+08:00")))
    done = analyze(str(photo), "--delivered-at", "2026-05-03T12:00:00+08:00",
                   "--order-time", "2026-04-28T10:00:00+08:00", "--json", "--no-heatmaps")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["checks"]["capture"]["status"] == "ran"
    [finding] = [f for f in report["findings"] if f["code"] == "capture.after_delivery_mismatch"]
    assert finding["image"] == 0
    assert finding["variant"] == "delivery" and finding["details"]["gap_minutes"] == 2 * 1440 + 179
    assert "(in the file: 2026-05-01 09:00 UTC+08:00)" in finding["message"]["en"]
    assert "签收" in finding["message"]["zh"]


def test_cli_photo_after_delivery_passes(tmp_path: Path) -> None:
    photo = tmp_path / "ok.jpg"
    photo.write_bytes(jpeg_bytes(camera_exif("2026:05:04 09:00:00", offset="+08:00")))
    done = analyze(str(photo), "--delivered-at", "2026-05-03T12:00:00+08:00", "--json", "--no-heatmaps")
    assert done.returncode == 0, done.stderr
    assert not [f for f in json.loads(done.stdout)["findings"] if f["code"] == "capture.after_delivery_mismatch"]


def test_cli_bad_time_is_one_line_error(tmp_path: Path) -> None:
    photo = tmp_path / "ok.jpg"
    photo.write_bytes(jpeg_bytes(camera_exif()))
    done = analyze(str(photo), "--delivered-at", "yesterday")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "delivered-at" in done.stderr


def test_cli_summary_shows_times_in_the_readers_zone(tmp_path: Path) -> None:
    photo = tmp_path / "damage.jpg"
    photo.write_bytes(jpeg_bytes(camera_exif("2026:05:01 09:00:00", offset="+08:00")))
    times = ("--delivered-at", "2026-05-03T12:00:00+08:00")
    zh = analyze(str(photo), *times, "--lang", "zh")
    assert zh.returncode == 0, zh.stderr
    text = " ".join(zh.stdout.split())  # Rich wraps long lines
    assert "照片拍摄于 2026-05-01 09:00 UTC+08:00（EXIF DateTimeOriginal" in text  # Asia/Shanghai for Chinese
    assert "比签收时间（2026-05-03 12:00 UTC+08:00）" in text and "UTC+00:00" not in text
    paris = analyze(str(photo), *times, "--lang", "en", "--timezone", "Europe/Paris")
    text = " ".join(paris.stdout.split())
    assert "Photo taken 2026-05-01 03:00 UTC+02:00 (in the file: 2026-05-01 09:00 UTC+08:00)" in text
    bad = analyze(str(photo), *times, "--timezone", "Mars/Olympus")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "不是时区" in bad.stderr
