"""The embedded service's worker processes: claims are analysed outside the server process, a dead worker's job
goes back to the queue and is analysed by the restarted pool, and a pool that cannot start is not restarted forever."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.claims.models import AnalysisJob, ClaimAnalysis
from refundguard.service.config import ServiceConfig
from refundguard.service.db import utcnow
from refundguard.service.jobs import LocalRunner, make_runner
from refundguard.service.worker_pool import MAX_RESTARTS, ProcessRunner, check_threads
from tests.service.svc_helpers import make_keys, photo, wait_state


def _app(tmp_path: Path, **config: object):  # type: ignore[no-untyped-def]
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    options = {"background": False, "local_workers": 1, "local_pool": "processes", **config}
    return create_app(settings, ServiceConfig(**options), include_web=False)


def _create(client: TestClient, keys, seed: int) -> str:  # type: ignore[no-untyped-def]
    resp = client.post("/v1/claims", headers=keys.h("platform") | {"Idempotency-Key": f"k{seed}"},
                       files=[("photos", ("p.jpg", photo(seed), "image/jpeg"))],
                       data={"merchant_id": "m1", "amount": "50", "buyer_id": f"b{seed}"})
    assert resp.status_code == 201, resp.text
    return resp.json()["claim"]["id"]


def test_claims_are_analysed_by_worker_processes_and_a_dead_workers_job_is_requeued(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app) as client:
        runner = app.state.runner
        assert isinstance(runner, ProcessRunner) and runner.workers == 1
        keys = make_keys(app.state.db.session)
        first = wait_state(client.get, _create(client, keys, 1), keys.h("platform"), timeout=180.0)
        assert first["state"] not in ("created", "analysing")
        with app.state.db.session() as session:
            assert session.scalars(select(ClaimAnalysis)).one().claim_id == first["id"]

        # a worker died while it held the next job: the row says running, leased far ahead, attempt 1
        runner.submit = lambda job_id: None  # type: ignore[method-assign]  # keep the job for the simulation
        second = _create(client, keys, 2)
        del runner.submit
        with app.state.db.session() as session:
            job = session.scalars(select(AnalysisJob).where(AnalysisJob.claim_id == second)).one()
            job.status, job.attempts, job.lease_until = "running", 1, utcnow() + timedelta(hours=1)
            job_id = job.id
        broken: Future[str] = Future()
        broken.set_exception(BrokenProcessPool("a worker was killed"))
        old_pool = runner._pool
        runner._done(job_id, old_pool, broken)
        assert runner._pool is not old_pool  # replaced
        done = wait_state(client.get, second, keys.h("platform"), timeout=180.0)
        assert done["state"] not in ("created", "analysing")
        with app.state.db.session() as session:
            job = session.get(AnalysisJob, job_id)
            assert job is not None and job.status == "done" and job.attempts == 2  # the dead worker's try counted


def test_a_pool_that_keeps_breaking_before_any_job_is_not_restarted(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app):
        runner = app.state.runner
        assert isinstance(runner, ProcessRunner)
        for _ in range(MAX_RESTARTS):
            broken: Future[str] = Future()
            broken.set_exception(BrokenProcessPool("the worker could not start"))
            runner._done("job-that-does-not-exist", runner._pool, broken)
        assert runner._stopped
        pool, waiting = runner._pool, len(runner._pool._pending_work_items)
        runner.submit("another")  # refused quietly: the job stays queued for the next start
        assert runner._pool is pool and len(pool._pending_work_items) == waiting


def test_threads_and_in_memory_databases_stay_in_process(tmp_path: Path) -> None:
    app = _app(tmp_path, local_pool="threads")
    assert isinstance(make_runner(app.state.jobs), LocalRunner)
    memory = create_app(load_settings(database_url="sqlite://", data_dir=tmp_path / "m"),
                        ServiceConfig(background=False, local_workers=1, local_pool="processes"), include_web=False)
    assert isinstance(make_runner(memory.state.jobs), LocalRunner)  # other processes cannot open it


def test_each_worker_gets_its_share_of_the_cores() -> None:
    cpus = len(os.sched_getaffinity(0))
    assert check_threads(1) == cpus
    assert check_threads(cpus) == 1
    assert check_threads(4 * cpus) == 1


def test_a_worker_killed_mid_analysis_has_its_claim_finished_by_the_restarted_pool(tmp_path: Path) -> None:
    import signal
    import time

    app = _app(tmp_path)
    with TestClient(app) as client:
        runner = app.state.runner
        keys = make_keys(app.state.db.session)
        old_pool = runner._pool
        resp = client.post("/v1/claims", headers=keys.h("platform") | {"Idempotency-Key": "big"},
                           files=[("photos", ("p.jpg", photo(7, 2400, 1800), "image/jpeg"))],
                           data={"merchant_id": "m1", "amount": "50", "buyer_id": "b7"})
        assert resp.status_code == 201, resp.text
        claim_id = resp.json()["claim"]["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the worker has leased the job: its analysis is under way
            with app.state.db.session() as session:
                if session.scalars(select(AnalysisJob).where(AnalysisJob.status == "running")).first():
                    break
            time.sleep(0.05)
        for process in list(old_pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        done = wait_state(client.get, claim_id, keys.h("platform"), timeout=240.0)
        assert done["state"] not in ("created", "analysing")
        assert runner._pool is not old_pool
        with app.state.db.session() as session:
            job = session.scalars(select(AnalysisJob).where(AnalysisJob.claim_id == claim_id)).one()
            assert job.status == "done" and job.attempts == 2, (job.status, job.attempts)


_ORPHAN_SCRIPT = """
import multiprocessing, sys, time
from refundguard.service.worker_pool import _exit_with_parent

