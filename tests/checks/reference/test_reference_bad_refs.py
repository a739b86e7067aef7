"""Unusable references give a clear message and never a false "derived"."""

from __future__ import annotations

import cv2
import numpy as np

from bench.claimbench.damage import add_crack
from refundguard.engine import analyze
from refundguard.messages import both
from tests.checks.reference.conftest import codes, loaded, only_finding, run_reference


def test_tiny_reference_is_not_applicable_with_reason(coffee):
    result = run_reference(coffee, [coffee[:30, :30]])
    status = result.checks["reference"]
    assert status.status == "not_applicable" and status.key == "reference.na.none_usable"
    said = both(status.key, status.params, names=["claim.jpg", "listing.jpg"])
    assert "too small" in status.why and "listing.jpg: too small (30x30 px" in said["en"]
    assert "listing.jpg：图片太小" in said["zh"]
    assert result.findings == []


def test_blank_reference_is_not_applicable_with_reason(coffee):
    blank = np.full((400, 600, 3), 200, np.uint8)
    status = run_reference(coffee, [blank]).checks["reference"]
    assert status.status == "not_applicable"
    said = both(status.key, status.params)
    assert "blank" in status.why and "#2: blank" in said["en"] and "#2：空白" in said["zh"]  # photos numbered from 1


def test_unusable_reference_is_skipped_and_named_when_another_is_usable(coffee):
    damaged, _ = add_crack(coffee, np.random.default_rng(2))
    result = run_reference(damaged, [np.full((300, 300, 3), 7, np.uint8), coffee])
    f = only_finding(result, "reference.derived_edit")
    assert f.details["reference_image"] == 2
    skipped = f.details["references_skipped"]
    assert [s["image"] for s in skipped] == [1] and "blank" in skipped[0]["why"] and skipped[0]["part"] == "blank"
    assert "空白" in skipped[0]["why_zh"]


def test_unrelated_reference_is_never_derived(coffee):
    from skimage import data

    result = run_reference(coffee, [data.astronaut(), data.rocket()])
    assert result.checks["reference"].status == "ran"
    assert not any(c.startswith("reference.derived") for c in codes(result))


def test_huge_reference_within_limits_still_matches(coffee):
    huge = cv2.resize(coffee, (4800, 3200), interpolation=cv2.INTER_CUBIC)  # 15 MP
    damaged, _ = add_crack(coffee, np.random.default_rng(9))
    f = only_finding(run_reference(damaged, [huge]), "reference.derived_edit")
    t = np.array(f.details["transform"])
    assert abs(t[0, 0] - 0.125) < 0.01  # reference pixels map to claim pixels at 600 / 4800


def test_tiny_claim_is_not_applicable(coffee):
    result = analyze([loaded(coffee[:20, :20])], [loaded(coffee)], only=["reference"])
    assert result.checks["reference"].status == "not_applicable"
    assert result.checks["reference"].key == "reference.na.no_claim"
