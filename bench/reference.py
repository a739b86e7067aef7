"""Benchmark of the ``reference`` check on claimbench.

Reports detection of ``reference.derived_edit`` at <= 1 % false positives on genuine claims (overall and
per laundering type), localisation IoU/F1 of the changed regions against the ground-truth masks, the
decision on genuine claims (different captures: no finding; re-sent references: derived_copy), and the
time of one analysis of a 12 MP claim against two references. ``python -m bench reference [--quick]``.
"""

from __future__ import annotations

import io
import statistics
import time
from collections import defaultdict
from typing import Any

import cv2
import numpy as np
from PIL import Image

from bench.claimbench.generate import LAUNDERING, Case, generate
from refundguard.engine import analyze
from refundguard.media.load import LoadedImage, load_image

FULL = {"forged": 192, "genuine": 96, "timing": 10}
QUICK = {"forged": 24, "genuine": 12, "timing": 2}
TARGETS = {"detection_overall": 0.97, "detection_per_type": 0.9, "mean_iou": 0.6, "p50_seconds": 1.5}


def _load(img: np.ndarray, fmt: str = "PNG") -> LoadedImage:
    buf = io.BytesIO()
    if fmt == "PNG":
        Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    else:
        Image.fromarray(img).save(buf, format="JPEG", quality=92)
    return load_image(buf.getvalue())


def _predicted_mask(heat: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Changed pixels claimed by the check: its heatmap (>= 0.5 marks the regions) scaled to the claim."""
    if heat is None:
        return np.zeros(shape, bool)
    return cv2.resize(heat, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR) >= 0.5


def _evaluate(case: Case) -> dict[str, Any]:
    claim = _load(case.claim)
    refs = [_load(r) for r in case.references]
    started = time.perf_counter()
    result = analyze([claim], refs, only=["reference"])
    seconds = time.perf_counter() - started
    status = result.checks["reference"]
    edit = next((f for f in result.findings if f.code == "reference.derived_edit"), None)
    codes = sorted({f.code for f in result.findings})
    row: dict[str, Any] = {"id": case.id, "kind": case.kind, "expected": case.expected, "source": case.source,
                           "laundering": case.laundering, "steps": case.steps, "codes": codes,
                           "status": status.status, "score": edit.score if edit else 0.0,
                           "seconds": round(seconds, 3)}
    if case.mask is not None:
        pred = _predicted_mask(edit.heatmap.values if edit and edit.heatmap else None, case.mask.shape)
        inter = float((pred & case.mask).sum())
        union = float((pred | case.mask).sum())
        denom = float(pred.sum() + case.mask.sum())
        row["iou"] = inter / union if union else 0.0
        row["f1"] = 2 * inter / denom if denom else 0.0
    return row


def _threshold_at_fpr(genuine_scores: list[float], fpr: float = 0.01) -> float:
    """Smallest score threshold whose false-positive rate on genuine claims is at most ``fpr``."""
    scores = sorted(genuine_scores, reverse=True)
    allowed = int(np.floor(fpr * len(scores)))
    above = scores[allowed] if allowed < len(scores) else 0.0
    return float(np.nextafter(above, 1.0))


def _timing(n: int) -> dict[str, Any]:
    """Analyse a 12 MP JPEG claim (a forged MagicInpainter photo upscaled) against two references."""
    case = next(c for c in generate(12, 0, seed=7) if c.source == "magicinpainter" or c.claim.shape[1] >= 1000)
    big = cv2.resize(case.claim, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    claim_bytes = io.BytesIO()
    Image.fromarray(big).save(claim_bytes, format="JPEG", quality=90)
    ref_bytes = []
    for r in case.references:
        b = io.BytesIO()
        Image.fromarray(r).save(b, format="JPEG", quality=92)
        ref_bytes.append(b.getvalue())
    total, check_only = [], []
    for _ in range(n):
        started = time.perf_counter()
        claim = load_image(claim_bytes.getvalue())
        refs = [load_image(b) for b in ref_bytes]
        result = analyze([claim], refs, only=["reference"])
        total.append(time.perf_counter() - started)
        check_only.append((result.checks["reference"].ms or 0.0) / 1000.0)
    return {"claim_px": "4000x3000", "references": [f"{r.shape[1]}x{r.shape[0]}" for r in case.references],
            "p50_seconds": round(statistics.median(total), 3), "p95_seconds": round(float(np.percentile(total, 95)), 3),
            "check_only_p50_seconds": round(statistics.median(check_only), 3),
            "includes": "JPEG decode of claim and references + reference check", "runs": n}


def run(quick: bool = False) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    rows = [_evaluate(c) for c in generate(sizes["forged"], sizes["genuine"])]
    forged = [r for r in rows if r["kind"] == "forged"]
    genuine = [r for r in rows if r["kind"] == "genuine"]
    threshold = _threshold_at_fpr([r["score"] for r in genuine])
    fp = [r["id"] for r in genuine if r["score"] >= threshold]
    per_type: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in forged:
        groups[r["laundering"]].append(r)
    for name in LAUNDERING:
        g = groups.get(name, [])
        if g:
            per_type[name] = {"n": len(g), "detection": round(float(np.mean([r["score"] >= threshold for r in g])), 3),
                              "mean_iou": round(float(np.mean([r["iou"] for r in g])), 3)}
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in forged:
        by_source[r["source"]].append(r)
    detected = [r for r in forged if r["score"] >= threshold]
    genuine_summary: dict[str, Any] = {}
    for source in sorted({r["source"] for r in genuine}):
        g = [r for r in genuine if r["source"] == source]
        genuine_summary[source] = {"n": len(g), "expected": g[0]["expected"],
                                   "correct": round(float(np.mean([_correct(r) for r in g])), 3)}
    timing = _timing(sizes["timing"])
    detection = float(np.mean([r["score"] >= threshold for r in forged]))
    mean_iou = float(np.mean([r["iou"] for r in detected])) if detected else 0.0
    return {
        "cases": {"forged": len(forged), "genuine": len(genuine)},
        "threshold_at_1pct_fpr": round(threshold, 4),
        "false_positives": fp,
        "detection_at_1pct_fpr": round(detection, 3),
        "detection_at_check_decision": round(float(np.mean(["reference.derived_edit" in r["codes"] for r in forged])),
                                             3),
        "per_laundering": per_type,
        "per_source": {k: {"n": len(v), "detection": round(float(np.mean([r["score"] >= threshold for r in v])), 3),
                           "mean_iou": round(float(np.mean([r["iou"] for r in v])), 3)}
                       for k, v in sorted(by_source.items())},
        "localisation": {"mean_iou_detected": round(mean_iou, 3),
                         "mean_f1_detected": round(float(np.mean([r["f1"] for r in detected])), 3) if detected else 0.0,
                         "mean_iou_all": round(float(np.mean([r["iou"] for r in forged])), 3)},
        "genuine": genuine_summary,
        "time_per_case_p50_seconds": round(statistics.median(r["seconds"] for r in rows), 3),
        "timing_12mp_two_references": timing,
        "targets": TARGETS,
        "missed": [{k: r[k] for k in ("id", "source", "laundering", "steps", "codes", "score")}
                   for r in forged if r["score"] < threshold],
        "genuine_errors": [{k: r[k] for k in ("id", "source", "laundering", "steps", "codes", "expected")}
                           for r in genuine if not _correct(r)],
    }


def _correct(row: dict[str, Any]) -> bool:
    if row["expected"] == "derived_copy":
        return row["codes"] == ["reference.derived_copy"]
    return not any(c in row["codes"] for c in ("reference.derived_edit", "reference.derived_copy"))
