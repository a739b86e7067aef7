"""Scale-out path: a real redis-server on loopback, real Celery worker subprocesses running the same
analysis function, and a worker killed mid-analysis whose job is re-sent and finished by another worker."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.service.svc_helpers import REFUNDGUARD, Server, free_port, photo, wait_state


def _need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed (scripts/system-deps.sh installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — required in CI")
        pytest.skip(message)
    return path


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([_need("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _worker(server: Server, broker: str, *extra: str) -> subprocess.Popen:
    log = (server.data / "worker.log").open("ab")
    return subprocess.Popen([str(REFUNDGUARD), "worker", "--broker-url", broker, "--concurrency", "1", *extra],
                            env=server.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_celery_workers_analyse_and_a_killed_worker_loses_nothing(
        server_factory: Callable[..., Server], redis_url: str) -> None:
    server = server_factory(REFUNDGUARD_SERVICE_JOB_LEASE_S="8", REFUNDGUARD_SERVICE_RECOVER_INTERVAL_S="0.5")
    server.extra_args = ["--workers-backend", "celery", "--broker-url", redis_url]
    server.cli("db", "upgrade")
    key = server.cli("keys", "create", "--tenant", "acme", "--role", "platform").stdout.strip()
    server.start()
    headers = {"Authorization": f"Bearer {key}"}
    get = lambda p, headers: httpx.get(server.url + p, headers=headers)  # noqa: E731

    def create(seeds: range, size: tuple[int, int]) -> tuple[str, str]:
        files = [("photos", (f"p{s}.jpg", photo(s, *size), "image/jpeg")) for s in seeds]
        resp = httpx.post(server.url + "/v1/claims", headers=headers, files=files, timeout=60,
                          data={"merchant_id": "m1", "amount": "700"})
        assert resp.status_code == 201, resp.text
        return resp.json()["claim"]["id"], resp.json()["job_id"]

    def job_status(job_id: str) -> str:
        with sqlite3.connect(server.db_path) as conn:
            return conn.execute("SELECT status FROM analysis_jobs WHERE id = ?", (job_id,)).fetchone()[0]

    worker = _worker(server, redis_url)
    try:
        claim_id, _ = create(range(1, 3), (320, 240))
        assert wait_state(get, claim_id, headers, timeout=90)["state"] == "awaiting_merchant"
        # kill the worker while it analyses; a new worker finishes the job after the lease ends
        claim_id, job_id = create(range(40, 44), (800, 600))
        deadline = time.monotonic() + 60
        while job_status(job_id) != "running" and time.monotonic() < deadline:
            time.sleep(0.005)
        _kill(worker)
        assert job_status(job_id) == "running"
        worker = _worker(server, redis_url)
        claim = wait_state(get, claim_id, headers, timeout=90)
        assert claim["state"] == "awaiting_merchant" and job_status(job_id) == "done"
        actions = [e["action"] for e in get(f"/v1/claims/{claim_id}/audit", headers).json()["items"]]
        assert "job.requeued" in actions and actions.count("claim.analysed") == 1
    finally:
        _kill(worker)


def test_a_worker_started_with_config_analyses_with_that_config(
        server_factory: Callable[..., Server], redis_url: str) -> None:
    """The server runs on defaults; the worker's --config file moves the engine's levels and the service's merchant
    window: the claim's level and deadline can only come from the worker's file."""
    server = server_factory()
    server.extra_args = ["--workers-backend", "celery", "--broker-url", redis_url]
    server.cli("db", "upgrade")
    key = server.cli("keys", "create", "--tenant", "acme", "--role", "platform").stdout.strip()
    server.start()
    config = server.data / "worker.toml"
    config.write_text("[levels]\nreview = 0.0001\nhigh = 0.0002\n\n[service.policy]\nmerchant_window_hours = 1\n")
    worker = _worker(server, redis_url, "--config", str(config))
    try:
        headers = {"Authorization": f"Bearer {key}"}
        resp = httpx.post(server.url + "/v1/claims", headers=headers, timeout=60,
                          files=[("photos", ("p.jpg", photo(5), "image/jpeg"))], data={"merchant_id": "m1",
                                                                                      "amount": "10"})
        assert resp.status_code == 201, resp.text
        claim = wait_state(lambda p, headers: httpx.get(server.url + p, headers=headers), resp.json()["claim"]["id"],
                           headers, timeout=90)
        # on the defaults this photo is low risk (level low, a 48 h merchant window)
        assert claim["level"] == "high" and claim["state"] == "awaiting_merchant", claim
        deadline = datetime.fromisoformat(claim["deadline"])
        assert abs((deadline - (datetime.now(UTC) + timedelta(hours=1))).total_seconds()) < 120
    finally:
        _kill(worker)
