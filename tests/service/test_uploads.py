"""Uploads against a real ``refundguard serve`` on 127.0.0.1: the key is checked and the size capped before the
body is read, slow bodies are dropped, and what a refused upload cost the server is measured from outside
(``/proc/<pid>/io``: bytes the server process wrote to files).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from refundguard.service.auth.service import create_key
from refundguard.service.db import Database
from tests.service.svc_helpers import Server, photo, server_env

MIB = 1024 * 1024
GIB = 1024 * MIB
LIMIT = 4 * MIB  # the test server's cap on POST /v1/claims


@dataclass
class Answer:
    status: int | None
    seconds: float
    sent: int  # body bytes the client got into the socket before the server answered or closed
    head: bytes


def raw_post(port: int, path: str, *, headers: dict[str, str], body_bytes: int, stall_after: int | None = None,
             chunked: bool = False, timeout: float = 15.0) -> Answer:
    """Send a request by hand: headers, then up to ``body_bytes`` of body while reading the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "Content-Type: multipart/form-data; boundary=rgboundary"]
    lines += ["Transfer-Encoding: chunked"] if chunked else [f"Content-Length: {body_bytes}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sent = 0
    done = threading.Event()

    def feed() -> None:
        nonlocal sent
        part = (b'--rgboundary\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\n'
                b"Content-Type: image/jpeg\r\n\r\n")
        chunk = b"\xff" * (64 * 1024)
        try:
            while sent < body_bytes and not done.is_set():
                if stall_after is not None and sent >= stall_after:
                    done.wait(timeout)
                    return
                whole = part if sent == 0 else chunk
                piece = whole[: min(len(whole), body_bytes - sent, (stall_after or body_bytes) - sent)]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        except OSError:
            return

    started = time.monotonic()
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            data = sock.recv(65536)
            if not data:
                break
            head += data
    except OSError:
        pass
    seconds = time.monotonic() - started
    done.set()
    feeder.join(5)
    sock.close()
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else None
    return Answer(status, seconds, sent, head)


def written(pid: int) -> int:
    """Bytes the process has written with write(2) to files and pipes (sockets use send(2) and do not count)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/pid/io")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    data = tmp_path_factory.mktemp("uploads")
    (data / "tmp").mkdir()
    server = Server(data=data, env=server_env(
        data, TMPDIR=str(data / "tmp"), REFUNDGUARD_SERVICE_REQUESTS__MAX_CLAIM_REQUEST_BYTES=str(LIMIT),
        REFUNDGUARD_SERVICE_REQUESTS__BODY_IDLE_TIMEOUT_S="1", REFUNDGUARD_SERVICE_REQUESTS__BODY_BASE_TIMEOUT_S="3"))
    server.cli("db", "upgrade")
    db = Database(server.env["REFUNDGUARD_DATABASE_URL"])
    with db.session() as session:
        keys = {role: create_key(session=session, tenant="acme", role=role,
                                 merchant_id="m1" if role == "merchant" else None)[0]
                for role in ("platform", "merchant")}
    db.dispose()
    server.start()
    yield server, keys
    server.stop()


def _pid(server: Server) -> int:
    assert server.proc is not None
    return server.proc.pid


def test_unauthenticated_gigabyte_upload_is_refused_before_it_is_read(live: tuple[Server, dict[str, str]]) -> None:
    server, _keys = live
    before = written(_pid(server))
    answer = raw_post(server.port, "/v1/claims", headers={}, body_bytes=GIB)
    time.sleep(0.3)
    cost = written(_pid(server)) - before
    assert answer.status == 401, answer.head[:200]
    assert b"connection: close" in answer.head.lower()
    assert answer.seconds < 2.0
    assert cost < MIB, cost  # nothing of the body was spooled anywhere
    assert answer.sent < 64 * MIB  # the client got little more than the socket buffers in
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_wrong_key_and_wrong_role_are_refused_before_the_body(live: tuple[Server, dict[str, str]]) -> None:
    server, keys = live
    before = written(_pid(server))
    wrong = raw_post(server.port, "/v1/claims", headers={"Authorization": "Bearer rg_0123456789abcdef_" + "x" * 40},
                     body_bytes=GIB)
    merchant = raw_post(server.port, "/v1/claims", headers={"X-API-Key": keys["merchant"]}, body_bytes=GIB)
    time.sleep(0.3)
    assert (wrong.status, merchant.status) == (401, 403)
    assert written(_pid(server)) - before < MIB
    assert max(wrong.seconds, merchant.seconds) < 2.0


def test_announcing_two_gigabytes_and_sending_one_kilobyte_is_dropped_at_once(live: tuple[Server, dict]) -> None:
    server, keys = live
    for headers in ({}, {"X-API-Key": keys["platform"]}):
        answer = raw_post(server.port, "/v1/claims", headers=headers, body_bytes=2 * GIB, stall_after=1024)
        assert answer.status == (413 if headers else 401) and answer.seconds < 1.5, answer


def test_many_held_requests_are_answered_and_closed(live: tuple[Server, dict[str, str]]) -> None:
    server, _keys = live
    answers: list[Answer] = []
    threads = [threading.Thread(target=lambda: answers.append(
        raw_post(server.port, "/v1/claims", headers={}, body_bytes=2 * GIB, stall_after=1024))) for _ in range(40)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(answers) == 40 and {a.status for a in answers} == {401}
    assert time.monotonic() - started < 10


def test_body_larger_than_announced_limit_is_cut_while_streaming(live: tuple[Server, dict[str, str]]) -> None:
    server, keys = live
    before = written(_pid(server))
    answer = raw_post(server.port, "/v1/claims", headers={"X-API-Key": keys["platform"]}, body_bytes=40 * MIB,
                      chunked=True)
    time.sleep(0.3)
    cost = written(_pid(server)) - before
    assert answer.status == 413, answer.head[:300]
    assert cost < LIMIT + 2 * MIB, cost  # at most the limit was spooled before the cut
    assert answer.sent < 40 * MIB


def test_slow_body_is_dropped_after_the_idle_timeout(live: tuple[Server, dict[str, str]]) -> None:
    server, keys = live
    answer = raw_post(server.port, "/v1/claims", headers={"X-API-Key": keys["platform"]}, body_bytes=MIB,
                      stall_after=1024)
    assert answer.status == 408, answer.head[:300]
    assert 0.9 <= answer.seconds < 3.0, answer.seconds


def test_a_normal_upload_still_works(live: tuple[Server, dict[str, str]]) -> None:
    server, keys = live
    resp = httpx.post(server.url + "/v1/claims", headers={"X-API-Key": keys["platform"]}, timeout=30,
                      files=[("photos", ("p.jpg", photo(3), "image/jpeg"))], data={"merchant_id": "m1", "amount": "9"})
    assert resp.status_code == 201, resp.text
    for name in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"):
        assert name in resp.headers
