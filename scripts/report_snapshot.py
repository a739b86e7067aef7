"""Snapshot what the checks decide on a fixed set of claims, to prove a speed change left every decision alone.

``python scripts/report_snapshot.py write OUT.json [--sets ...] [--stride N] [--checks reference,...]``
analyses the claims of the chosen benchmark sets (every N-th case) and writes, per claim, each check's status,
its findings (code, score, variant, regions, details, heatmap digest), skips and verifications, exactly as
the engine returned them. ``python scripts/report_snapshot.py compare A.json B.json`` says which claims differ
and how; it exits 1 when any does. Run ``write`` on the code before the change and on the code after it (with
``PYTHONPATH`` pointing at each checkout) and compare the two files.

Sets: ``claimbench`` (bench/claimbench: forged and genuine claims with references), ``small_tuned`` and
``small_held_out`` (small damages and overlays under every laundering), ``honest`` (different views of one
object), ``speed`` (bench/speed.py's 12 MP genuine and forged claims with two 12 MP references). Needs
../shared/corpus.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SETS = ("claimbench", "small_tuned", "small_held_out", "honest", "speed")


def _plain(value: Any) -> Any:
    """JSON-able copy of a finding's details (arrays by digest, floats exactly as repr keeps them)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"array_sha256": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
                "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _finding(f: Any) -> dict[str, Any]:
    heat = getattr(f, "heatmap", None)
    return {"check": f.check, "code": f.code, "image": f.image, "score": repr(float(f.score)),
            "variant": getattr(f, "variant", None),
            "regions": [[r.x, r.y, r.w, r.h] for r in (f.regions or [])],
            "heatmap": _plain(heat.values) if heat is not None else None,
            "details": _plain(f.details)}


def _claims(name: str, stride: int, folder: Path) -> Iterator[tuple[str, list[Any], list[Any]]]:
    """(id, claim photos, references) of set ``name``: every ``stride``-th case."""
    from bench.reference import _load

    if name == "speed":
        from bench.speed import fixtures

        files = fixtures(folder)
        for case in ("genuine", "forged"):
            claim, refs = files[case]
            yield f"speed:{case}", [claim], list(refs)
        return
    if name == "claimbench":
        from bench.claimbench.generate import generate
        from bench.reference import FULL

        cases: Iterator[Any] = generate(FULL["forged"], FULL["genuine"])
    else:
        from bench.claimbench import small

        cases = (small.honest_pairs() if name == "honest" else
                 small.cases("tuned" if name == "small_tuned" else "held_out"))
    for i, case in enumerate(cases):
        if i % stride == 0:
            yield f"{name}:{case.id}", [_load(case.claim)], [_load(r) for r in case.references]


def write(out: Path, sets: list[str], stride: int, checks: list[str] | None) -> None:
    from refundguard.engine import analyze

    result: dict[str, Any] = {"sets": sets, "stride": stride, "checks": checks, "claims": {}}
    cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="rg-snapshot-") as tmp:
        for name in sets:
            for cid, claim, refs in _claims(name, stride, Path(tmp)):
                started = time.process_time()
                a = analyze(claim, refs, only=checks)
                cpu += time.process_time() - started
                result["claims"][cid] = {
                    "statuses": {n: {"status": s.status, "key": s.key, "error": s.error, "photos": _plain(s.photos)}
                                 for n, s in sorted(a.checks.items())},
                    "findings": [_finding(f) for f in a.findings],
                    "skips": [_plain(dataclasses.asdict(s)) for s in a.skips],
                    "verifications": [_plain(dataclasses.asdict(v)) for v in a.verifications],
                    "level": a.assessment.level}
                print(cid, sorted({f.code for f in a.findings}), flush=True)
    result["cpu_s"] = round(cpu, 2)
    out.write_text(json.dumps(result, indent=1, sort_keys=True))


def compare(a: Path, b: Path) -> int:
    left, right = json.loads(a.read_text())["claims"], json.loads(b.read_text())["claims"]
    differ = [cid for cid in left if cid in right and left[cid] != right[cid]]
    missing = sorted(set(left) ^ set(right))
    for cid in differ:
        for key in left[cid]:
            if left[cid][key] != right[cid].get(key):
                before, after = json.dumps(left[cid][key])[:600], json.dumps(right[cid].get(key))[:600]
                print(f"{cid}: {key} differs\n  {before}\n  {after}")
    print(f"{len(set(left) & set(right))} claims in both, {len(differ)} differ, {len(missing)} in one file only")
    return 1 if differ or missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    w.add_argument("--stride", type=int, default=1, help="every N-th case of each set")
    w.add_argument("--checks", default="", help="comma-separated check names (default: every check)")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare(args.a, args.b)
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        parser.error(f"unknown sets: {', '.join(unknown)}")
    write(args.out, sets, max(1, args.stride), [c for c in args.checks.split(",") if c] or None)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
