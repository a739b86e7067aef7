"""Helpers of the claim-service tests: generated photos, keys, polling, real server subprocesses."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from refundguard.service.auth.service import create_key

ROOT = Path(__file__).resolve().parents[2]
REFUNDGUARD = Path(sys.executable).with_name("refundguard")


def photo(seed: int, width: int = 320, height: int = 240) -> bytes:
    """A deterministic camera-like JPEG: smooth gradients, a few shapes and sensor-like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x * 255 / width, y * 255 / height, (x + y + seed * 37) % 256], -1)
    for _ in range(4):
        cx, cy, r = rng.integers(0, width), rng.integers(0, height), rng.integers(10, max(12, width // 6))
        base[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pdf_text(path: Path) -> str:
    """Text of a PDF via poppler's pdftotext (installed by scripts/system-deps.sh)."""
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext missing: run scripts/system-deps.sh (poppler-utils)"
    return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Keys:
    platform: str
    merchant: str
    other_merchant: str
    reviewer: str
    admin: str
    other_tenant: str

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


def make_keys(session_factory) -> Keys:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        keys = Keys(
            platform=create_key(session=session, tenant="shop-a", role="platform")[0],
            merchant=create_key(session=session, tenant="shop-a", role="merchant", merchant_id="m1")[0],
            other_merchant=create_key(session=session, tenant="shop-a", role="merchant", merchant_id="m2")[0],
            reviewer=create_key(session=session, tenant="shop-a", role="reviewer")[0],
            admin=create_key(session=session, tenant="shop-a", role="admin")[0],
            other_tenant=create_key(session=session, tenant="shop-b", role="platform")[0],
        )
    return keys


def wait_state(get, claim_id: str, headers: dict[str, str], *, leave: tuple[str, ...] = ("created", "analysing"),
               timeout: float = 60.0) -> dict:  # type: ignore[no-untyped-def]
    """Poll a claim until its state is not in ``leave``."""
    deadline = time.monotonic() + timeout
    while True:
        body = get(f"/v1/claims/{claim_id}", headers=headers).json()
        if body["state"] not in leave:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"claim stayed in {body['state']}")
        time.sleep(0.1)


@dataclass
class Server:
    """A real ``refundguard serve`` subprocess on 127.0.0.1."""

    data: Path
    env: dict[str, str]
    extra_args: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data / "rg.db"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(REFUNDGUARD), *args], env=self.env, capture_output=True, text=True,
                              timeout=60, check=check)

    def start(self) -> Server:
        self.port = free_port()
        log = (self.data / "server.log").open("ab")
        self.proc = subprocess.Popen([str(REFUNDGUARD), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--log-level", "warning", *self.extra_args], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited: " + (self.data / "server.log").read_text()[-2000:])
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not start: " + (self.data / "server.log").read_text()[-2000:])

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def server_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDGUARD_")}
    env.update({"REFUNDGUARD_DATABASE_URL": f"sqlite:///{data / 'rg.db'}", "REFUNDGUARD_DATA_DIR": str(data / "files"),
                "REFUNDGUARD_SERVICE_SWEEP_INTERVAL_S": "0.5", "REFUNDGUARD_SERVICE_DISPATCH_INTERVAL_S": "0.2",
                "REFUNDGUARD_SERVICE_WEBHOOKS__BACKOFF_BASE_S": "0.3", "PYTHONUNBUFFERED": "1",
                "REFUNDGUARD_SERVICE_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true", **extra})
    return env




def form_token(html: str) -> str:
    """The CSRF token in a page's form (``<input type="hidden" name="csrf_token" value=...>``)."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def web_login(client, key: str, next_page: str = "/ui/") -> httpx.Response:  # type: ignore[no-untyped-def]
    """Log a TestClient in through the login form (its pre-login token and cookie included)."""
    page = client.get("/ui/login", params={"next": next_page})
    return client.post("/ui/login", data={"key": key, "next": next_page, "csrf_token": form_token(page.text)},
                       follow_redirects=False)