def watch(server):
    _exit_with_parent(server, every_s=0.05)

if __name__ == "__main__":
    import os
    child = multiprocessing.get_context("spawn").Process(target=watch, args=(os.getpid(),))
    child.start()
    print(child.pid, flush=True)
    time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in state  # exited, not yet reaped by whoever adopted it


def test_a_worker_whose_server_was_killed_exits(tmp_path: Path) -> None:
    """A server killed with SIGKILL cannot shut its pool down; its workers must not wait for jobs forever."""
    script = tmp_path / "orphan.py"
    script.write_text(_ORPHAN_SCRIPT)
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(server.stdout.readline())  # type: ignore[union-attr]
        assert not _gone(worker)
    finally:
        server.kill()
        server.wait(10)
    deadline = time.monotonic() + 20
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(worker), f"worker {worker} outlived its killed server"


def test_capture_warm_ups_run_in_a_worker_and_one_killed_doing_it_is_replaced(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import signal

    from refundguard.capture import prefetch

    def in_the_server(*_: object) -> None:
        raise AssertionError("a warm-up ran in the server process")

    monkeypatch.setattr(prefetch, "warm", in_the_server)
    app = _app(tmp_path)
    with TestClient(app) as client:
        runner = app.state.runner
        assert prefetch.prefetcher(app).runner is runner
        assert runner.prefetch("no-such-request").result(timeout=180) is None  # warm() in a worker: nothing to do
        old_pool = runner._pool
        for process in list(old_pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while runner._pool is old_pool and time.monotonic() < deadline:
            with contextlib.suppress(BrokenProcessPool):
                runner.prefetch("no-such-request").result(timeout=60)
            time.sleep(0.05)
        assert runner._pool is not old_pool  # the broken pool was replaced by the warm-up that found it broken
        keys = make_keys(app.state.db.session)
        done = wait_state(client.get, _create(client, keys, 11), keys.h("platform"), timeout=240.0)
        assert done["state"] not in ("created", "analysing")


def test_the_prefetcher_hands_requests_to_the_runner_and_never_analyses_itself() -> None:
    import threading

    from refundguard.capture.prefetch import Prefetcher

    asked: list[str] = []
    done = threading.Event()

    class Runner:
        def prefetch(self, request_id: str) -> Future[None]:
            asked.append(request_id)
            future: Future[None] = Future()
            future.set_result(None)
            done.set()
            return future

    Prefetcher(jobs=None, runner=Runner()).submit("r1")  # jobs=None: an in-process warm() would fail on it
    assert done.wait(10) and asked == ["r1"]
    assert Prefetcher(jobs=None, runner=object()).runner is None  # no worker processes: the thread analyses


def test_a_warm_up_never_queues_ahead_of_a_claim(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app):
        runner = app.state.runner
        runner._busy = runner.workers  # every worker has a job
        waiting = len(runner._pool._pending_work_items)  # the workers' start-up calls, if not answered yet
        assert runner.prefetch("no-such-request").result(timeout=5) is None  # skipped at once, nothing queued
        assert len(runner._pool._pending_work_items) <= waiting
        runner._busy = 0
        assert runner.prefetch("no-such-request").result(timeout=180) is None  # an idle worker: it runs there
        assert runner._busy == 0
