"""Claim service throughput: claims created and analysed per second, and create latency (p50/p95).

Embedded setup: one ``refundguard serve`` process (SQLite file, one analysis worker process per core; set
``BENCH_SERVICE_POOL=threads`` to measure analyses as threads of the server instead) on this machine's cores;
the load comes from a second process over loopback HTTP. Bounded in count and time (at most ``max_s`` seconds
in all). Each claim carries three distinct 640x480 camera-like JPEGs, or three of ``photo_files`` (``bench
speed`` passes 12 MP photos).

Besides claims per second (wall time: only meaningful on a quiet machine), the CPU seconds of the server and
its workers while the load ran (``/proc``; counted from when the started server and its workers went idle)
divided by the claims analysed: the service's cost per claim, comparable on a shared machine;
``claims_per_s_at_cpu_cost`` is the throughput that cost allows on this machine's cores. ``server_cpu_s`` (the
HTTP API, uploads, database: the server process) and ``workers_cpu_s`` (the analyses) split it; the load
generator lists the claims every :data:`POLL_S` seconds while it waits (``status_polls``), and the server's
answers are part of the service's CPU.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

FINAL = {"auto_approved", "awaiting_merchant", "in_review"}
#: seconds between two listings of the claims while waiting for them to be routed. Each listing costs the server
#: ~8 ms of CPU (measured 2026-12-03 on the shared 2 cores: authentication, query, JSON); at the 0.1 s this was,
#: the server process spent 13.8 of the 77 CPU-s the service took for 4 claims of three 12 MP photos, most of it
#: answering the bench's ~2,800 listings (turnarounds of minutes at load average 20), counted as the claims' cost.
POLL_S = 1.0


def _photo(seed: int) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(seed)
    h, w = 480, 640
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x * 255 / w, y * 255 / h, (x + y + seed * 37) % 256], -1)
    for _ in range(5):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(10, 120)
        base[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _load(url: str, key: str, count: int, concurrency: int, budget_s: float,
          photo_files: list[str] | None = None) -> dict:
    """The load generator (runs in its own process): create ``count`` claims, then poll them to routing."""
    import httpx

    if photo_files:
        blobs = [Path(p).read_bytes() for p in photo_files]
        photos = [blobs[i % len(blobs)] for i in range(count * 3)]
    else:
        photos = [_photo(s) for s in range(count * 3)]
    headers = {"Authorization": f"Bearer {key}"}
    stop_at = time.monotonic() + budget_s
    created: dict[str, float] = {}
    latencies: list[float] = []
    refused: dict[str, int] = {}  # status code and error code of each refused creation

    def create(i: int) -> None:
        if time.monotonic() > stop_at * 0.999:
            return
        files = [("photos", (f"{i}-{k}.jpg", photos[i * 3 + k], "image/jpeg")) for k in range(3)]
        started = time.perf_counter()
        resp = client.post(url + "/v1/claims", headers=headers | {"Idempotency-Key": f"bench-{i}"}, files=files,
                           data={"merchant_id": f"m{i % 7}", "amount": str(50 + i), "buyer_id": f"b{i}"})
        latencies.append(time.perf_counter() - started)
        if resp.status_code == 201:
            created[resp.json()["claim"]["id"]] = time.monotonic()
        else:
            try:
                code = str(resp.json().get("error", {}).get("code"))
            except ValueError:
                code = "not json"
            what = f"{resp.status_code} {code}"
            refused[what] = refused.get(what, 0) + 1

    started = time.monotonic()
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(create, range(count)))
        done: dict[str, float] = {}
        polls = 0
        while len(done) < len(created) and time.monotonic() < stop_at:
            page = client.get(url + "/v1/claims", headers=headers, params={"limit": 200}).json()["items"]
            polls += 1
            now = time.monotonic()
            for item in page:
                if item["state"] in FINAL and item["id"] in created and item["id"] not in done:
                    done[item["id"]] = now
            time.sleep(POLL_S)
    elapsed = (max(done.values()) if done else time.monotonic()) - started
    lat = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    turnaround = np.array([done[c] - created[c] for c in done]) if done else np.array([float("nan")])
    return {"claims_created": len(created), "claims_analysed": len(done), "create_errors": sum(refused.values()),
            "status_polls": polls, "poll_interval_s": POLL_S,
            "create_refusals": refused,
            "elapsed_s": round(elapsed, 2),
            "claims_per_s": round(len(done) / elapsed, 3) if done else 0.0,
            "create_latency_ms": {"p50": round(float(np.percentile(lat, 50)), 1),
                                  "p95": round(float(np.percentile(lat, 95)), 1),
                                  "max": round(float(lat.max()), 1)},
            "turnaround_s": {"p50": round(float(np.percentile(turnaround, 50)), 2),
                             "p95": round(float(np.percentile(turnaround, 95)), 2)}}


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of process ``root`` and every live process below it (Linux ``/proc``): the
    server and its analysis workers together."""
    return sum(tree_cpu_by_process(root).values())


