"""Speed of one claim, of the command line and of the claim service, measured as whole processes.

``python -m bench speed [--quick]`` writes ``bench/results/speed.json``:

* **analyze**: ``refundguard analyze`` (all checks, JSON report) of a 12 MP claim photo with two 12 MP
  reference photos, as a whole process: wall seconds, CPU seconds (user + system of that child, from
  ``os.wait4``) and peak RSS, median of N runs; beside it, decoding the same three files with Pillow
  in this process (median of N), and the ratio analysis / decode. Two cases: a genuine claim (another
  camera photo of the same scene as the references) and a forged one (a reference with a painted crack);
  and the genuine claim again with its references read from the reference check's store (their working
  copies and features prepared by an earlier run, as a service worker has them for a merchant's listing
  photos: ``checks/_align/store.py``). Each case records ``report_digest`` (:func:`report_digest`): the same
  digest from two code versions means the same report, so a speed change is seen to keep every number.
* **cli**: ``refundguard --help`` and the start of an analysis (the whole ``analyze`` of a plain 64x64 JPEG,
  every check: interpreter start, imports, settings, check discovery, load, report; the photo has no
  text, so the OCR models are not loaded -- they load on the first photo that may carry text).
* **service**: claims per second and CPU seconds per claim through an embedded ``refundguard serve`` (SQLite,
  one analysis worker process per core) with three 12 MP photos a claim, and the same claims through the
  command line one after another.

Photos: the openMVG Sceaux Castle camera JPEGs (``../shared/corpus/multiview/sceaux_castle``, Kodak Z612,
2832x2128 = 6 MP) upscaled by 1.4125 with Lanczos to 4000x3006, the centre 4000x3000 kept, saved as JPEG
q92 4:2:0 with the camera's own EXIF: honest 12 MP camera-like files (real scene, real EXIF; upscaled, so
finer detail than the sensor had is absent). They are written to a temporary folder, never committed.

The machine this runs on may be shared: every run records the 1-minute load average before and after, and
CPU seconds are the number to compare between code versions; wall seconds need a quiet machine (the lead
reruns this bench there for the README).
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SCEAUX = CORPUS / "multiview" / "sceaux_castle"
SIZE = (4000, 3000)
#: claim and reference photos of the genuine case (other views of the same facade)
GENUINE = ("100_7104", ("100_7100", "100_7101"))


def _cli() -> list[str]:
    return [sys.executable, "-m", "refundguard.cli"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDGUARD_")}
    # a deployed install has its bytecode compiled (pip does it at install); a shell that forbids writing it
    # would make every measured process compile the package from source (about 0.2 CPU-s more a start)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def upscale_12mp(name: str) -> tuple[np.ndarray, bytes]:
    """A Sceaux Castle photo at 4000x3000 (Lanczos upscale, centre crop) and its EXIF block."""
    from PIL import Image

    with Image.open(SCEAUX / f"{name}.JPG") as im:
        exif = im.info.get("exif", b"")
        w, h = im.size
        scale = SIZE[0] / w
        big = im.convert("RGB").resize((SIZE[0], round(h * scale)), Image.Resampling.LANCZOS)
    top = (big.height - SIZE[1]) // 2
    return np.asarray(big.crop((0, top, SIZE[0], top + SIZE[1]))), exif


def save_jpeg(pixels: np.ndarray, path: Path, exif: bytes, quality: int = 92) -> Path:
    from PIL import Image

    Image.fromarray(pixels).save(path, "JPEG", quality=quality, subsampling="4:2:0", exif=exif)
    return path


def fixtures(folder: Path) -> dict[str, Any]:
    """The photos of both cases and a 64x64 JPEG, written into ``folder``."""
    from bench.claimbench.damage import add_crack

    claim, refs = GENUINE
    files: dict[str, Path] = {}
    pixels: dict[str, np.ndarray] = {}
    for name in (claim, *refs):
        pixels[name], exif = upscale_12mp(name)
        files[name] = save_jpeg(pixels[name], folder / f"{name}_12mp.jpg", exif)
    cracked, _ = add_crack(pixels[refs[0]], np.random.default_rng(20))
    with open(files[refs[0]], "rb") as fh:
        from PIL import Image

        exif = Image.open(fh).info.get("exif", b"")
    forged = save_jpeg(cracked, folder / f"{refs[0]}_12mp_cracked.jpg", exif, quality=90)
    tiny = folder / "tiny.jpg"  # a plain 64x64 photo (a smooth gradient): start-up cost, no OCR model load
    y, x = np.mgrid[0:64, 0:64]
    save_jpeg(np.stack([x * 3, y * 3, np.full_like(x, 128)], -1).astype(np.uint8), tiny, b"")
    return {"genuine": (files[claim], [files[r] for r in refs]),
            "forged": (forged, [files[r] for r in refs]), "tiny": tiny,
            "service_photos": [files[claim], *[files[r] for r in refs], forged]}


#: runs the command given on its argv and prints its rusage: a fresh, small parent, so that the peak RSS Linux
#: reports for the child is the child's own and not the (much larger) benchmark process it was forked from
_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=open(sys.argv[1], "wb"), stderr=subprocess.PIPE)
err = proc.stderr.read()
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - started
sys.stderr.write(err.decode(errors="replace")[-800:])
print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mib": usage.ru_maxrss / 1024}))
"""


