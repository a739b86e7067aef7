"""Fixtures of the capture tests: the service in-process with live capture switched on, and a real item."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from skimage import data

from refundguard.capture.config import CaptureConfig
from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.config import ServiceConfig
from tests.capture.sessions import jpeg, paint_crack, reframe, with_card
from tests.service.svc_helpers import Keys, make_keys

CRACK = (300, 200, 160, 90)


@dataclass
class Item:
    """One real item seen from two cameras (scikit-image's stereo motorcycle): the claim photo and live views."""

    left: np.ndarray
    right: np.ndarray

    def claim(self, forged: bool = False) -> bytes:
        return jpeg(paint_crack(self.left, CRACK) if forged else self.left)

    def shots(self, code: str | None) -> dict[str, bytes]:
        scene = reframe(self.left, zoom=1.05, tilt=0.02)
        return {"whole": jpeg(with_card(scene, code) if code else scene),
                "close": jpeg(reframe(self.left, zoom=2.2, centre=(0.5, 0.45))),
                "turned": jpeg(self.right)}


@pytest.fixture(scope="session")
def item() -> Item:
    left, right = data.stereo_motorcycle()[:2]
    return Item(np.ascontiguousarray(left), np.ascontiguousarray(right))


@dataclass
class Capture:
    client: TestClient
    keys: Keys
    app: Any

    def claim(self, photo: bytes, amount: float = 80.0) -> str:
        r = self.client.post("/v1/claims", headers=self.keys.h("platform"),
                             data={"merchant_id": "m1", "buyer_id": "b1", "amount": str(amount)},
                             files=[("photos", ("claim.jpg", photo, "image/jpeg"))])
        assert r.status_code == 201, r.text
        return r.json()["claim"]["id"]

    def wait(self, claim_id: str, leave: tuple[str, ...] = ("created", "analysing"), timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = self.client.get(f"/v1/claims/{claim_id}", headers=self.keys.h("platform")).json()
            if body["state"] not in leave:
                return body
            assert time.monotonic() < deadline, f"claim stayed {body['state']}"
            time.sleep(0.2)

    def request(self, claim_id: str, role: str = "platform", **body: Any) -> dict:
        r = self.client.post(f"/v1/claims/{claim_id}/capture", headers=self.keys.h(role), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def start(self, path: str) -> dict:
        r = self.client.post(f"{path}/session", json={"screen": "390x844"})
        assert r.status_code == 200, r.text
        return r.json()

    def send(self, path: str, nonce: str, kind: str, data: bytes, mime: str = "image/jpeg") -> Any:
        return self.client.post(f"{path}/frames", data={"nonce": nonce, "kind": kind, "client_time_ms": "1",
                                                        "since_start_ms": "1000"},
                                files={"file": (f"{kind}.jpg", data, mime)})


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[Capture]:
    """The service in-process (real SQLite file, real thread pool, no background loops), capture signing on
    with the c2pa-python test chain when the shared corpus has it."""
    certs = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "provenance" / "c2pa" / "certs"
    signing = {"signing_cert": certs / "es256_certs.pem", "signing_key": certs / "es256_private.key"} \
        if certs.is_dir() else {}
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    config = ServiceConfig(background=False, local_workers=1, capture=CaptureConfig(**signing))
    app = create_app(settings, config, include_web=False)
    with TestClient(app) as client:
        yield Capture(client, make_keys(app.state.db.session), app)