def tree_cpu_by_process(root: int) -> dict[int, float]:
    """:func:`tree_cpu_s` per process: CPU seconds of ``root`` and of each live process below it, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) "
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return {pid: times.get(pid, 0.0) for pid in tree}


def _settled_cpu_s(root: int, timeout_s: float = 60.0) -> float:
    """:func:`tree_cpu_s` once the tree has stopped working (under 0.05 CPU-s in half a second): start-up done."""
    deadline = time.monotonic() + timeout_s
    last = tree_cpu_s(root)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tree_cpu_s(root)
        if now - last < 0.05:
            return now
        last = now
    return last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: seconds for the database set-up, the key and the server to answer: ~18 s at load average 9 on the shared 2 cores
#: (30 s was exceeded at load 10-14), ~3 s idle
START_LIMIT_S = 120.0


ROOT = Path(__file__).resolve().parents[1]


def run(quick: bool = False, max_s: float = 60.0, photo_files: list[str] | None = None, count: int | None = None,
        concurrency: int | None = None, src: Path | None = None) -> dict:
    """The bench; ``src``: the source tree the server and its workers import (default: this checkout's ``src``,
    not whichever ``refundguard`` the interpreter has installed -- a worktree measures its own code)."""
    count = count or (6 if quick else 16)
    concurrency = concurrency or (2 if quick else 4)
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    exe = Path(sys.executable).with_name("refundguard")
    pool_kind = os.environ.get("BENCH_SERVICE_POOL", "processes")  # the service's default; "threads" to compare
    tmp = Path(tempfile.mkdtemp(prefix="rg-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDGUARD_")}
    paths = (str(src or ROOT / "src"), str(ROOT), env.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env |= {"REFUNDGUARD_DATABASE_URL": f"sqlite:///{tmp / 'rg.db'}", "REFUNDGUARD_DATA_DIR": str(tmp / "files"),
            "REFUNDGUARD_SERVICE_LOCAL_WORKERS": str(workers), "REFUNDGUARD_SERVICE_LOCAL_POOL": pool_kind}
    began = time.monotonic()
    proc = None
    try:
        subprocess.run([str(exe), "db", "upgrade"], env=env, capture_output=True, check=True, timeout=60)
        key = subprocess.run([str(exe), "keys", "create", "--tenant", "bench", "--role", "platform"], env=env,
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        port = _free_port()
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        import httpx

        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            if time.monotonic() - began > START_LIMIT_S or proc.poll() is not None:
                raise RuntimeError("the server did not start")
        budget = max(5.0, max_s - (time.monotonic() - began) - 2)
        idle_cpu = _settled_cpu_s(proc.pid)  # the server's analysis workers have started and imported the engine
        idle_server = tree_cpu_by_process(proc.pid).get(proc.pid, 0.0)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            result = pool.submit(_load, url, key, count, concurrency, budget, photo_files).result(timeout=budget + 60)
        by_process = tree_cpu_by_process(proc.pid)
        served_cpu = sum(by_process.values()) - idle_cpu
        server_cpu = by_process.get(proc.pid, 0.0) - idle_server
        result["service_cpu_s"] = round(served_cpu, 2)
        # the HTTP API, the uploads and the database (the server process) against the analyses (its workers)
        result["server_cpu_s"] = round(server_cpu, 2)
        result["workers_cpu_s"] = round(served_cpu - server_cpu, 2)
        result["cpu_s_per_claim"] = (round(served_cpu / result["claims_analysed"], 2) if result["claims_analysed"]
                                     else None)
        cpus = workers
        result["claims_per_s_at_cpu_cost"] = (round(cpus / (served_cpu / result["claims_analysed"]), 3)
                                              if result["claims_analysed"] and served_cpu > 0 else None)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"setup": {"database": "sqlite", "jobs": f"local worker {pool_kind}", "analysis_workers": workers,
                      "client_concurrency": concurrency, "photos_per_claim": 3,
                      "photo_size": "files given by the caller" if photo_files else "640x480 JPEG",
                      "claims_requested": count, "time_budget_s": max_s},
            **result}
