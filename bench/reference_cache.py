"""Align once, iterate the change detector on the cache: a tuning harness for the ``reference`` check.

Aligning a pair (features, homography, ECC, capture test) is most of the check's time and does not change while
the change detector is worked on. :func:`stage` runs the real check on a set of cases once (``analyze`` with
only the reference check) and keeps, for every compared reference, what :func:`compare.align` returned (a
finished comparison, or the aligned pair of one capture) on disk; :func:`replay` runs :func:`compare.detect`
and the check's decision on those pairs again with any settings, and gives the rows :mod:`bench.reference`
scores. Only tuned sets are meant to be staged (bench/HELD_OUT.md): the held-out split is scored by
``bench.reference.held_out`` alone.

``python -m bench.reference_cache stage tuned|claimbench|honest FOLDER/NAME`` and
``python -m bench.reference_cache replay FOLDER/NAME ...`` (prints the summary of each set; the folder's name
says which set it holds). :func:`diagnose` tells why one staged case came out as it did, :func:`detectability`
whether the detector sees a missed damage at all (``python -m bench.reference_cache why FOLDER`` for every
missed damage of a tuned folder).
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench import reference as bench_reference
from bench.claimbench import small
from bench.claimbench.generate import Case, generate
from refundguard.checks._align import compare as compare_module
from refundguard.checks._align.compare import Aligned, Comparison, detect
from refundguard.checks._align.prepare import Prepared
from refundguard.checks._align.settings import ReferenceConfig

_LOCK = threading.Lock()


def _bare(p: Prepared) -> Prepared:
    return dataclasses.replace(p, pixels=None, _features={})


def _strip(a: Aligned) -> Aligned:
    whole = _bare(a.whole)
    claim = whole if a.claim is a.whole else _bare(a.claim)
    return dataclasses.replace(a, whole=whole, claim=claim, ref=_bare(a.ref),
                               match=dataclasses.replace(a.match))


def _sets(name: str, quick: bool = False) -> Iterable[Case]:
    if name == "tuned":
        return small.cases("tuned", quick=quick)
    if name == "claimbench":
        sizes = bench_reference.QUICK if quick else bench_reference.FULL
        return generate(sizes["forged"], sizes["genuine"])
    if name == "honest":
        return small.honest_pairs(quick=quick)
    raise ValueError(f"unknown set {name!r} (the held-out split is never staged)")


def stage(name: str | Iterable[Case], folder: Path, quick: bool = False,
          progress: Callable[[str], None] = print) -> int:
    """Run the reference check on set ``name`` (or on the given cases) once and keep every pair's alignment
    under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    recorded: list[Comparison | Aligned] = []
    real = compare_module.align

    # the check aligns every reference first and searches the pairs of one capture after (checks.reference.
    # _compared), both through this module's align, which is what is recorded
    def recording(claim: Prepared, ref: Prepared, cfg: ReferenceConfig) -> Comparison | Aligned:
        a = real(claim, ref, cfg)
        with _LOCK:
            recorded.append(a if isinstance(a, Comparison) else _strip(a))
        return a

    compare_module.align = recording
    n = 0
    try:
        for case in _sets(name, quick) if isinstance(name, str) else name:
            out = folder / f"{case.id}.pkl"
            if out.exists():
                n += 1
                continue
            recorded.clear()
            row = bench_reference._evaluate(case)
            with out.open("wb") as f:
                pickle.dump({"case": {k: getattr(case, k) for k in ("id", "kind", "expected", "source",
                                                                    "laundering", "steps", "notes")},
                             "mask": case.mask, "shape": case.claim.shape[:2], "pairs": list(recorded),
                             "row": row}, f, protocol=pickle.HIGHEST_PROTOCOL)
            n += 1
            progress(f"{case.id} {row['codes']} {row['score']:.3f}")
    finally:
        compare_module.align = real
    return n


