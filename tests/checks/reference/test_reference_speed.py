"""The reference check's speed work changes no decision: ECC one iteration at a time, stored references."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from refundguard.checks._align import store as store_mod
from refundguard.checks._align.compare import compare
from refundguard.checks._align.match import match
from refundguard.checks._align.prepare import prepare
from refundguard.checks._align.refine import ECC_EPS, ECC_FILTER, ECC_ITERATIONS, _moved, ecc_warp, warp
from refundguard.checks._align.store import ReferenceStore, key_of
from refundguard.checks.registry import CheckContext, ClaimInfo
from refundguard.config import default_settings
from refundguard.engine import analyze
from refundguard.media.load import load_image


def _ecc_inputs(claim: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    c, r = prepare(claim), prepare(ref)
    m = match(c, r)
    assert m is not None
    size = c.size
    warped, valid = warp(r.gray, m.homography, size)
    return c.gray.astype(np.float32), warped.astype(np.float32), valid.astype(np.uint8), size


def _single_call(template, image, mask, iterations=ECC_ITERATIONS):
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, ECC_EPS)
    _, w = cv2.findTransformECC(template, image, np.eye(3, dtype=np.float32), cv2.MOTION_HOMOGRAPHY, criteria,
                                mask, ECC_FILTER)
    return w


@pytest.mark.parametrize("iterations", [1, 3, ECC_ITERATIONS])
def test_ecc_one_iteration_at_a_time_is_the_single_call_bit_for_bit(iterations):
    ref = data.astronaut()
    h_true = np.array([[0.9, 0.05, 20.0], [-0.03, 0.95, 10.0], [2e-5, 1e-5, 1.0]])
    claim = cv2.warpPerspective(ref, h_true, (512, 512), flags=cv2.INTER_CUBIC)
    template, image, mask, size = _ecc_inputs(claim, ref)
    stepped = ecc_warp(template, image, mask, size, iterations=iterations, give_up_px=np.inf)
    assert stepped is not None
    assert np.array_equal(stepped, _single_call(template, image, mask, iterations))


def test_ecc_that_runs_away_is_given_up_and_would_have_been_rejected():
    # two different pictures that SIFT still matches (a shared printed patch): ECC drifts off
    rng = np.random.default_rng(3)
    ref = data.astronaut()
    claim = cv2.GaussianBlur(rng.integers(0, 255, ref.shape, dtype=np.uint8), (0, 0), 6)
    claim[100:400, 100:400] = ref[100:400, 100:400]
    c, r = prepare(claim), prepare(ref)
    m = match(c, r)
    if m is None:
        pytest.skip("no match between the two pictures on this OpenCV")
    warped, valid = warp(r.gray, m.homography, c.size)
    template, image, mask = c.gray.astype(np.float32), warped.astype(np.float32), valid.astype(np.uint8)
    given_up = ecc_warp(template, image, mask, c.size, give_up_px=1e-3)
    full = ecc_warp(template, image, mask, c.size, give_up_px=np.inf)
    if full is None or _moved(full, c.size) <= 1e-3:
        pytest.skip("ECC did not move on this input")
    assert given_up is None  # gave up at the first step that moved the frame by more than the bound


def test_working_copy_is_remade_bit_for_bit_from_uint8():
    levels = np.arange(256, dtype=np.uint8)
    as_float = levels.astype(np.float32) / 255.0
    assert np.array_equal(np.rint(as_float * 255.0).astype(np.uint8), levels)


def test_stored_reference_reads_back_bit_for_bit(tmp_path):
    p = prepare(data.coffee())
    p.features()
    p.features(mirrored=True)
    store = ReferenceStore(tmp_path)
    store.put("k", p)
    for source in (store, ReferenceStore(tmp_path)):  # from memory, and from the folder in a new process's store
        back = source.get("k")
        assert back is not None
        assert np.array_equal(back.rgb, p.rgb) and back.rgb.dtype == p.rgb.dtype
        assert np.array_equal(back.gray, p.gray)
        assert back.scale == p.scale and back.full_size == p.full_size
        for mirrored in (False, True):
            assert np.array_equal(back.features(mirrored).points, p.features(mirrored).points)
            assert np.array_equal(back.features(mirrored).descriptors, p.features(mirrored).descriptors)


def test_comparison_with_a_stored_reference_is_identical(tmp_path):
    ref = data.astronaut()
    claim = ref.copy()
    cv2.line(claim, (100, 300), (300, 320), (20, 20, 20), 3)
    fresh = compare(prepare(claim), prepare(ref))
    store = ReferenceStore(tmp_path)
    p = prepare(ref)
    p.features()
    store.put("k", p)
    stored = compare(prepare(claim), store.get("k"))
    assert fresh.p_same == stored.p_same and fresh.regions == stored.regions
    assert np.array_equal(fresh.homography, stored.homography) and np.array_equal(fresh.heat, stored.heat)


def test_unreadable_stored_file_is_prepared_again(tmp_path):
    store = ReferenceStore(tmp_path)
    (tmp_path / "bad.npz").write_bytes(b"not an npz file")
    assert store.get("bad") is None


def test_memory_store_is_bounded():
    store = ReferenceStore(None, entries=2)
    p = prepare(data.camera())
    for k in "abc":
        store.put(k, p)
    assert len(store) == 2 and store.get("a") is None and store.get("c") is not None


def _jpeg(pixels: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buf.tobytes()


def test_second_claim_reads_the_reference_from_the_store_and_decides_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "_STORE", ReferenceStore(tmp_path))
    ref_pixels = data.astronaut()
    claim_pixels = ref_pixels.copy()
    cv2.line(claim_pixels, (120, 300), (330, 330), (15, 15, 15), 4)
    ref, claim = load_image(_jpeg(ref_pixels)), load_image(_jpeg(claim_pixels))
    first = analyze([claim], [ref], only=["reference"])
    key = key_of(ref.sha256, ref.width, ref.height)
    assert (tmp_path / f"{key}.npz").exists()
    prepared = []
    monkeypatch.setattr("refundguard.checks._align.prepare.prepare",
                        lambda *a, **k: prepared.append(1) or prepare(*a, **k))
    second = analyze([claim], [ref], only=["reference"])
    assert [(f.code, f.score, f.regions, f.details) for f in first.findings] == \
        [(f.code, f.score, f.regions, f.details) for f in second.findings]
    assert first.findings and first.findings[0].code == "reference.derived_edit"
    assert prepared == [1]  # the claim photo only: the reference came from the store


def test_references_aligned_first_then_searched_compare_as_one_by_one(monkeypatch):
    from refundguard.checks import reference
    from refundguard.checks._align import compare as compare_mod
    from refundguard.checks._align.settings import ReferenceConfig

    ref = data.astronaut()
    claim = ref.copy()
    cv2.line(claim, (100, 300), (300, 320), (20, 20, 20), 3)
    other = np.ascontiguousarray(data.chelsea()[:, ::-1])  # a different picture: no derived copy
    cfg = ReferenceConfig()
    alone = [compare(prepare(claim), prepare(r), cfg) for r in (ref, other, ref)]
    order: list[str] = []
    real_align, real_detect = compare_mod.align, compare_mod.detect
    monkeypatch.setattr(compare_mod, "align", lambda *a: order.append("align") or real_align(*a))
    ctx = CheckContext(images=[], roles=[], claim=ClaimInfo(), settings=default_settings())
    held: list[bool] = []
    monkeypatch.setattr(compare_mod, "detect", lambda *a: order.append("detect") or held.append(
        ctx.heavy_lock.locked()) or real_detect(*a))
    prepared = prepare(claim)
    prepared.features()
    together = reference._compared(ctx, prepared, [prepare(r) for r in (ref, other, ref)], cfg)
    assert order[:3] == ["align"] * 3 and order.count("detect") == 2  # no change search beside an alignment
    assert held == [True, True] and not ctx.heavy_lock.locked()  # each change search is the heavy part
    for a, b in zip(alone, together, strict=True):
        assert a.p_same == b.p_same and a.regions == b.regions and a.kinds == b.kinds
        assert (a.homography is None) == (b.homography is None)
        if a.homography is not None:
            assert np.array_equal(a.homography, b.homography)
        assert (a.heat is None and b.heat is None) or np.array_equal(a.heat, b.heat)
