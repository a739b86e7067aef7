"""capture.after_delivery_mismatch: EXIF capture time vs delivery and order times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import piexif

from refundguard.checks.capture import gps_time, parse_exif_time
from refundguard.messages import Context, finding_key, render
from tests.checks.capture.conftest import camera_exif, codes, jpeg_bytes, run_capture
from tests.conftest import corpus_path

MISMATCH = "capture.after_delivery_mismatch"


def test_parse_exif_time_keeps_subseconds_and_offset() -> None:
    when = parse_exif_time("2026:05:03 18:20:11", "123", "+08:00")
    assert when == datetime(2026, 5, 3, 18, 20, 11, 123000, tzinfo=timezone(timedelta(hours=8)))
    assert parse_exif_time("2026:05:03 18:20:11").tzinfo is None
    assert parse_exif_time("0000:00:00 00:00:00") is None
    assert parse_exif_time("garbage") is None


def test_gps_stamp_is_utc() -> None:
    assert gps_time({"GPSDateStamp": "2026:05:03", "GPSTimeStamp": [10.0, 20.0, 11.0]}) == datetime(
        2026, 5, 3, 10, 20, 11, tzinfo=UTC)
    assert gps_time({"GPSDateStamp": "2026:05:03"}) is None


def test_photo_before_delivery_with_offset_is_flagged(write) -> None:
    path = write("damage.jpg", jpeg_bytes(camera_exif("2026:05:01 09:00:00", offset="+08:00")))
    result = run_capture([path], delivered="2026-05-03T12:00:00+08:00", ordered="2026-04-28T10:00:00+08:00")
    [finding] = codes(result, MISMATCH)
    assert finding.image == 0
    assert 0.6 < finding.score < 0.97
    assert finding.details["compared_with"] == "delivery"
    assert finding.details["has_offset"] is True
    # the stored sentence is made in UTC, with the time as the file records it beside
    assert "2026-05-01 01:00 UTC+00:00 (in the file: 2026-05-01 09:00 UTC+08:00)" in finding.message.en
    assert finding.details["capture_time"] == "2026-05-01T09:00:00.123000+08:00"
    assert "2026-05-03 04:00 UTC+00:00" in finding.message.zh and "文件中记录为 2026-05-01 09:00 UTC+08:00" in \
        finding.message.zh
    assert "±14" not in finding.message.en
    # a reader in Shanghai sees both times in their zone, once
    shanghai = render(finding_key(finding.code, finding.variant), finding.details,
                      Context("zh", tz=ZoneInfo("Asia/Shanghai")))
    assert "照片拍摄于 2026-05-01 09:00 UTC+08:00（EXIF DateTimeOriginal + OffsetTimeOriginal）" in shanghai
    assert "比签收时间（2026-05-03 12:00 UTC+08:00）早 2 天 2 小时 59 分钟" in shanghai and "文件中记录" not in shanghai


def test_photo_after_delivery_is_not_flagged(write) -> None:
    path = write("ok.jpg", jpeg_bytes(camera_exif("2026:05:03 18:20:11", offset="+08:00")))
    result = run_capture([path], delivered="2026-05-03T12:00:00+08:00")
    assert not codes(result, MISMATCH)


def test_offsets_are_compared_as_instants(write) -> None:
    # 11:00 at UTC+00:00 is 19:00 at UTC+08:00: after a delivery at 12:00+08:00
    path = write("utc.jpg", jpeg_bytes(camera_exif("2026:05:03 11:00:00", offset="+00:00")))
    assert not codes(run_capture([path], delivered="2026-05-03T12:00:00+08:00"), MISMATCH)
    # 11:00 at UTC-09:00 is 20:00 UTC, i.e. 04:00 next day at +08:00: also after
    path = write("west.jpg", jpeg_bytes(camera_exif("2026:05:02 11:00:00", offset="-09:00")))
    assert not codes(run_capture([path], delivered="2026-05-03T03:00:00+08:00"), MISMATCH)
    # but 2026-05-02 11:00 at +08:00 is before that delivery
    path = write("east.jpg", jpeg_bytes(camera_exif("2026:05:02 11:00:00", offset="+08:00")))
    assert codes(run_capture([path], delivered="2026-05-03T03:00:00+08:00"), MISMATCH)


def test_naive_time_uses_fourteen_hour_tolerance(write) -> None:
    # 10 h before delivery without an offset: within ±14 h, so no accusation
    near = write("near.jpg", jpeg_bytes(camera_exif("2026:05:03 02:00:00", offset=None)))
    assert not codes(run_capture([near], delivered="2026-05-03T12:00:00+08:00"), MISMATCH)
    # three days before: flagged, and the message says the tolerance was used
    far = write("far.jpg", jpeg_bytes(camera_exif("2026:04:30 12:00:00", offset=None)))
    [finding] = codes(run_capture([far], delivered="2026-05-03T12:00:00+08:00"), MISMATCH)
    assert finding.details["has_offset"] is False
    assert finding.details["tolerance_hours"] == 14
    assert "±14 h" in finding.message.en and "±14 小时" in finding.message.zh
    assert "no time zone" in finding.message.en and "未记录时区" in finding.message.zh


def test_naive_delivery_time_also_uses_tolerance(write) -> None:
    path = write("aware.jpg", jpeg_bytes(camera_exif("2026:05:03 08:00:00", offset="+08:00")))
    assert not codes(run_capture([path], delivered="2026-05-03T12:00:00"), MISMATCH)


def test_predating_the_order_is_stronger(write) -> None:
    before_delivery = write("a.jpg", jpeg_bytes(camera_exif("2026:05:01 09:00:00")))
    before_order = write("b.jpg", jpeg_bytes(camera_exif("2026:04:20 09:00:00")))
    result = run_capture([before_delivery, before_order], delivered="2026-05-03T12:00:00+08:00",
                         ordered="2026-04-28T10:00:00+08:00")
    found = {f.image: f for f in codes(result, MISMATCH)}
    assert found[1].details["compared_with"] == "order"
    assert found[1].score > found[0].score
    assert "order" in found[1].message.en and "下单" in found[1].message.zh


def test_gps_gives_a_naive_time_its_offset(write) -> None:
    exif = camera_exif("2026:05:03 09:00:00", offset=None)
    exif["GPS"] = {piexif.GPSIFD.GPSDateStamp: b"2026:05:03",
                   piexif.GPSIFD.GPSTimeStamp: ((1, 1), (0, 1), (0, 1))}  # 01:00 UTC = 09:00 at +08:00
    path = write("gps.jpg", jpeg_bytes(exif))
    # delivered 10:00+08:00: one hour after the photo; without GPS this would be inside the tolerance
    [finding] = codes(run_capture([path], delivered="2026-05-03T10:00:00+08:00"), MISMATCH)
    assert finding.details["offset_from_gps"] == "UTC+08:00"
    assert finding.details["has_offset"] is True
    assert "GPS" in finding.message.en


def test_no_claim_times_means_no_time_finding(write) -> None:
    path = write("x.jpg", jpeg_bytes(camera_exif("2020:01:01 00:00:00")))
    assert not codes(run_capture([path]), MISMATCH)


def test_reference_photos_are_not_judged(write) -> None:
    claim = write("claim.jpg", jpeg_bytes(camera_exif("2026:05:04 09:00:00")))
    ref = write("listing.jpg", jpeg_bytes(camera_exif("2025:01:01 09:00:00")))
    result = run_capture([claim], delivered="2026-05-03T12:00:00+08:00", references=[ref])
    assert all(f.image != 1 for f in result.findings)


def test_corpus_photos_taken_after_delivery_are_not_flagged() -> None:
    paths = [corpus_path("natural", name) for name in ("IMG_0003.jpg", "P1000827.jpg", "earth_apollo17.jpg")]
    # every capture time is after this delivery
    assert not codes(run_capture(paths, delivered="2004-01-01T00:00:00+08:00"), MISMATCH)
    # and the real camera times (with their -07:00 offsets) are caught when delivery comes later
    late = codes(run_capture(paths[:2], delivered="2022-01-01T00:00:00+08:00"), MISMATCH)
    assert {f.image for f in late} == {0, 1}
    assert "(in the file: 2011-07-30 15:41 UTC-07:00)" in late[0].message.en