def _decide(pairs: list[Comparison]) -> tuple[Comparison | None, list[str], float, float]:
    """The check's decision (:func:`checks.reference._decide`) over one claim's comparisons: the pair it
    reports on, its finding codes and the edit and overlay scores."""
    matched = [c for c in pairs if c.match is not None]
    if not matched:
        return None, [], 0.0, 0.0
    best = max(matched, key=lambda c: (c.p_same, c.match.inliers if c.match else 0))
    if best.p_same < 0.5:
        return best, [], 0.0, 0.0
    damage = [k for k in best.kinds if k.family == "damage"]
    overlays = [k for k in best.kinds if k.family == "overlay"]
    if damage and best.changes is not None:
        return best, ["reference.derived_edit"], best.p_same * best.p_edit, 0.0
    if overlays:
        return best, ["reference.derived_overlay"], 0.0, best.p_same * best.p_overlay
    return best, ["reference.derived_copy"], 0.0, 0.0


def replay_one(item: dict[str, Any], cfg: ReferenceConfig) -> dict[str, Any]:
    """One staged case judged again with ``cfg``: a row like :func:`bench.reference._evaluate`'s."""
    pairs = [p if isinstance(p, Comparison) else detect(p, cfg) for p in item["pairs"]]
    best, codes, score, overlay_score = _decide(pairs)
    case = item["case"]
    row: dict[str, Any] = {"id": case["id"], "kind": case["kind"], "expected": case["expected"],
                           "source": case["source"], "laundering": case["laundering"], "steps": case["steps"],
                           "codes": codes, "score": score, "overlay_score": overlay_score, **case["notes"]}
    mask = item["mask"]
    if mask is not None:
        heat = best.heat if best is not None and codes and codes[0] != "reference.derived_copy" else None
        pred = np.zeros(mask.shape, bool) if heat is None else cv2.resize(
            heat, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_LINEAR) >= 0.5
        inter, union = float((pred & mask).sum()), float((pred | mask).sum())
        row["iou"] = inter / union if union else 0.0
        row["f1"] = 2 * inter / float(pred.sum() + mask.sum()) if pred.sum() + mask.sum() else 0.0
        row["mask_share"] = float(mask.mean())
        on = []
        if heat is not None:
            on = [k for (x, y, w, h), k in zip(best.regions, best.kinds, strict=True) if mask[y:y + h, x:x + w].any()]
        row["kinds_on_mask"] = sorted({f"{k.family}:{k.kind}" for k in on})
        row["hit"] = bool(on)
    return row


def load(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob("*.pkl")):
        with path.open("rb") as f:
            yield pickle.load(f)


def replay(folder: Path, cfg: ReferenceConfig | None = None) -> list[dict[str, Any]]:
    """Every staged case of ``folder`` judged again with ``cfg`` (default settings when None)."""
    cfg = cfg or ReferenceConfig()
    return [replay_one(item, cfg) for item in load(folder)]


