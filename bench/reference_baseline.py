"""The reference benchmark's sets scored with an earlier reference detector, for a before/after table.

Issue #16 replaced the reference check's change detector; its new sets (small damages tuned and held
out, honest re-captures) did not exist before. This benchmark runs :func:`bench.reference.score_sets`
(the same cases, seeds, thresholds rule and scoring) with ``checks/reference.py`` and ``checks/_align/``
taken from :data:`BASELINE` (main just before the new detector was merged), everything else — engine,
loader, benchmark code — from the working tree. The old detector has no region kinds: its regions count
as kind ``unknown`` and ``damage_regions_called_damage`` is not reported. It never emits
``reference.derived_overlay``, so every overlay it reports is a ``derived_edit``.

Needs the git history (``git show``); ``python -m bench reference_baseline [--quick]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: main at c120ffe (2026-12-01): the detector of docs/reference_check.md before issue 16
BASELINE = "c120ffe"
SWAPPED = ("src/refundguard/checks/reference.py", "src/refundguard/checks/_align")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True).stdout


def _scratch_tree(into: Path) -> Path:
    """A copy of the working tree's ``src`` with the reference check and ``_align`` of :data:`BASELINE`."""
    src = into / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(src / "refundguard" / "checks" / "_align")
    for path in _git("ls-tree", "-r", "--name-only", BASELINE, "--", *SWAPPED).decode().split():
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git("show", f"{BASELINE}:{path}"))
    return src


def run(quick: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rg-baseline-") as tmp:
        src = _scratch_tree(Path(tmp))
        out = Path(tmp) / "result.json"
        code = ("import json, sys; from bench import reference; "
                f"json.dump(reference.score_sets(quick={quick!r}), open({str(out)!r}, 'w'))")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
        result = json.loads(out.read_text("utf-8"))
    for split in ("small_tuned", "held_out"):
        result[split]["damage_regions_called_damage"] = None  # the old detector has no kinds
    return {"baseline_commit": _git("rev-parse", BASELINE).decode().strip(), "swapped": list(SWAPPED), **result}
