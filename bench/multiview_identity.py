"""Does a speed change of the multiview check leave its work bit for bit the same? And what does a pair cost?

``python -m bench.multiview_identity record NAME`` runs the check's pipeline on a fixed list of cases drawn
from the tuned, untouched and AI sets of :mod:`bench.multiview_cache` (never a held-out set) and writes, for
every case, a digest of each stage's output -- the features, the match (points, homography, fundamental
matrix), both dense correspondences (map, trusted pixels, scales, filled pixels), the measured evidence of
every candidate (the epipolar search done for all of them, as ``multiview_cache`` stages them) and the
check's own pair result (:func:`refundguard.checks._views.pair.examine`: differences, regions) -- with the
CPU seconds of each stage, to ``$MULTIVIEW_CACHE/identity/NAME.json``. ``compare A B`` lists the cases whose
digests differ between two records, stage by stage, and the CPU seconds per pair of both.

When every digest is equal, every decision :mod:`bench.multiview_cache` replays is equal too (the decisions
are functions of those outputs), without staging the whole sets again: what a code change that only makes
the same values faster needs. A change that moves any value shows up here and then needs the full staging.

The list (``--every``: every n-th job of each set) is the same on every run; the cases are built by the
bench's own generators (painting, laundering) in the worker processes, and only the check's stages are
timed (``time.process_time`` of the worker: CPU seconds, comparable on a shared machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(os.environ.get("MULTIVIEW_CACHE", "/tmp/multiview_cache"))
#: the sets a case may come from (the held-out sets are never drawn here)
SETS = ("tuned", "untouched", "ai")


def _digest(*values: Any) -> str:
    h = hashlib.sha256()
    for v in values:
        if isinstance(v, np.ndarray):
            h.update(str((v.dtype, v.shape)).encode())
            h.update(np.ascontiguousarray(v).tobytes())
        elif v is None or isinstance(v, (bool, int, float, str, tuple, list, dict)):
            h.update(repr(v).encode())
        else:
            h.update(pickle.dumps(v, protocol=4))
    return h.hexdigest()[:16]


def _corr_digest(c: Any) -> str:
    return _digest(c.map, c.valid, c.scale, c.resolution, c.filled, c.agreement, c.flow_used, c.planar)


def examine_case(view_a: bytes, view_b: bytes) -> dict[str, Any]:
    """The digests and CPU seconds of each stage of one pair (see the module docstring)."""
    from refundguard.checks._views.config import MultiviewConfig
    from refundguard.checks._views.dense import correspond
    from refundguard.checks._views.evidence import measure
    from refundguard.checks._views.match import features, match_views, work_image
    from refundguard.checks._views.pair import _mapped_box, examine
    from refundguard.checks._views.parallax import epipolar_agreement, parallax_bound
    from refundguard.checks._views.structure import Planes, align, candidates
    from refundguard.media.load import load_image

    cfg = MultiviewConfig()
    pa, pb = (load_image(v, name=n).pixels for v, n in ((view_a, "a.jpg"), (view_b, "b.jpg")))
    cpu: dict[str, float] = {}
    out: dict[str, Any] = {}

    def timed(stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        value = fn(*args, **kwargs)
        cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - started
        return value

    wa, wb = timed("features", work_image, pa, cfg.match.work_side), timed("features", work_image, pb,
                                                                            cfg.match.work_side)
    fa, fb = timed("features", features, wa, cfg.match.features), timed("features", features, wb,
                                                                       cfg.match.features)
    out["features"] = _digest(wa.gray, wb.gray, fa.keypoints, fa.descriptors, fb.keypoints, fb.descriptors)
    vm = timed("match", match_views, wa, fa, wb, fb, cfg.match)
    out["matched"] = vm is not None
    if vm is None:
        return {"digests": out, "cpu_s": cpu}
    out["match"] = _digest(vm.homography, vm.fundamental, vm.pts_a, vm.pts_b, vm.plane, vm.candidates)
    planes = (Planes(wa.gray, wa.rgb), Planes(wb.gray, wb.rgb))
    corr_ab, corr_ba = timed("dense", correspond, wa.gray, wb.gray, vm, cfg.align,
                             flow_images=(planes[0].plane("flow"), planes[1].plane("flow")))
    out["dense"] = [_corr_digest(corr_ab), _corr_digest(corr_ba)]
    evidence = []
    for wx, wy, corr, fund, x_is_a, px in ((wa, wb, corr_ab, vm.fundamental, True, planes),
                                           (wb, wa, corr_ba, vm.fundamental.T, False, planes[::-1])):
        al = timed("align", align, wx.gray, wx.rgb, wy.gray, wy.rgb, corr, cfg.compare, planes=px)
        shift = parallax_bound(vm, x_is_a, max(wx.shape), cfg.compare.max_parallax)
        for mask in timed("candidates", lambda al=al: list(candidates(al, cfg.compare))):
            ev = timed("measure", measure, al, mask, cfg.compare)
            if ev is None:
                continue
            ev = replace(ev, parallax_ncc=timed("parallax", epipolar_agreement, al, corr, fund, mask, shift))
            evidence.append((ev, _mapped_box(corr, mask)))
    out["evidence"] = _digest(repr(evidence))
    out["candidates"] = len(evidence)
    result = timed("examine", examine, 0, 1, wa, wb, vm, cfg)
    out["pair"] = _digest(repr(result))
    out["differences"] = len(result.differences)
    out["resolved"] = len(result.resolved)
    return {"digests": out, "cpu_s": {k: round(v, 4) for k, v in cpu.items()}}


def _case(args: tuple[str, Any]) -> tuple[str, dict[str, Any]]:
    """Build one case with the bench's generator (as multiview_cache stages it) and examine it."""
    which, job = args
    if which == "tuned":
        from bench import realviews as rv

        index, pair, _ = job
        cases = list(rv.painted_pairs([pair], rv.TUNING_RECIPES, 14, offset=index * len(rv.TUNING_RECIPES)))
        case = cases[index % len(cases)] if cases else None  # the recipes in turn
        if case is None:
            return f"tuned {index}", {"digests": {"painted": False}, "cpu_s": {}}
        return f"tuned {case.pair.name} {case.laundering} {case.recipe}", examine_case(case.view_a, case.view_b)
    if which == "untouched":
        from bench.realviews import laundered

        index, pair, how, _ = job
        va, vb, _ = laundered(pair, how)
        return f"untouched {pair.name} {how}", examine_case(va, vb)
    from bench.claimbench.sources import read
    from bench.multiview import ai_view_pair

    index, source, original, edited, seed, kind, _ = job
    first, second = {"edited_vs_original": ("edited", "original"), "original_vs_original": ("original", "original"),
                     "edited_vs_edited": ("edited", "edited")}[kind]
    a, b, _, _ = ai_view_pair(read(original), read(edited), seed, first, second)
    return f"ai {source} {Path(original).stem} {kind}", examine_case(a, b)


