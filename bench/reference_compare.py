"""Old vs new, set by set: ``bench/results/reference_baseline.json`` (main's earlier detector) beside
``bench/results/reference.json`` (this detector), on the same cases, seeds and scoring.

Reads the two result files (run ``python -m bench reference reference_baseline`` first) and writes one
row per set and measure: claimbench detection at <= 1 % FPR and localisation, the small-damage sets
tuned and held out (detection, visible strengths, thin scratch after 0.5x + q50, localisation, overlays
and copies called edits) and the honest re-captures. ``tuned`` marks the sets whose cases were looked at
while choosing thresholds (claimbench, small tuned, honest re-captures); ``held_out`` was only scored.
``python -m bench reference_compare``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _rows(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cb = d["claimbench"]
    out: dict[str, dict[str, Any]] = {
        "claimbench": {"tuned": True, "detection_at_1pct_fpr": cb["detection_at_1pct_fpr"],
                       "threshold": cb["threshold_at_1pct_fpr"],
                       "mean_iou_detected": cb["localisation"]["mean_iou_detected"],
                       "mean_f1_detected": cb["localisation"]["mean_f1_detected"],
                       "genuine_errors": len(cb["genuine_errors"]),
                       "missed": len(cb["missed"])},
    }
    for split in ("small_tuned", "held_out"):
        s = d[split]
        out[split] = {"tuned": split == "small_tuned",
                      "detection_at_1pct_fpr": s["detection_at_1pct_fpr"],
                      "detection_visible_strengths": s["detection_visible_strengths"],
                      "thin_scratch_half_q50": s["thin_scratch_half_q50"]["all"]["detection"],
                      "per_recipe": {k: v["detection"] for k, v in s["per_recipe"].items()},
                      "per_strength": {k: v["detection"] for k, v in s["per_strength"].items()},
                      "mean_iou_detected": s["localisation"]["mean_iou_detected"],
                      "small_edits_mean_iou": s["localisation"]["small_edits_mean_iou"],
                      "overlays_called_edit": f"{len(s['overlays']['called_derived_edit'])} of {s['overlays']['n']}",
                      "overlays_called_overlay": s["overlays"]["called_derived_overlay"],
                      "copies_called_edit": f"{len(s['copies']['called_derived_edit'])} of {s['copies']['n']}"}
    h = d["honest_recaptures"]
    out["honest_recaptures"] = {"tuned": True, "called_derived": f"{len(h['called_derived'])} of {h['n']}"}
    return out


def run(quick: bool = False) -> dict[str, Any]:
    new = json.loads((RESULTS / "reference.json").read_text("utf-8"))
    old = json.loads((RESULTS / "reference_baseline.json").read_text("utf-8"))
    if new.get("quick") != old.get("quick"):
        raise ValueError("reference.json and reference_baseline.json come from runs of different sizes")
    a, b = _rows(old), _rows(new)
    return {"baseline": {"commit": old["baseline_commit"], "date": old["date"]},
            "new": {"date": new["date"]},
            "sets": {name: {"old": a[name], "new": b[name]} for name in a}}
