"""The one report view every surface draws (report/view.py): names, marks by strength, regions of findings across
photos, outlines mapped onto the matched reference, details in photo numbers, the coverage basis in words."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from refundguard.engine import Analysis
from refundguard.report.json import to_dict
from refundguard.report.view import evidence_lines, report_view, to_reference


@pytest.fixture
def report(analysis: Analysis) -> dict[str, Any]:
    data = to_dict(analysis)
    data["images"][0]["path"] = "refundguard-data/evidence/92/9b/929bde8d0000"  # a store's layout
    data["images"][1]["path"] = "C:\\shop\\listing.png"
    return data


def test_names_come_from_the_caller_or_the_last_part_of_the_path(report: dict[str, Any]) -> None:
    view = report_view(report, lang="en")
    assert [p.name for p in view.photos] == ["929bde8d0000", "listing.png"]
    named = report_view(report, names=["裂纹照片.jpg", "listing.png"], lang="zh")
    assert [p.name for p in named.photos] == ["裂纹照片.jpg", "listing.png"]
    assert all("refundguard-data" not in r.text for r in named.reasons)
    with pytest.raises(ValueError):
        report_view(report, names=["only-one.jpg"])


def test_a_proven_region_is_mapped_onto_the_matched_reference(report: dict[str, Any]) -> None:
    shift = [[1.0, 0.0, 10.0], [0.0, 1.0, -4.0], [0.0, 0.0, 1.0]]  # reference -> claim: +10 px right, 4 px up
    edit = next(f for f in report["findings"] if f["code"] == "reference.derived_edit")
    edit["details"]["transform"] = shift
    view = report_view(report, lang="zh")
    claim = view.photos[0]
    assert view.photo(claim.reference) is view.photos[1]  # the matched reference, looked up once
    (mark,) = [m for m in claim.marks if m.code == "reference.derived_edit"]
    assert mark.strength == "proven" and mark.on_reference is not None
    assert mark.on_reference[0] == (mark.x - 10.0, mark.y + 4.0)
    assert to_reference([[0.0] * 3] * 3, (0, 0, 1, 1)) is None  # a singular transform maps nothing


def test_regions_of_a_finding_across_photos_are_marked_on_each_photo(report: dict[str, Any]) -> None:
    data = copy.deepcopy(report)
    data["images"].append({**data["images"][0], "path": "second.jpg", "role": "claim"})
    data["findings"].append({
        "code": "multiview.inconsistent_damage", "check": "multiview", "image": None, "score": 0.9, "weight": 3.0,
        "counted": True, "message": {"en": "The damage differs", "zh": "损坏不一致"}, "regions": [], "heatmap": None,
        "details": {"regions_by_image": {"0": [{"x": 5, "y": 6, "w": 30, "h": 20, "role": "damage"}],
                                         "2": [{"x": 50, "y": 60, "w": 30, "h": 20,
                                                "role": "expected_damage_missing"}]}}})
    view = report_view(data, lang="en")
    first = [m for m in view.photos[0].marks if m.code == "multiview.inconsistent_damage"]
    second = [m for m in view.photos[2].marks if m.code == "multiview.inconsistent_damage"]
    assert [(m.x, m.role, m.strength) for m in first] == [(5, "damage", "proven")]
    assert [(m.x, m.role, m.strength) for m in second] == [(50, "expected_damage_missing", "proven")]
    assert view.claim_level and view.claim_level[0].code == "multiview.inconsistent_damage"


def test_photo_indices_in_details_are_shown_as_numbered_names() -> None:
    lines = dict(evidence_lines({"reference_image": 1, "images": [0, 1], "inliers": 40}, names=["a.jpg", "b.jpg"]))
    assert lines == {"reference_image": "#2 b.jpg", "images": "#1 a.jpg, #2 b.jpg", "inliers": "40"}
    assert dict(evidence_lines({"reference_image": 7}, names=["a.jpg"]))["reference_image"] == "7"  # not a photo


def test_photo_indices_nested_in_details_are_numbered_from_one() -> None:
    details = {"pairs": [{"images": [0, 1], "matched_points": 12,
                          "differences": [{"shown_in": 1, "missing_in": 0, "kind": "crack"}]}]}
    pairs = json.loads(dict(evidence_lines(details, names=["a.jpg", "b.jpg"]))["pairs"])
    assert pairs == [{"images": "#1 a.jpg, #2 b.jpg", "matched_points": 12,
                      "differences": [{"shown_in": "#2 b.jpg", "missing_in": "#1 a.jpg", "kind": "crack"}]}]


@pytest.mark.parametrize(("basis", "en", "zh"), [
    ("verified", "Verified against independent evidence", "已用独立证据核实"),
    ("unverified", "Unverified", "未经核实"),
    ("incomplete", "Incomplete analysis", "分析不完整"),
])
def test_the_coverage_basis_is_worded_for_the_reader(report: dict[str, Any], basis: str, en: str, zh: str) -> None:
    report["coverage"]["basis"] = basis
    assert report_view(report, lang="en").basis_words.text.startswith(en)
    assert report_view(report, lang="zh").basis_words.text.startswith(zh)
    assert report_view(report, lang="zh").basis_words.alt.startswith(en)


def test_a_report_stored_before_coverage_is_shown_as_unverified(report: dict[str, Any]) -> None:
    del report["coverage"]
    view = report_view(report, lang="en")
    assert view.basis == "unverified" and not view.recorded_coverage
    assert "treat it as unverified" in view.summary.text


def test_a_stored_english_sentence_the_catalogue_knows_is_shown_in_chinese() -> None:
    from refundguard.messages import Context, shown

    english = "fewer than two claim photos: there is no second view to compare the damage with"
    assert shown(None, None, Context("zh"), stored=english) == "凭证图片少于两张：没有第二个角度可用来比对损坏"
    assert shown(None, None, Context("en"), stored=english) == english
    assert shown(None, None, Context("zh"), stored={"en": english, "zh": english}).startswith("凭证图片少于两张")
    assert shown(None, None, Context("zh"), stored="a sentence nobody catalogued") == "a sentence nobody catalogued"