def summary(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What :mod:`bench.reference` reports for a set, at any ``derived_edit`` (threshold 0)."""
    if name == "tuned":
        return bench_reference._small_summary(rows, 0.0)
    forged = [r for r in rows if r["kind"] == "forged"]
    genuine = [r for r in rows if r["kind"] == "genuine"]
    return {"forged": len(forged), "detected": sum(r["score"] > 0 for r in forged),
            "missed": [r["id"] for r in forged if r["score"] <= 0],
            "genuine": len(genuine), "genuine_errors": [r["id"] for r in genuine if not bench_reference._correct(r)],
            "called_derived": [r["id"] for r in genuine if r["expected"] == "none"
                               and any(c.startswith("reference.derived") for c in r["codes"])]}


#: the quantile of the photo's own significance (off the mask) a damage must rise above to stand out of laundering
NOISE_QUANTILE = 0.999


def detectability(item: dict[str, Any], cfg: ReferenceConfig | None = None) -> dict[str, Any] | None:
    """How far a staged damage stands out for the structure detector, before any rule judges it: on its mask
    (in the compared frame, grown by 1 px) the highest significance ``z_on_mask`` and the visibility there and
    at most, beside the photo's own significance off the mask at :data:`NOISE_QUANTILE` (``z_photo``: what the
    laundering left in this photo). A damage whose ``z_on_mask`` does not clear ``z_photo`` (or whose mask is
    empty once laundered) cannot be found by a threshold on significance: the detector's model must change.
    None for a case without a mask or without an aligned pair."""
    cfg = cfg or ReferenceConfig()
    aligned = [p for p in item["pairs"] if isinstance(p, Aligned)]
    if item["mask"] is None or not aligned:
        return None
    found: list[Any] = []
    real = compare_module.find_changes

    def keeping(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        found.append(out)
        return out

    compare_module.find_changes = keeping
    try:
        detect(aligned[0], cfg)
    finally:
        compare_module.find_changes = real
    changes, frame = found[-1], aligned[0].claim
    mask = cv2.warpPerspective(item["mask"].astype(np.uint8), frame.from_full(), frame.size,
                               flags=cv2.INTER_LINEAR) > 0
    near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    off = (changes.z > 0) & ~cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    z, vis = changes.z[near], changes.visibility[near]
    peak = int(np.argmax(z)) if z.size else -1
    return {"id": item["case"]["id"], "mask_px_work": int(mask.sum()),
            "z_on_mask": round(float(z[peak]), 2) if z.size else 0.0,
            "visibility_at_peak": round(float(vis[peak]), 2) if z.size else 0.0,
            "visibility_max": round(float(vis.max()), 2) if vis.size else 0.0,
            "z_photo": round(float(np.quantile(changes.z[off], NOISE_QUANTILE)), 2) if off.any() else 0.0}


def main(argv: list[str]) -> None:
    if argv[0] == "stage":
        stage(argv[1], Path(argv[2]), quick="--quick" in argv)
        return
    if argv[0] == "replay":
        import json

        for folder in argv[1:]:
            rows = replay(Path(folder))
            print(folder, json.dumps(summary(Path(folder).name, rows), indent=1)[:6000])
        return
    if argv[0] == "why":  # the missed damages of a tuned folder, how far each stands out (detectability)
        import json

        for item in load(Path(argv[1])):
            row = replay_one(item, ReferenceConfig())
            if row.get("family") == "damage" and not (row["score"] > 0 and row.get("hit")):
                print(json.dumps({**(detectability(item) or {"id": row["id"]}), "recipe": row.get("recipe"),
                                  "strength": row.get("strength"), "laundering": row["laundering"]}))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])


def diagnose(item: dict[str, Any], cfg: ReferenceConfig | None = None) -> dict[str, Any]:
    """Why a staged case came out as it did: the structure detector's candidates on (or near) the case's mask,
    each with its measures and the rule that dropped it, and the reported changes on it (tuned cases only)."""
    cfg = cfg or ReferenceConfig()
    traces: list[list[dict[str, Any]]] = []
    found: list[Any] = []
    real = compare_module.find_changes

    def tracing(*args: Any, **kwargs: Any) -> Any:
        t: list[dict[str, Any]] = []
        out = real(*args, **kwargs, trace=t)
        traces.append(t)
        found.append(out)
        return out

    compare_module.find_changes = tracing
    try:
        pairs = [p if isinstance(p, Comparison) else detect(p, cfg) for p in item["pairs"]]
    finally:
        compare_module.find_changes = real
    best, codes, score, _ = _decide(pairs)
    out: dict[str, Any] = {"id": item["case"]["id"], "codes": codes, "score": round(score, 3),
                           **item["case"]["notes"], "laundering": item["case"]["laundering"]}
    aligned = [p for p in item["pairs"] if isinstance(p, Aligned)]
    if best is None or best.changes is None or not aligned or item["mask"] is None:
        out["p_same"] = round(best.p_same, 3) if best is not None else None
        return out
    k = next(i for i, p in enumerate(pairs) if p is best)
    a = item["pairs"][k]
    t = traces[[i for i, p in enumerate(item["pairs"]) if isinstance(p, Aligned)].index(k)]
    frame = a.claim
    m = cv2.warpPerspective(item["mask"].astype(np.uint8), frame.from_full(), frame.size,
                            flags=cv2.INTER_LINEAR) > 0
    near = cv2.dilate(m.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    cands = []
    for c in t:
        x, y, w, h = c["box"]
        if near[y:y + h, x:x + w].any():
            cands.append({k2: (round(v, 2) if isinstance(v, float) else v) for k2, v in c.items()})
    out["mask_px_work"] = int(m.sum())
    out["candidates_on_mask"] = cands
    out["reported"] = [{"box": c.box, "family": c.family, "kind": c.kind, "detector": c.detector,
                        "conf": round(c.confidence, 3), "on_mask": bool(near[c.box[1]:c.box[1] + c.box[3],
                                                                            c.box[0]:c.box[0] + c.box[2]].any())}
                       for c in best.changes.changes]
    return out

