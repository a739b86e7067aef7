"""Helpers of the ledger tests: apps served by uvicorn on 127.0.0.1 in threads, platform nodes, keys, claims."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from refundguard.config import load_settings
from refundguard.ledger import signing
from refundguard.ledger.config import LedgerConfig
from refundguard.service.app import create_app
from refundguard.service.auth.service import create_key
from refundguard.service.config import ServiceConfig
from tests.service.svc_helpers import free_port, photo


@dataclass
class Served:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def serve(app: Any, port: int | None = None) -> Served:
    """Run an ASGI app with uvicorn on 127.0.0.1 in a daemon thread (lifespan on) until :meth:`Served.stop`."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("server did not start")
        time.sleep(0.02)
    return Served(f"http://127.0.0.1:{port}", server, thread)


def signing_key(folder: Path) -> signing.SigningKey:
    """A platform's key, written where its ledger reads it (``<key_dir>/signing.key``)."""
    return signing.SigningKey.from_file(folder / "signing.key", create=True)


@dataclass
class Node:
    """One platform: its own database, keys, API keys and a running service."""

    name: str
    root: Path
    port: int
    database_url: str
    key: signing.SigningKey
    served: Served | None = None
    app: Any = None
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def start(self, ledger: LedgerConfig) -> Node:
        settings = load_settings(database_url=self.database_url, data_dir=self.root / "data")
        self.app = create_app(settings, ServiceConfig(background=False, local_workers=1), include_web=False,
                              ledger=ledger)
        self.served = serve(self.app, self.port)
        with self.app.state.db.session() as session:
            for role, merchant in (("platform", None), ("reviewer", None), ("admin", None), ("merchant", "m1")):
                self.keys[role] = create_key(session=session, tenant=f"{self.name}-shop", role=role,
                                             merchant_id=merchant)[0]
        return self

    @property
    def ledger(self) -> Any:
        return self.app.state.ledger

    def stop(self) -> None:
        if self.served:
            self.served.stop()
            self.served = None

    # -------------------------------------------------------------- API helpers
    def call(self, method: str, path: str, role: str | None = None, **kw: Any) -> httpx.Response:
        headers = {**(self.h(role) if role else {}), **kw.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=60, **kw)

    def register(self, buyer: str, **ids: str) -> None:
        r = self.call("PUT", f"/v1/ledger/buyers/{buyer}", "platform", json=ids)
        assert r.status_code == 200, r.text

    def claim(self, buyer: str, amount: float = 120.0, seed: int = 5) -> dict:
        r = self.call("POST", "/v1/claims", "platform", files=[("photos", ("a.jpg", photo(seed), "image/jpeg"))],
                      data={"merchant_id": "m1", "buyer_id": buyer, "amount": str(amount)})
        assert r.status_code == 201, r.text
        return self.wait(r.json()["claim"]["id"])

    def wait(self, claim_id: str, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = self.call("GET", f"/v1/claims/{claim_id}", "platform").json()
            if body["state"] not in ("created", "analysing"):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"claim {claim_id} stayed {body['state']}")
            time.sleep(0.1)

    def decide(self, claim_id: str, outcome: str = "rejected", abuse: bool = True) -> dict:
        r = self.call("POST", f"/v1/claims/{claim_id}/decision", "reviewer",
                      json={"outcome": outcome, "reason": "forged crack", "abuse": abuse})
        assert r.status_code == 200, r.text
        return r.json()

    def report(self, claim_id: str, role: str = "reviewer") -> dict:
        r = self.call("GET", f"/v1/claims/{claim_id}/report", role)
        assert r.status_code == 200, r.text
        return r.json()

    def sync(self) -> dict:
        r = self.call("POST", "/v1/ledger/sync", "admin")
        assert r.status_code == 200, r.text
        return r.json()


def finding(report: dict, code: str = "ledger.prior_abuse") -> dict | None:
    return next((f for f in report["findings"] if f["code"] == code), None)


@contextmanager
def running(*nodes: Node) -> Iterator[None]:
    try:
        yield
    finally:
        for node in nodes:
            node.stop()
