"""The two change detectors combined: the area detector's outlines and decisions, the structure detector's
thin and small changes as a second path, framing and overlays never counted as damage."""

from __future__ import annotations

import numpy as np

from refundguard.checks._align.area import AreaChanges, find_area_changes
from refundguard.checks._align.changes import ChangedRegion, Changes, framing_band
from refundguard.checks._align.kinds import RegionKind
from refundguard.checks._align.merge import area_kinds, merge, structure_confidence
from refundguard.checks._align.settings import MergeSettings

H, W = 200, 300


def _area(*boxes: tuple[int, int, int, int]) -> AreaChanges:
    labels = np.zeros((H, W), np.int32)
    for i, (x, y, w, h) in enumerate(boxes, start=1):
        labels[y:y + h, x:x + w] = i
    strength = np.where(labels > 0, 2.0, 0.1).astype(np.float32)
    return AreaChanges(mask=labels > 0, labels=labels, boxes=list(boxes), areas=[w * h for *_, w, h in boxes],
                       strength=strength, noise=0.01, share=float((labels > 0).mean()))


def _structure(*regions: tuple[tuple[int, int, int, int], float, float]) -> Changes:
    """Structure regions as (box, significance, visibility)."""
    labels = np.zeros((H, W), np.int32)
    out = []
    for i, ((x, y, w, h), sig, vis) in enumerate(regions, start=1):
        labels[y:y + h, x:x + w] = i
        out.append(ChangedRegion(label=i, box=(x, y, w, h), area=w * h, peak_z=sig, significance=sig, contrast=0.1,
                                 visibility=vis, channel="line", lighter=0.0))
    valid = np.ones((H, W), bool)
    return Changes(heat=np.where(labels > 0, 0.8, 0.1).astype(np.float32), mask=labels > 0, labels=labels,
                   regions=out, noise=0.01, share=float((labels > 0).mean()), framing=framing_band(valid, 6),
                   residual=np.zeros((H, W, 3), np.float32))


DAMAGE = RegionKind("damage", "scratch", {})
STAIN = RegionKind("damage", "stain", {})
STICKER = RegionKind("overlay", "sticker", {})


def test_area_detector_finds_a_solid_patch_and_nothing_on_an_identical_pair():
    rng = np.random.default_rng(0)
    ref = np.clip(0.5 + rng.normal(0, 0.05, (H, W, 3)), 0, 1).astype(np.float32)
    valid = np.ones((H, W), bool)
    assert find_area_changes(ref, ref, valid).boxes == []
    claim = ref.copy()
    claim[80:110, 100:150] = 0.05  # a dark patch
    found = find_area_changes(claim, ref, valid)
    assert len(found.boxes) == 1
    x, y, w, h = found.boxes[0]
    assert abs(x - 100) <= 3 and abs(y - 80) <= 3 and abs(w - 50) <= 6 and abs(h - 30) <= 6


def test_area_component_in_the_framing_band_is_framing_and_an_overlay_needs_both_views():
    area = _area((0, 0, 300, 4), (100, 100, 30, 30))
    structure = _structure(((100, 100, 30, 30), 50.0, 10.0))
    kinds = area_kinds(area, structure, [STICKER], [STAIN, STICKER], MergeSettings())
    assert kinds[0] is None  # the frame's edge
    assert kinds[1] is not None and (kinds[1].family, kinds[1].kind) == ("overlay", "sticker")
    # one view alone does not excuse a change as an overlay: it stays damage-like
    only_structure = area_kinds(area, structure, [STICKER], [STAIN, STAIN], MergeSettings())[1]
    only_own = area_kinds(area, structure, [DAMAGE], [STAIN, STICKER], MergeSettings())[1]
    assert only_structure is not None and (only_structure.family, only_structure.kind) == ("damage", "stain")
    assert only_own is not None and (only_own.family, only_own.kind) == ("damage", "scratch")