def whole_process(cmd: list[str], *, out: Path | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``cmd`` to the end; wall seconds, CPU seconds (user + system) of that process and its peak RSS (MiB)."""
    import json

    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, str(out or os.devnull), *cmd], capture_output=True,
                          text=True, env=env or _env(), check=False)
    usage = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {"rc": done.returncode}
    if usage["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} exited {usage['rc']}: {done.stderr[-800:]}")
    return {"wall_s": usage["wall_s"], "cpu_s": usage["cpu_s"], "peak_rss_mib": usage["peak_rss_mib"],
            "load_before": load, "load_after": os.getloadavg()[0]}


def _summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 3)

    walls = [r["wall_s"] for r in runs]
    return {"runs": len(runs), "wall_p50_s": med("wall_s"), "wall_p95_s": round(float(np.percentile(walls, 95)), 3),
            "cpu_p50_s": med("cpu_s"), "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
            "load_avg_1min": [round(r["load_before"], 2) for r in runs]}


def decode(paths: list[Path], repeats: int) -> dict[str, Any]:
    """Pillow decode (open, load, RGB) of the files, in this process: median wall and CPU of all of them."""
    from PIL import Image

    walls, cpus = [], []
    data = [p.read_bytes() for p in paths]
    for _ in range(repeats + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        for blob in data:
            with Image.open(io.BytesIO(blob)) as im:
                np.asarray(im.convert("RGB"))
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    walls, cpus = walls[1:], cpus[1:]  # the first round warms the file cache and Pillow
    return {"files": len(paths), "wall_p50_s": round(statistics.median(walls), 3),
            "cpu_p50_s": round(statistics.median(cpus), 3)}


def _analyze_case(claim: Path, refs: list[Path], repeats: int, folder: Path, *,
                  stored_references: bool = False) -> dict[str, Any]:
    """``refundguard analyze`` of ``claim`` against ``refs``; with ``stored_references`` the references' prepared
    copies and features are read from a store folder (``REFUNDGUARD_REFERENCE_STORE``) filled by one run first,
    as a service worker reads a merchant's listing photos prepared for an earlier claim."""
    cmd = [*_cli(), "analyze", str(claim), *[a for r in refs for a in ("-r", str(r))], "--json", "--no-heatmaps",
           "--lang", "en"]
    report = folder / "report.json"
    env = _env()
    if stored_references:
        env["REFUNDGUARD_REFERENCE_STORE"] = str(folder / "reference-features")
        whole_process(cmd, out=report, env=env)  # fills the store
    runs = [whole_process(cmd, out=report, env=env) for _ in range(repeats)]
    import json

    data = json.loads(report.read_text())
    dec = decode([claim, *refs], repeats)
    out = _summary(runs)
    out.update({
        "decode_three_files": dec,
        "ratio_wall_to_decode": round(out["wall_p50_s"] / max(dec["wall_p50_s"], 1e-9), 1),
        "ratio_cpu_to_decode": round(out["cpu_p50_s"] / max(dec["cpu_p50_s"], 1e-9), 1),
        "level": data["level"], "findings": sorted(f["code"] for f in data["findings"]),
        "check_ms": {name: c.get("ms") for name, c in data["checks"].items()},
        "check_status": {name: c["status"] for name, c in data["checks"].items()},
        "report_digest": report_digest(data),
    })
    return out


def report_digest(report: dict[str, Any]) -> str:
    """SHA-256 of a JSON report without what differs between two runs of the same code on the same photos (each
    check's ``ms``, the photos' folder): two code versions whose digests agree made the same report, bit for bit
    in every number it gives (a speed change must keep it)."""
    import hashlib
    import json

    def kept(x: Any, key: str = "") -> Any:
        if isinstance(x, dict):
            return {k: kept(v, k) for k, v in x.items() if k != "ms"}
        if isinstance(x, list):
            return [kept(v, key) for v in x]
        return os.path.basename(x) if key == "path" and isinstance(x, str) else x

    canonical = json.dumps(kept(report), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cli_start(tiny: Path, repeats: int) -> dict[str, Any]:
    helps = [whole_process([*_cli(), "--help"]) for _ in range(repeats)]
    starts = [whole_process([*_cli(), "analyze", str(tiny), "--json"]) for _ in range(repeats)]
    return {"help": _summary(helps), "analyze_64px_all_checks": _summary(starts)}


def _service(photos: list[Path], quick: bool) -> dict[str, Any]:
    """Claims/s of the embedded service with three 12 MP photos a claim, and of the CLI on the same claims."""
    from bench import service

    count = 4 if quick else 10
    result = service.run(quick=quick, max_s=120.0 if quick else 240.0, photo_files=[str(p) for p in photos],
                         count=count, concurrency=2 if quick else 4)
    cli_claims = 2 if quick else 3
    runs = []
    for i in range(cli_claims):
        files = [photos[(i * 3 + k) % len(photos)] for k in range(3)]
        runs.append(whole_process([*_cli(), "analyze", *map(str, files), "--json", "--no-heatmaps"]))
    cli = _summary(runs)
    cli["claims_per_s"] = round(1.0 / cli["wall_p50_s"], 3)
    return {"service": result, "cli_same_claims": cli}


def run(quick: bool = False) -> dict[str, Any]:
    if not SCEAUX.exists():
        raise SystemExit(f"{SCEAUX} is missing: this benchmark reads ../shared/corpus")
    repeats = 3 if quick else 5
    folder = Path(tempfile.mkdtemp(prefix="rg-speed-"))
    try:
        files = fixtures(folder)
        claim, refs = files["genuine"]
        forged, _ = files["forged"]
        result: dict[str, Any] = {
            "photos": {"claim": claim.name, "references": [r.name for r in refs], "forged_claim": forged.name,
                       "size": f"{SIZE[0]}x{SIZE[1]}",
                       "how": "Sceaux Castle camera JPEGs (2832x2128) upscaled 1.4125x with Lanczos, centre "
                              "4000x3000, JPEG q92 4:2:0 with the camera EXIF; the forged claim is the first "
                              "reference with a painted crack (bench.claimbench.damage.add_crack), JPEG q90"},
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cli": _cli_start(files["tiny"], repeats),
            "analyze_12mp_two_references": _analyze_case(claim, refs, repeats, folder),
            "analyze_12mp_forged_two_references": _analyze_case(forged, refs, repeats, folder),
            "analyze_12mp_two_stored_references": _analyze_case(claim, refs, repeats, folder,
                                                                stored_references=True),
        }
        result.update(_service(files["service_photos"], quick))
        result["note"] = ("CPU seconds are per child process (os.wait4) and comparable on a busy machine; wall "
                          "seconds are only meaningful when load_avg_1min stays below the core count")
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