def cases(every: int) -> list[tuple[str, Any]]:
    from bench.multiview_cache import _jobs

    out = []
    for which in SETS:
        _, args = _jobs(which, CACHE / "identity-unused")
        step = every if which == "untouched" else max(1, every // 2)  # fewer tuned and AI jobs: as many cases
        out += [(which, a) for a in args[::step]]
    return out


def record(name: str, every: int, workers: int) -> Path:
    todo = cases(every)
    started = time.time()
    results: dict[str, Any] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for k, (case, res) in enumerate(pool.map(_case, todo, chunksize=1)):
            results[case] = res
            print(f"[{k + 1}/{len(todo)} {time.time() - started:.0f}s] {case} "
                  f"{sum(res['cpu_s'].values()):.2f} CPU-s", flush=True)
    path = CACHE / "identity" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"every": every, "load_avg": os.getloadavg(), "cases": results}, indent=1))
    return path


def _pair_cpu(res: dict[str, Any]) -> float:
    """CPU seconds of the check's own work on a compared pair: features, match, dense, the pair's examination."""
    c = res["cpu_s"]
    return sum(c.get(k, 0.0) for k in ("features", "match", "examine"))


def compare(a: str, b: str) -> dict[str, Any]:
    ra = json.loads((CACHE / "identity" / f"{a}.json").read_text())["cases"]
    rb = json.loads((CACHE / "identity" / f"{b}.json").read_text())["cases"]
    differ: dict[str, list[str]] = {}
    for case in sorted(set(ra) | set(rb)):
        da, db = ra.get(case, {}).get("digests"), rb.get(case, {}).get("digests")
        if da != db:
            differ[case] = sorted(k for k in set(da or {}) | set(db or {}) if (da or {}).get(k) != (db or {}).get(k))
    both = [c for c in ra if c in rb and ra[c]["digests"].get("matched")]
    stages = sorted({k for c in both for k in ra[c]["cpu_s"]} | {k for c in both for k in rb[c]["cpu_s"]})
    per_stage = {s: [round(float(np.median([ra[c]["cpu_s"].get(s, 0.0) for c in both])), 4),
                     round(float(np.median([rb[c]["cpu_s"].get(s, 0.0) for c in both])), 4)] for s in stages}
    return {"cases": len(set(ra) | set(rb)), "compared_pairs": len(both), "differ": differ,
            "pair_cpu_s_median": [round(float(np.median([_pair_cpu(ra[c]) for c in both])), 3),
                                  round(float(np.median([_pair_cpu(rb[c]) for c in both])), 3)] if both else None,
            "pair_cpu_s_total": [round(sum(_pair_cpu(ra[c]) for c in both), 2),
                                 round(sum(_pair_cpu(rb[c]) for c in both), 2)],
            "stage_cpu_s_median": per_stage}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.multiview_identity", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("name")
    rec.add_argument("--every", type=int, default=25, help="every n-th job of each set")
    rec.add_argument("--workers", type=int, default=2)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("a")
    cmp_.add_argument("b")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(record(args.name, args.every, args.workers))
    else:
        print(json.dumps(compare(args.a, args.b), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