def test_large_damage_keeps_the_area_outline_and_decision():
    area = _area((100, 60, 60, 40))  # 4 % of the footprint
    structure = _structure(((120, 70, 10, 10), 50.0, 10.0))
    a_kinds = area_kinds(area, structure, [DAMAGE], [STAIN], MergeSettings())
    merged = merge(area, a_kinds, structure, [DAMAGE], np.ones((H, W), bool), MergeSettings(), 10.0, 1.0)
    assert [(c.detector, c.family, c.box) for c in merged.changes] == [("area", "damage", (100, 60, 60, 40))]
    assert merged.p_edit > 0.99 and merged.heat[80, 130] >= 0.75 and merged.heat[10, 10] < 0.5


def test_thin_change_the_area_detector_missed_is_reported_only_when_strong_and_visible():
    area = _area()
    settings = MergeSettings(structure_min=0.75)
    strong = _structure(((50, 50, 40, 2), 40.0, 4.0))  # twice the thresholds and more: confidence 1
    merged = merge(area, [], strong, [DAMAGE], np.ones((H, W), bool), settings, 10.0, 1.0)
    assert [(c.detector, c.kind) for c in merged.changes] == [("structure", "scratch")]
    assert merged.p_edit == 1.0 and merged.changes[0].measures["visibility"] == 4.0
    weak = _structure(((50, 50, 40, 2), 12.0, 1.2))  # just over the detector's thresholds: confidence 0.6
    assert structure_confidence(12.0, 1.2, 10.0, 1.0) < settings.structure_min
    merged = merge(area, [], weak, [DAMAGE], np.ones((H, W), bool), settings, 10.0, 1.0)
    assert merged.changes == [] and merged.p_edit == 0.0


def test_an_overlay_alone_gives_no_edit_probability():
    area = _area((100, 100, 30, 30))
    structure = _structure(((100, 100, 30, 30), 50.0, 10.0))
    a_kinds = area_kinds(area, structure, [STICKER], [STICKER], MergeSettings())
    merged = merge(area, a_kinds, structure, [STICKER], np.ones((H, W), bool), MergeSettings(), 10.0, 1.0)
    assert [c.family for c in merged.changes] == ["overlay"] and merged.p_edit == 0.0 and merged.p_overlay >= 0.5
    assert 0.5 <= merged.heat[110, 110] <= 0.7


def test_large_edit_is_outlined_by_the_area_detector_and_its_thresholds_are_settings(tmp_path):
    from skimage import data

    from refundguard.config import load_settings
    from refundguard.engine import analyze
    from tests.checks.reference.conftest import codes, loaded, only_finding

    coffee = data.coffee()
    claim = coffee.copy()
    claim[150:220, 250:350] = (40, 30, 25)  # a dark broken patch, 3 % of the photo
    result = analyze([loaded(claim)], [loaded(coffee)], only=["reference"])
    f = only_finding(result, "reference.derived_edit")
    area = [r for r in f.details["changed_regions"] if r["detector"] == "area"]
    assert area and area[0]["family"] == "damage"
    assert abs(area[0]["x"] - 250) <= 8 and 100 <= area[0]["w"] <= 120  # the outline, grown a few pixels
    blind = tmp_path / "blind.toml"
    blind.write_text("[checks.reference.area]\nhi_floor = 5.0\n[checks.reference.changes]\nmin_visibility = 1000.0\n")
    result = analyze([loaded(claim)], [loaded(coffee)], only=["reference"], settings=load_settings(blind))
    assert codes(result) == ["reference.derived_copy"]


def test_a_stroke_beside_a_watermark_word_is_part_of_it_and_no_evidence_of_an_edit():
    # tuned-0092: a watermark found by the structure detector in three pieces, one of them stroke-like
    # (a "scratch"); it takes the watermark's kind, and the photo's edit probability must not keep its 0.63
    structure = _structure(((120, 100, 68, 27), 50.0, 10.0), ((90, 110, 16, 12), 13.0, 1.3))
    watermark = RegionKind("overlay", "watermark", {})
    merged = merge(_area(), [], structure, [watermark, DAMAGE], np.ones((H, W), bool), MergeSettings(), 10.0, 1.0)
    assert [(c.family, c.kind) for c in merged.changes] == [("overlay", "watermark"), ("overlay", "watermark")]
    assert merged.p_edit == 0.0 and merged.p_overlay == 1.0
