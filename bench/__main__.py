"""``python -m bench [NAME ...] [--quick]``: run benchmarks and write ``bench/results/<name>.json``.

Every module in this folder that defines ``run(quick: bool = False) -> dict`` is a benchmark.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def available() -> list[str]:
    names = []
    for info in pkgutil.iter_modules([str(HERE)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            names.append(info.name)
    return sorted(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller samples, for a smoke run")
    args = parser.parse_args(argv)
    names = args.names or available()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        result = module.run(quick=args.quick)
        result = {"benchmark": name, "quick": args.quick, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                  "machine": {"python": platform.python_version(), "cpus": _cpus()},
                  "seconds": round(time.perf_counter() - started, 1), **result}
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"{name}: wrote bench/results/{name}.json ({result['seconds']} s)")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
