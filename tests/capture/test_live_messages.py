"""The live check's sentences come from the message catalogue (``messages/texts/live.py``): every key is worded in
both languages from a finding's details, photos and shots by name (numbered from 1 where no names are known)."""

from __future__ import annotations

import pytest

from refundguard.messages import CATALOGUE, Context, render

NAMES = ("claim.jpg", "whole.jpg", "close.jpg", "turned.jpg")
DETAILS = {
    "live.code_wrong:wrong": {"shot": 1, "read": "XRTW", "expected": "K4AM"},
    "live.code_missing:missing": {"shot": 1, "expected": "K4AM"},
    "live.damage_absent:corroborated": {"claim_photo": 0, "region": [300, 200, 20, 40], "shots": [1, 2], "count": 2},
    "live.damage_absent:single": {"claim_photo": 0, "region": [300, 200, 20, 40], "shots": [3], "count": 1},
    "live.place_differs:hidden": {"claim_photo": 0, "region": [10, 20, 30, 40], "shots": [2, 3], "count": 2},
    "live.item_not_matched:none": {"claim_photo": 0, "count": 3},
    "live.recapture:signs": {"image": 3, "signs": [{"part": "framed", "claim_photo": 0, "border_share": 0.8},
                                                   {"part": "moire", "peaked": 9, "tiles": 16}, {"part": "flat"}]},
    "live.inconsistent_views:disagree": {"shown_in": 2, "region": [1, 2, 3, 4], "missing_in": [1, 3]},
    "live.damage_confirmed:confirmed": {"photos": [{"part": "photo", "claim_photo": 0, "count": 3,
                                                    "kinds": ["whole", "close", "turned"]}]},
    "live.verified.capture": {"claim_photo": 0, "count": 3, "kinds": ["whole", "close", "turned"]},
}


def test_every_finding_sentence_of_the_live_check_is_catalogued() -> None:
    keys = {e.key for e in CATALOGUE if e.key.startswith("live.") and ":" in e.key}
    assert keys == {k for k in DETAILS if ":" in k}


@pytest.mark.parametrize("key", sorted(DETAILS))
def test_each_sentence_is_worded_in_both_languages_with_names(key: str) -> None:
    en = render(key, DETAILS[key], Context("en", NAMES))
    zh = render(key, DETAILS[key], Context("zh", NAMES))
    assert en and zh and en != zh and "{" not in en + zh
    assert any(name in en and name in zh for name in NAMES)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en)  # English only in English


def test_shots_are_numbered_from_one_without_names() -> None:
    en = render("live.damage_absent:corroborated", DETAILS["live.damage_absent:corroborated"], Context("en"))
    assert "#2" in en and "#3" in en and "#0" not in en  # report indexes 1 and 2: the second and third photo
    assert "x=300, y=200, 20×40 px" in en


def test_the_recapture_signs_and_the_confirmation_are_joined_parts() -> None:
    en = render("live.recapture:signs", DETAILS["live.recapture:signs"], Context("en", NAMES))
    assert "claim.jpg appears inside it whole" in en and "9 of 16 tiles" in en and "one flat plane" in en
    zh = render("live.damage_confirmed:confirmed", DETAILS["live.damage_confirmed:confirmed"], Context("zh", NAMES))
    assert "（a）整件商品与验证码" in zh and "3 张现场照片" in zh


def test_the_capture_service_names_each_shot_kind_from_the_catalogue() -> None:
    from refundguard.capture.service import KINDS
    from refundguard.messages import both

    for kind in KINDS:
        made = both(f"capture.kind.{kind}")
        assert made["en"] and made["zh"] and made["en"] != made["zh"]
    missing = both("capture.error.shots_missing", {"missing": ["close", "turned_or_video"]})
    assert "shot (b), the damage close up" in missing["en"] and "(or the video orbit)" in missing["en"]
    assert "拍摄（b）：损坏处近景" in missing["zh"] and "环绕视频" in missing["zh"]
    wrong = both("capture.error.not_video", {"kind": "video", "what": "it is JPEG"})
    assert wrong["en"] == "the video orbit: not a video (it is JPEG)"
