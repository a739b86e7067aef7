"""A ``refundguard serve`` on loopback for browser tests: SQLite in a temporary folder, one key per role."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image


def sample_jpeg(seed: int, crack: bool, size: tuple[int, int] = (400, 300),
                crack_at: tuple[int, int] | None = None) -> bytes:
    """A smooth, slightly noisy colour photo; with ``crack`` a dark diagonal line from ``crack_at`` (default: the
    centre), the listing photo with a painted crack when the same ``seed`` is drawn without one."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([100 + 70 * np.sin(x / 30.0), 150 + 40 * np.cos(y / 45.0), 90 + 0 * x], axis=-1)
    pixels = np.clip(base + rng.normal(0, 5, base.shape), 0, 255).astype(np.uint8)
    if crack:
        cx, cy = crack_at or (w // 2, h // 2)
        for i in range(90):
            pixels[cy + i // 3: cy + 3 + i // 3, cx + i] = 20
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@dataclass(frozen=True)
class Service:
    """A running service: its base URL, the environment it runs with, and an API key per role."""

    base: str
    env: dict[str, str]
    keys: dict[str, str]

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def wait_settled(self, claim_id: str, timeout: float = 90.0) -> dict:  # type: ignore[type-arg]
        """Poll the claim until its analysis has ended; its JSON."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = httpx.get(f"{self.base}/v1/claims/{claim_id}", headers=self.h("platform"), timeout=10).json()
            if body["state"] not in ("created", "analysing"):
                return body
            time.sleep(0.3)
        raise AssertionError(f"claim {claim_id} still {body['state']} after {timeout:.0f} s")


@contextmanager
def running_service(tmp: Path, merchant_id: str, *, free_port: Callable[[], int], start_server: Callable[..., Any],
                    stop_server: Callable[[Any], None]) -> Iterator[Service]:
    """Migrate a fresh database in ``tmp``, make platform/reviewer/merchant keys (the merchant ``merchant_id``),
    start the server on a free port and stop it afterwards."""
    from refundguard.service.auth.service import create_key
    from refundguard.service.db import Database

    env = {"REFUNDGUARD_DATABASE_URL": f"sqlite:///{tmp / 'rg.db'}", "REFUNDGUARD_DATA_DIR": str(tmp / "data")}
    db = Database(env["REFUNDGUARD_DATABASE_URL"])
    db.upgrade()
    with db.session() as session:
        keys = {role: create_key(session=session, tenant="shop-a", role=role,
                                 merchant_id=merchant_id if role == "merchant" else None)[0]
                for role in ("platform", "reviewer", "merchant")}
    db.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _log = start_server(["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              f"{base}/healthz", tmp, env)
    try:
        yield Service(base, env, keys)
    finally:
        stop_server(proc)
