"""The verdict's calibration: the shipped fit matches the measured one, the prior correction, the MAP fit."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from bench import calibrate
from refundguard.config import load_settings
from refundguard.findings import CODES, FIXED_WEIGHT
from scripts.apply_calibration import RESULT, TARGET, render


def test_shipped_calibration_is_the_committed_benchmark_fit():
    result = json.loads(RESULT.read_text("utf-8"))
    assert TARGET.read_text("utf-8") == render(result), "run: python scripts/apply_calibration.py"
    shipped = tomllib.loads(TARGET.read_text("utf-8"))
    assert set(shipped["weights"]) <= set(CODES) - FIXED_WEIGHT
    settings = load_settings()
    for code, weight in result["fit"]["weights"].items():
        assert settings.weight(code) == weight


def test_every_code_has_a_weight_and_a_prior_for_the_next_fit():
    """Codes added since the last fit take their prior weight from defaults.toml until the next fit."""
    settings = load_settings()
    fitted = set(tomllib.loads(TARGET.read_text("utf-8"))["weights"])
    assert set(CODES) <= set(settings.weights)
    assert set(calibrate.PRIOR) == set(CODES) - FIXED_WEIGHT
    for code in set(CODES) - fitted - FIXED_WEIGHT:
        assert settings.weight(code) == calibrate.PRIOR[code].mean, code


def test_committed_benchmark_holds_the_false_positive_target_out_of_sample():
    result = json.loads(RESULT.read_text("utf-8"))
    assert not result["quick"], "the shipped fit must come from the full calibration run"
    for part in ("cross_validated", "shipped"):
        assert result[part]["fpr_review"] <= 0.01 and result[part]["fpr_high"] <= 0.01, part


def test_every_code_has_a_prior_for_the_fit():
    assert set(calibrate.PRIOR) == set(CODES) - FIXED_WEIGHT
    for code, prior in calibrate.PRIOR.items():
        lo, hi = prior.bounds
        assert lo <= prior.mean <= hi and prior.sd > 0, code


@pytest.mark.parametrize("base_rate", [0.01, 0.05, 0.2])
def test_prior_logit_moves_the_intercept_to_the_base_rate(base_rate):
    s = load_settings(base_rate=base_rate)
    logit = math.log(base_rate / (1 - base_rate))
    share = s.calibration.training_share
    assert s.prior_logit == pytest.approx(s.calibration.intercept + logit - math.log(share / (1 - share)))


def test_prior_correction_is_exact_for_a_logistic_population():
    # Features drawn per class, so the class-conditional densities do not depend on the share: a model fitted
    # at one share and moved by the prior correction matches the true posterior at another share.
    rng = np.random.default_rng(0)
    n, codes = 40000, ["tamper.local", "capture.screenshot"]
    y = (rng.random(n) < 0.4).astype(float)
    p_fire = np.where(y[:, None] == 1, [0.7, 0.3], [0.05, 0.1])
    x = (rng.random((n, 2)) < p_fire).astype(float)
    priors = {c: calibrate.Prior(0.0, 50.0, (0.0, 12.0)) for c in codes}
    model = calibrate.fit(codes, x, y, priors)
    # True posterior log-odds at share 0.05 for a photo where only the first code fires.
    true = math.log(0.05 / 0.95) + math.log(0.7 * 0.7 / (0.05 * 0.9))
    got = float(model.logits(np.array([[1.0, 0.0]]), 0.05)[0])
    assert got == pytest.approx(true, abs=0.15)


def test_rare_verified_code_keeps_its_prior_strength():
    # Four forged claims carry a GB 45438 label, none of the genuine ones: perfect separation on a tiny count
    # must not shrink the weight below its prior (a plain L2 fit pulled it to ~2.4).
    codes = ["provenance.aigc_label", "tamper.local"]
    rng = np.random.default_rng(1)
    x = np.zeros((300, 2))
    y = (rng.random(300) < 0.3).astype(float)
    x[np.flatnonzero(y)[:4], 0] = 1.0
    model = calibrate.fit(codes, x, y)
    assert model.weights[0] >= calibrate.PRIOR["provenance.aigc_label"].mean


def test_folds_are_stratified_by_source():
    sources = ["a"] * 23 + ["b"] * 7 + ["c"] * 2
    fold = calibrate.folds(sources)
    for s in ("a", "b"):
        counts = np.bincount(fold[np.array(sources) == s], minlength=calibrate.FOLDS)
        assert counts.max() - counts.min() <= 1


def test_class_weights_give_the_base_rate():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], float)
    w = calibrate.class_weights(y, 0.05)
    assert np.sum(w * y) / np.sum(w) == pytest.approx(0.05)


def test_reliability_of_a_perfectly_calibrated_score_is_near_zero():
    rng = np.random.default_rng(2)
    risk = rng.random(20000)
    y = (rng.random(20000) < risk).astype(float)
    assert calibrate.reliability(risk, y)["ece"] < 0.02
    assert calibrate.reliability(np.clip(risk + 0.3, 0, 1), y)["ece"] > 0.2


def test_apply_calibration_renders_every_code_with_its_origin():
    result = {"cases": 3, "forged": 1, "genuine": 2, "seed": 7, "date": "2026-01-01",
              "fit": {"intercept": -1.25, "training_share": 0.33,
                      "weights": {"tamper.local": 2.5, "capture.screenshot": 0.5},
                      "codes_with_data": ["tamper.local"]}}
    text = render(result)
    parsed = tomllib.loads(text)
    assert parsed["calibration"] == {"intercept": -1.25, "training_share": 0.33}
    assert parsed["weights"] == {"tamper.local": 2.5, "capture.screenshot": 0.5}
    line = {ln.split('"')[1]: ln for ln in text.splitlines() if ln.startswith('"')}
    assert line["tamper.local"].endswith("# fitted") and "prior: no labelled claim" in line["capture.screenshot"]
    assert Path(TARGET).name == "calibration.toml"
