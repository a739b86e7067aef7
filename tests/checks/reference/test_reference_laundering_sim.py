"""The detector's newer parts: the claim's JPEG laundering redone on the reference, misregistration, small spots
decided by their peak, pieces of an overlay, and watermark words whose specks re-encoding broke off."""

from __future__ import annotations

import numpy as np

from refundguard.checks._align.changes import find_changes
from refundguard.checks._align.laundering import encode, estimate, launder_like
from refundguard.checks._align.merge import Change, _pieces_of_overlays, structure_confidence
from refundguard.checks._align.settings import ChangeSettings, LaunderingSettings


def _f(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


def test_the_quality_of_a_jpeg_copy_is_found_and_redone_on_the_reference(coffee):
    ref = _f(coffee)
    claim = encode(ref, 50)
    valid = np.ones(ref.shape[:2], bool)
    sim = estimate(claim, ref, valid, LaunderingSettings())
    assert sim.quality in (45, 55) and sim.after < 0.85 * sim.before
    (laundered,), used = launder_like(claim, [ref], valid, valid, (0, 0), LaunderingSettings())
    assert used.quality == sim.quality
    assert np.abs(claim - laundered).mean() < 0.6 * np.abs(claim - ref).mean()


def test_a_lossless_copy_or_a_frame_off_the_block_grid_is_left_alone(coffee):
    ref = _f(coffee)
    valid = np.ones(ref.shape[:2], bool)
    refs, sim = launder_like(ref.copy(), [ref], valid, valid, (0, 0), LaunderingSettings())
    assert sim.quality is None and refs[0] is ref
    refs, sim = launder_like(encode(ref, 50), [ref], valid, valid, (3, 0), LaunderingSettings())
    assert sim.quality is None and refs[0] is ref  # a crop starting at x = 3: its JPEG blocks are not ours
    refs, sim = launder_like(encode(ref, 50), [ref], valid, valid, (0, 0), LaunderingSettings(enabled=False))
    assert sim.quality is None


def _scene() -> np.ndarray:
    """A flat wall with one dark vertical pole (an edge a homography can place slightly off)."""
    img = np.full((160, 200, 3), 0.7, np.float32)
    img[20:140, 98:102] = 0.2
    return img


def test_an_edge_placed_a_pixel_off_is_misregistration_not_a_scratch():
    ref = _scene()
    claim = ref.copy()
    claim[20:140, 98:102] = 0.7
    claim[20:140, 100:104] = 0.2  # the pole moved by 2 px
    valid = np.ones(ref.shape[:2], bool)
    assert find_changes(claim, ref, valid, settings=ChangeSettings(shift_px=2.0)).regions == []
    kept = find_changes(claim, ref, valid, settings=ChangeSettings(shift_px=2.0, shift_explained=1.0)).regions
    assert kept  # without the test the moved edge reads as two lines


def test_a_new_thin_line_is_not_explained_by_any_shift():
    ref = _scene()
    claim = ref.copy()
    claim[60, 30:80] = 0.55  # a faint 1 px scratch on the wall
    found = find_changes(claim, ref, np.ones(ref.shape[:2], bool))
    assert len(found.regions) == 1 and 55 <= found.regions[0].box[1] <= 61


def test_a_two_pixel_spot_is_decided_by_its_strongest_visible_pixel():
    rng = np.random.default_rng(3)
    ref = np.clip(0.6 + rng.normal(0, 0.004, (120, 160, 3)), 0, 1).astype(np.float32)
    claim = ref.copy()
    claim[60, 80:82] -= 0.12  # 2 px: too few pixels to sum evidence over
    valid = np.ones(ref.shape[:2], bool)
    # summed evidence made impossible (seed_z 1000): the spot is kept by its peak alone, and only by it
    by_peak = find_changes(claim, ref, valid, settings=ChangeSettings(seed_z=1000.0))
    assert len(by_peak.regions) == 1 and by_peak.regions[0].peak_visible_z >= ChangeSettings().peak_z
    assert find_changes(claim, ref, valid, settings=ChangeSettings(seed_z=1000.0, peak_z=1e6)).regions == []
    r = by_peak.regions[0]
    assert structure_confidence(5.0, 0.5, 10.0, 1.0) == 0.5
    assert structure_confidence(5.0, 0.5, 10.0, 1.0, r.peak_visible_z, 12.0) > 0.5


def _change(box: tuple[int, int, int, int], family: str, kind: str) -> tuple[Change, np.ndarray]:
    return Change(box=box, family=family, kind=kind, features={}, detector="area", confidence=0.9), np.zeros(1, bool)


def test_pieces_of_a_watermark_line_and_of_a_bar_take_the_overlay_kind():
    reported = [_change((100, 50, 90, 30), "overlay", "watermark"),  # one word of the watermark
                _change((230, 52, 40, 28), "damage", "crack"),  # the next word, 40 px on: within 3 line heights
                _change((400, 50, 40, 28), "damage", "crack"),  # far along the line: not a piece of it
                _change((0, 0, 300, 40), "overlay", "ui_bar"),
                _change((20, 30, 30, 12), "damage", "scratch")]  # an icon at the bar's lower edge
    out = [c for c, _ in _pieces_of_overlays(reported, 0.25, 3.0)]
    assert [(c.family, c.kind) for c in out] == [("overlay", "watermark"), ("overlay", "watermark"),
                                                 ("damage", "crack"), ("overlay", "ui_bar"), ("overlay", "ui_bar")]
    assert out[1].features["part_of_overlay"] == "watermark"
