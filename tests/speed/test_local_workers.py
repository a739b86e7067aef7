"""Local mode analyses in worker processes: the analysis comes back, so do its stages, its errors and a dead worker."""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import threading
import time

import numpy as np
import pytest
from PIL import Image

from refundguard.checks.registry import ClaimInfo
from refundguard.config import default_settings
from refundguard.web.local_workers import AnalysisWorkers, _ready
from refundguard.web.uploads import checked


def _png(side: int = 48) -> bytes:
    buf = io.BytesIO()
    y, x = np.mgrid[0:side, 0:side]
    Image.fromarray(np.stack([x * 4, y * 4, np.full_like(x, 90)], -1).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


class _Result:
    def __init__(self) -> None:
        self.stages: list[str] = []
        self.analysis = None
        self.error = None
        self.finished = threading.Event()

    def done(self, analysis, error) -> None:  # type: ignore[no-untyped-def]
        self.analysis, self.error = analysis, error
        self.finished.set()


@pytest.fixture(scope="module")
def workers():  # type: ignore[no-untyped-def]
    pool = AnalysisWorkers(1)
    yield pool
    pool.shutdown()


def _submit(pool: AnalysisWorkers, uploads, token: str = "t") -> _Result:  # type: ignore[no-untyped-def]
    out = _Result()
    pool.submit(token, uploads, ClaimInfo(), default_settings(), out.stages.append, out.done)
    assert out.finished.wait(180), "no answer from the worker"
    return out


def test_analysis_and_its_stages_come_back_from_the_worker(workers: AnalysisWorkers) -> None:
    settings = default_settings()
    out = _submit(workers, [("claim", "ok.png", checked(_png(), name="ok.png", limits=settings.limits))])
    assert out.error is None and out.analysis is not None
    assert out.analysis.images[0].name == "ok.png" and out.analysis.checks["tamper"].status in ("ran", "not_applicable")
    assert out.analysis.images[0].pixels.shape == (48, 48, 3)
    assert "loaded ok.png" in out.stages and any(s.startswith("check ") for s in out.stages)


def test_a_photo_that_does_not_decode_is_the_error_page_it_would_be_in_threads(workers: AnalysisWorkers) -> None:
    settings = default_settings()
    data = _png()
    probe = dataclasses.replace(checked(data, name="cut.png", limits=settings.limits), data=data[: len(data) // 2])
    out = _submit(workers, [("claim", "cut.png", probe)], token="cut")
    assert out.analysis is None and out.error is not None
    assert out.error.status == 422 and "无法读取图片" in out.error.zh


def test_a_dead_worker_fails_its_upload_and_the_workers_restart(workers: AnalysisWorkers) -> None:
    pid = workers._pool.submit(_ready).result(timeout=180)
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # the pool notices the death
        if workers._pool._broken:
            break
        time.sleep(0.1)
    settings = default_settings()
    upload = [("claim", "ok.png", checked(_png(), name="ok.png", limits=settings.limits))]
    first = _submit(workers, upload, token="a")
    assert first.analysis is None and first.error is not None and first.error.status == 500
    again = _submit(workers, upload, token="b")
    assert again.error is None and again.analysis is not None
