"""Browser-test fixtures: Debian's Chromium driven by Playwright, real servers on 127.0.0.1.

Chromium comes from apt (``scripts/system-deps.sh``); ``playwright install`` is never used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def _start_server(args: list[str], health: str, tmp: Path, env: dict[str, str] | None = None) -> tuple[
        subprocess.Popen[bytes], Path]:
    log = tmp / "server.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "refundguard.cli", *args], cwd=tmp, stdout=fh,
                                stderr=subprocess.STDOUT, env=full_env)
    try:
        _wait_until_up(health, proc, log)
    except Exception:
        proc.kill()
        proc.wait(10)
        raise
    return proc, log


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module: Playwright's driver keeps an event loop running on this thread while it
    lives, so it must not outlive the browser tests."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium missing: run scripts/system-deps.sh (apt-get install chromium)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``refundguard local`` on a free loopback port; yields its base URL."""
    tmp = tmp_path_factory.mktemp("local-server")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _log = _start_server(["local", "--host", "127.0.0.1", "--port", str(port)], f"{base}/healthz", tmp)
    try:
        yield base
    finally:
        _stop_server(proc)


def _overflow_x(page: object) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no horizontal scrolling)."""
    return int(page.evaluate(  # type: ignore[attr-defined]
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"))


@pytest.fixture(scope="session")
def overflow_x():  # type: ignore[no-untyped-def]
    """``overflow_x(page) -> int``: CSS pixels of horizontal overflow."""
    return _overflow_x


@pytest.fixture(scope="session")
def free_port():  # type: ignore[no-untyped-def]
    return _free_port


@pytest.fixture(scope="session")
def start_server():  # type: ignore[no-untyped-def]
    """``start_server(cli_args, health_url, cwd, env) -> (process, log path)``."""
    return _start_server


@pytest.fixture(scope="session")
def stop_server():  # type: ignore[no-untyped-def]
    return _stop_server


@pytest.fixture(scope="session")
def pdf_text():  # type: ignore[no-untyped-def]
    """``pdf_text(path) -> str`` via poppler's pdftotext."""
    import shutil

    def read(path: Path) -> str:
        exe = shutil.which("pdftotext")
        assert exe, "pdftotext missing: run scripts/system-deps.sh (poppler-utils)"
        return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True,
                              timeout=60).stdout

    return read
