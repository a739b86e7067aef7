"""Webhook deliveries are isolated: a slow, huge, broken or badly registered receiver of one tenant costs that
tenant its own slot and never holds up another tenant's deliveries.

Receivers are real sockets on 127.0.0.1 (``allow_private_targets`` on, as for a receiver inside the network).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from refundguard.service.config import WebhookConfig
from refundguard.service.db import Database
from refundguard.service.models import Base
from refundguard.service.webhooks.delivery import Dispatcher, dispatch_due
from refundguard.service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class Receiver:
    """A TCP server on loopback; ``behave(conn)`` answers each connection (one thread per connection)."""

    def __init__(self, behave: Callable[[socket.socket, Receiver], None]) -> None:
        self.behave = behave
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.sent = 0
        self.answered_at: list[float] = []
        self.arrived_at: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with self._lock:
            self.arrived_at.append(time.monotonic())
            self.connections += 1
            self.open_now += 1
            self.most_open = max(self.most_open, self.open_now)
        try:
            _read_request(conn)
            self.behave(conn, self)
        except OSError:
            pass
        finally:
            conn.close()
            with self._lock:
                self.open_now -= 1

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return head


def fast(conn: socket.socket, rx: Receiver) -> None:
    conn.sendall(OK)
    rx.answered_at.append(time.monotonic())


def drip(conn: socket.socket, rx: Receiver) -> None:
    """One byte of the answer every 0.2 s, for far longer than the deadline."""
    for byte in OK * 20:
        conn.sendall(bytes([byte]))
        rx.sent += 1
        time.sleep(0.2)


def flood(conn: socket.socket, rx: Receiver) -> None:
    """Announce 800 MB and send as fast as the socket takes it."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 800000000\r\n\r\n")
    chunk = b"\0" * 65536
    while rx.sent < 800_000_000:
        conn.sendall(chunk)
        rx.sent += len(chunk)


@pytest.fixture
def receivers() -> Iterator[Callable[[Callable[[socket.socket, Receiver], None]], Receiver]]:
    made: list[Receiver] = []

    def make(behave: Callable[[socket.socket, Receiver], None]) -> Receiver:
        made.append(Receiver(behave))
        return made[-1]

    yield make
    for rx in made:
        rx.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _queue(db: Database, tenant: str, url: str, n: int = 1) -> list[str]:
    """Deliveries for ``tenant`` to ``url``, written straight to the tables (the URL is not re-validated here:
    it stands for an endpoint registered before the rules tightened)."""
    ids = []
    with db.session() as session:
        endpoint = WebhookEndpoint(id="whe_" + uuid.uuid4().hex[:20], tenant=tenant, url=url, secret="s" * 20)
        session.add(endpoint)
        session.flush()
        for _ in range(n):
            ids.append("whd_" + uuid.uuid4().hex[:20])
            session.add(WebhookDelivery(id=ids[-1], endpoint_id=endpoint.id, tenant=tenant, event="claim.analysed",
                                        payload='{"x": 1}'))
    return ids


def _attempts(db: Database, delivery_id: str) -> list[WebhookAttempt]:
    with db.session() as session:
        return list(session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)))


def _status(db: Database, delivery_id: str) -> str:
    with db.session() as session:
        return session.get(WebhookDelivery, delivery_id).status  # type: ignore[union-attr]


CONFIG = WebhookConfig(allow_private_targets=True, timeout_s=1.0, backoff_base_s=60, max_response_bytes=64 * 1024)


def test_slow_receiver_is_cut_at_the_deadline_and_other_tenants_are_not_delayed(db: Database, receivers) -> None:
    slow, quick = receivers(drip), receivers(fast)
    [stalled] = _queue(db, "tenant-slow", slow.url)
    [prompt] = _queue(db, "tenant-quick", quick.url)
    started = time.monotonic()
    assert dispatch_due(db, CONFIG) == 2
    took = time.monotonic() - started
    [attempt] = _attempts(db, stalled)
    assert attempt.error.startswith("deadline") and attempt.status_code is None
    assert 900 <= attempt.duration_ms < 2500, attempt.duration_ms  # 1 s deadline although bytes kept coming
    assert slow.sent < 15  # it dripped for about a second, not for the 20 s it wanted
    assert took < 4
    assert _status(db, prompt) == "delivered"
    assert quick.answered_at[0] - started < 0.8  # answered while the slow one was still dripping


def test_huge_answer_is_not_read_into_memory(db: Database, receivers) -> None:
    huge = receivers(flood)
    [delivery] = _queue(db, "t", huge.url)
    started = time.monotonic()
    assert dispatch_due(db, CONFIG) == 1
    assert time.monotonic() - started < 3
    assert _status(db, delivery) == "delivered"  # the status line counts; the 800 MB body is dropped
    time.sleep(0.3)
    assert huge.sent < 32 * 1024 * 1024, huge.sent  # what the socket buffers took before the connection closed


def test_bad_port_and_malformed_urls_fail_alone(db: Database, receivers) -> None:
    quick = receivers(fast)
    [bad_port] = _queue(db, "tenant-a", "https://8.8.8.8:99999/hook")
    [malformed] = _queue(db, "tenant-b", "http://[::1/")
    [loopback] = _queue(db, "tenant-c", "http://2130706433/")
    [good] = _queue(db, "tenant-d", quick.url)
    assert dispatch_due(db, CONFIG) == 4
    assert _status(db, good) == "delivered"
    for delivery_id in (bad_port, malformed, loopback):
        [attempt] = _attempts(db, delivery_id)
        assert attempt.error.startswith("refused:") and "webhook url" not in attempt.error, attempt.error
        assert _status(db, delivery_id) == "pending"  # retried later, with backoff
    assert "1 to 65535" in _attempts(db, bad_port)[0].error


def test_one_tenant_holds_one_slot_however_many_deliveries_it_has(db: Database, receivers) -> None:
    slow, quick = receivers(drip), receivers(fast)
    stalled = _queue(db, "tenant-slow", slow.url, n=6)
    [prompt] = _queue(db, "tenant-quick", quick.url)
    config = CONFIG.model_copy(update={"max_concurrent": 4, "per_tenant_slots": 1})
    stop = threading.Event()
    dispatcher = Dispatcher(db, config)
    runner = threading.Thread(target=lambda: asyncio.run(dispatcher.run(stop, 0.05)), daemon=True)
    started = time.monotonic()
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while _status(db, prompt) != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _status(db, prompt) == "delivered"
        assert quick.answered_at[0] - started < 1.0  # not behind six one-second attempts
        time.sleep(2.3)  # two more deadlines: the slow tenant's attempts run one after the other
    finally:
        stop.set()
        runner.join(10)
    tried = sum(len(_attempts(db, d)) for d in stalled)
    assert 2 <= tried <= 4, tried
    # one slot: each of its attempts starts only when the previous one met its 1 s deadline
    gaps = [b - a for a, b in zip(slow.arrived_at, slow.arrived_at[1:], strict=False)]
    assert len(slow.arrived_at) == tried and all(gap >= 0.9 for gap in gaps), gaps
