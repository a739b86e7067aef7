"""Write the verdict fit from ``bench/results/calibrate.json`` into ``src/refundguard/data/calibration.toml``.

``python -m bench calibrate`` measures and fits; this script is the one step that changes what ships, so a
change of weights is always a reviewed diff of both files. A test checks that the two agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "bench" / "results" / "calibrate.json"
TARGET = ROOT / "src" / "refundguard" / "data" / "calibration.toml"


def render(result: dict[str, Any]) -> str:
    """The TOML text of ``calibration.toml`` for a calibrate benchmark result."""
    fit = result["fit"]
    with_data = set(fit["codes_with_data"])
    lines = [
        "# Verdict model fitted by `python -m bench calibrate` and written by scripts/apply_calibration.py.",
        f"# Data: {result['cases']} labelled claims ({result['forged']} forged, {result['genuine']} genuine), "
        f"seed {result['seed']}, {result['date']}.",
        "# Do not edit by hand: a test checks this file against bench/results/calibrate.json.",
        "# Override single weights in your own config file (see docs/configuration.md).",
        "",
        "[calibration]",
        f"intercept = {fit['intercept']}         # log-odds of forgery with no finding, at the training share",
        f"training_share = {fit['training_share']}   # share of forged claims in the calibration data",
        "",
        "# Log-odds weight of each finding code: a finding contributes weight × score (score in [0, 1]).",
        "[weights]",
    ]
    for code, weight in sorted(fit["weights"].items()):
        source = "fitted" if code in with_data else "prior: no labelled claim has this code"
        lines.append(f'"{code}" = {weight}'.ljust(48) + f"# {source}")
    return "\n".join(lines) + "\n"


def main() -> int:
    if not RESULT.exists():
        print(f"no {RESULT.relative_to(ROOT)}: run `python -m bench calibrate` first", file=sys.stderr)
        return 2
    TARGET.write_text(render(json.loads(RESULT.read_text("utf-8"))), "utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
