"""The sentences of the capture, reuse, tamper, watermark and provenance checks come from the catalogue
(``messages/texts/capture_facts.py``, ``reuse.py``, ``tamper.py``, ``watermark.py``, ``provenance.py``, ``media.py``):
each is worded in both languages from its parameters at display time, photos by name, times in the reader's zone;
a report stored before the catalogue keeps showing what it wrote."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from refundguard.messages import CATALOGUE, Context, render, shown

NAMES = ("damage.jpg", "close-up.jpg", "listing.jpg")
SHANGHAI = ZoneInfo("Asia/Shanghai")
REDUCED = {"original_width": 8000, "original_height": 6000, "width": 4000, "height": 3000,
           "original_pixels": 48_000_000, "pixels": 12_000_000, "budget_pixels": 12_000_000, "scope": "photo"}
SHOWN = {"shown_claims": [{"claim_id": "C-17", "at": "2026-04-30T20:00:00+00:00"}],
         "unlisted": [{"part": "more", "count": 2}]}
#: every sentence of these checks, with parameters as the check writes them
PARAMS: dict[str, dict[str, Any]] = {
    "capture.after_delivery_mismatch:delivery": {
        "capture_time": "2026-05-01T09:00:00.123000+08:00", "reference_time": "2026-05-03T12:00:00+08:00",
        "gap_minutes": 3059, "tolerance_hours": 0.0, "notes": [],
        "time_source": {"part": "exif_offset", "tag": "DateTimeOriginal", "offset_tag": "OffsetTimeOriginal"}},
    "capture.after_delivery_mismatch:order": {
        "capture_time": "2026-04-20T09:00:00", "reference_time": "2026-04-28T10:00:00+08:00", "gap_minutes": 11580,
        "tolerance_hours": 14.0, "gps_utc": "2026-04-20T01:00:00+00:00", "notes": ["no_zone", "gps"],
        "time_source": {"part": "exif", "tag": "DateTimeOriginal", "offset_tag": ""}},
    "capture.camera_mismatch:model": {"cameras": [{"image": 0, "camera": "HUAWEI ALN-AL00"},
                                                  {"image": 1, "camera": "Apple iPhone 15 Pro"}]},
    "capture.camera_mismatch:body": {"serials": [{"image": 0, "serial": "SN-0001"}, {"image": 1, "serial": "SN-0002"}]},
    "capture.camera_mismatch:lens": {"serials": [{"image": 0, "serial": "L-1"}, {"image": 1, "serial": "L-2"}]},
    "capture.editing_software:retouch": {
        "software": [{"name": "Meitu 美图秀秀", "kind": "retouch", "source": "EXIF Software", "value": "MTXX"}],
        "edits_after_capture_count": 2, "edit_agents": ["Adobe Photoshop 25.0"], "notes": ["history_by"]},
    "capture.editing_software:develop": {
        "software": [{"name": "Adobe Lightroom", "kind": "develop", "source": "XMP CreatorTool", "value": "Lr 7"}],
        "modified_at": "2026-05-04T10:00:00", "notes": ["modified"]},
    "capture.screenshot:signs": {"format": "PNG", "signs": [
        {"part": "label", "source": "EXIF UserComment", "value": "Screenshot"},
        {"part": "screen_size", "width": 1080, "height": 2400, "family": "Android 20:9"},
        {"part": "no_camera"}, {"part": "png"}, {"part": "status_bar", "rows": 72}]},
    "capture.no_camera_data:missing": {"format": "JPEG"},
    "reuse.duplicate:same_photo": {"who": "other_buyer", "claim_count": 3, **SHOWN},
    "reuse.duplicate:copy": {"who": "same_buyer", "claim_count": 1, "shown_claims": SHOWN["shown_claims"],
                             "unlisted": []},
    "reuse.template:pattern": {"who": "unknown_buyer", **SHOWN},
    "reuse.na.no_index": {},
    "tamper.skip.reduced": REDUCED,
    "watermark.skip.reduced": {**REDUCED, "scope": "claim"},
    "provenance.skip.reduced_alpha": REDUCED,
    "provenance.skip.unreadable": {"sources": ["XMP in APP1", "XMP in iTXt"]},
    "provenance.verified.read": {"image": 2},
}


def test_every_sentence_of_these_checks_is_here() -> None:
    prefixes = ("capture.after_delivery_mismatch:", "capture.camera_mismatch:", "capture.editing_software:",
                "capture.screenshot:", "capture.no_camera_data:", "reuse.duplicate:", "reuse.template:", "reuse.na.",
                "tamper.skip.", "watermark.skip.", "provenance.skip.", "provenance.verified.")
    assert {e.key for e in CATALOGUE if e.key.startswith(prefixes)} == set(PARAMS)


@pytest.mark.parametrize("key", sorted(PARAMS))
def test_each_sentence_is_worded_in_both_languages(key: str) -> None:
    en = render(key, PARAMS[key], Context("en", NAMES, SHANGHAI))
    zh = render(key, PARAMS[key], Context("zh", NAMES, SHANGHAI))
    assert en and zh and en != zh and "{" not in en + zh
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.replace("美图秀秀", ""))  # English only in English
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    if any(isinstance(v, list) and v and isinstance(v[0], dict) and "image" in v[0] for v in PARAMS[key].values()) \
            or "image" in PARAMS[key]:
        assert any(name in en and name in zh for name in NAMES)  # photos by name, not index


def test_capture_times_are_shown_in_the_readers_zone_or_marked_without_one() -> None:
    aware = PARAMS["capture.after_delivery_mismatch:delivery"]
    zh = render("capture.after_delivery_mismatch:delivery", aware, Context("zh", NAMES, SHANGHAI))
    assert zh.startswith("照片拍摄于 2026-05-01 09:00 UTC+08:00（EXIF DateTimeOriginal + OffsetTimeOriginal），"
                         "比签收时间（2026-05-03 12:00 UTC+08:00）早 2 天 2 小时 59 分钟")
    en = render("capture.after_delivery_mismatch:delivery", aware, Context("en", NAMES, ZoneInfo("Europe/Paris")))
    assert "Photo taken 2026-05-01 03:00 UTC+02:00 (in the file: 2026-05-01 09:00 UTC+08:00)" in en
    assert "before the item was delivered (2026-05-03 06:00 UTC+02:00)" in en
    naive = render("capture.after_delivery_mismatch:order", PARAMS["capture.after_delivery_mismatch:order"],
                   Context("en", NAMES, SHANGHAI))
    assert "Photo taken 2026-04-20 09:00 (no time zone)" in naive and "8 d 1 h 0 min before the order" in naive
    assert naive.endswith("Compared with a ±14 h tolerance because a time has no zone. The GPS time stamp "
                          "(2026-04-20 09:00 UTC+08:00) agrees.")
    zh = render("capture.after_delivery_mismatch:order", PARAMS["capture.after_delivery_mismatch:order"],
                Context("zh", NAMES, SHANGHAI))
    assert "2026-04-20 09:00（未记录时区）" in zh
    assert zh.endswith("按 ±14 小时容差比较。GPS 时间戳（2026-04-20 09:00 UTC+08:00）与之一致。")


def test_lists_and_counts_read_naturally() -> None:
    en = render("reuse.duplicate:same_photo", PARAMS["reuse.duplicate:same_photo"], Context("en", tz=SHANGHAI))
    assert en == ("This photo (the same photo) was already submitted in 3 other claims by a different buyer: "
                  "C-17 (2026-05-01) and 2 more.")  # recorded 20:00 UTC = the next day in Shanghai
    zh = render("reuse.duplicate:copy", PARAMS["reuse.duplicate:copy"], Context("zh", tz=SHANGHAI))
    assert zh == "该图片（镜像、裁剪或加框后的副本）已在其他 1 个申请中提交过，提交者为同一买家：C-17（2026-05-01）。"
    shot = render("capture.screenshot:signs", PARAMS["capture.screenshot:signs"], Context("en"))
    assert shot == ("This looks like a screenshot, not a camera photo: EXIF UserComment says 'Screenshot'; the size "
                    "1080×2400 is a native Android 20:9 screen size; there is no camera data; it is a PNG (phones "
                    "save camera photos as JPEG/HEIF); the top 72 px rows look like a status bar (flat band with "
                    "small glyphs).")
    cams = render("capture.camera_mismatch:model", PARAMS["capture.camera_mismatch:model"], Context("zh", NAMES))
    assert cams == "本申请的照片来自不同的相机（damage.jpg：HUAWEI ALN-AL00；close-up.jpg：Apple iPhone 15 Pro）。"
    edited = render("capture.editing_software:retouch", PARAMS["capture.editing_software:retouch"], Context("en"))
    assert edited == ("The file was processed with an image editor: Meitu 美图秀秀 (EXIF Software: 'MTXX'). Its edit "
                      "history records 2 saves after capture by Adobe Photoshop 25.0.")


def test_a_reduced_photo_is_said_in_megapixels_and_ten_thousands() -> None:
    en = render("tamper.skip.reduced", REDUCED, Context("en"))
    assert en == ("Blind local traces need the file's own pixel grid; this photo was analysed at reduced size: "
                  "8000×6000 (48.0 MP) → 4000×3000 (12.0 MP), because the analysis budget is 12.0 MP per photo.")
    zh = render("watermark.skip.reduced", {**REDUCED, "scope": "claim"}, Context("zh"))
    assert "8000×6000（4800 万像素）→ 4000×3000（1200 万像素）" in zh and "每张分配 1200 万像素" in zh


def test_a_report_stored_before_the_catalogue_shows_what_it_wrote() -> None:
    stored = {"en": "This PNG has no camera data (old wording).", "zh": "该 PNG 文件没有相机信息（旧措辞）。"}
    # no variant: the sentence as written, in the reader's language
    assert shown(None, {"format": "PNG"}, Context("zh"), stored=stored) == stored["zh"]
    assert shown(None, {"format": "PNG"}, Context("en"), stored=stored) == stored["en"]
    # a variant whose parameters the old record lacks: also as written, never a half-made sentence
    assert shown("capture.screenshot:signs", {"format": "PNG"}, Context("zh"), stored=stored) == stored["zh"]
    # an old skip that carried its sentence in English and Chinese
    assert shown(None, None, Context("zh"), stored={"en": "metadata partly unreadable (XMP)",
                                                    "zh": "元数据部分无法读取（XMP）"}) == "元数据部分无法读取（XMP）"


def test_a_page_words_a_stored_capture_finding_for_its_reader(tmp_path) -> None:
    from refundguard.report.json import to_dict
    from refundguard.report.view import report_view
    from tests.checks.capture.conftest import camera_exif, jpeg_bytes, run_capture

    photo = tmp_path / "damage.jpg"
    photo.write_bytes(jpeg_bytes(camera_exif("2026:05:01 09:00:00", offset="+08:00")))
    report = to_dict(run_capture([photo], delivered="2026-05-03T12:00:00+08:00"))
    [stored] = [f for f in report["findings"] if f["code"] == "capture.after_delivery_mismatch"]
    assert stored["variant"] == "delivery" and "UTC+00:00" in stored["message"]["en"]  # written in UTC
    view = report_view(report, names=["裂纹.jpg"], lang="zh", tz=SHANGHAI)
    [finding] = [f for f in view.findings if f.code == "capture.after_delivery_mismatch"]
    assert finding.text.text.startswith("照片拍摄于 2026-05-01 09:00 UTC+08:00")
    assert "UTC+00:00" not in finding.text.text and "Photo taken 2026-05-01 09:00 UTC+08:00" in finding.text.alt
