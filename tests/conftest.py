"""Shared fixtures. Tests that read ../shared/corpus skip without it, and fail instead when CI=true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def corpus_path(*parts: str) -> Path:
    """Path inside ../shared/corpus; skips (or fails under CI=true) when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        message = f"../shared/corpus not available ({path} missing)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — required in CI")
        pytest.skip(message)
    return path


@pytest.fixture
def corpus() -> Path:
    return corpus_path()


# Services built inside the test process analyse on threads of that process: a worker process per app would cost
# each test the engine's import, and tests replace engine functions in-process. tests/service/test_worker_pool.py
# runs the default (worker processes), with a real server too.
os.environ.setdefault("REFUNDGUARD_SERVICE_LOCAL_POOL", "threads")
