"""Capture through the API in-process: request → the buyer's session → frames → completion → the claim analysed
again with the live shots; expiry; who may ask and who sees the link; hostile frames."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from refundguard.capture.models import CaptureFrame, CaptureRequest
from refundguard.service import policy
from refundguard.service.db import utcnow
from refundguard.service.webhooks.models import WebhookDelivery
from tests.conftest import corpus_path

pytestmark = pytest.mark.slow  # full analyses of capture sessions through the service


def _webhook(capture, event: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with capture.app.state.db.session() as session:
        rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.event == event)).all()
        return [json.loads(r.payload)["data"] for r in rows]


def _register_webhook(capture) -> None:  # type: ignore[no-untyped-def]
    r = capture.client.post("/v1/webhooks", headers=capture.keys.h("platform"),
                            json={"url": "https://example.com/hook"})
    assert r.status_code == 201, r.text


def test_honest_session_end_to_end(capture, item) -> None:  # type: ignore[no-untyped-def]
    corpus_path("provenance", "c2pa", "certs")  # the session is signed with the shared test certificate
    _register_webhook(capture)
    claim_id = capture.claim(item.claim())
    first = capture.wait(claim_id)
    assert first["state"] == "awaiting_merchant"  # one photo, nothing to compare with: unverified, not refunded
    asked = capture.request(claim_id, role="reviewer", reason="show the damage live")
    assert asked["link"] is None  # a reviewer never sees the buyer's link
    assert capture.client.get(f"/v1/claims/{claim_id}", headers=capture.keys.h("platform")).json()["state"] == \
        "capture_requested"
    [sent] = _webhook(capture, "capture.requested")
    path = sent["link"]["path"]
    assert sent["request_id"] == asked["id"] and path.startswith("/capture/")
    page = capture.client.get(path)
    assert page.status_code == 200 and "现场拍摄" in page.text and 'type="file"' not in page.text
    assert "Live photos" in capture.client.get(path + "?lang=en").text
    started = capture.start(path)
    assert len(started["code"]) == 4 and started["turn"] in ("left", "right")
    again = capture.client.post(f"{path}/session")
    assert again.status_code == 409 and again.json()["error"]["message"]["zh"]  # one session per link
    for kind, data in item.shots(started["code"]).items():
        r = capture.send(path, started["nonce"], kind, data)
        assert r.status_code == 200, r.text
    assert r.json()["complete_ready"]
    done = capture.client.post(f"{path}/complete", headers={"X-Capture-Nonce": started["nonce"]})
    assert done.status_code == 200 and done.json()["signed"], done.text
    after = capture.wait(claim_id)
    report = capture.client.get(f"/v1/claims/{claim_id}/report", headers=capture.keys.h("platform")).json()
    assert [im["role"] for im in report["images"]] == ["claim", "live", "live", "live"]
    codes = {f["code"] for f in report["findings"]}
    assert "live.damage_confirmed" in codes and not codes & {"live.damage_absent", "live.code_missing"}
    assert report["coverage"]["photos"][0]["verified_by"] == ["live_capture"]
    assert report["coverage"]["basis"] == "verified" and report["level"] == "low"
    assert after["state"] == "auto_approved"  # verified low, small amount: the honest buyer's fastest refund
    # the record: signed, every shot matching its hash; shots attached as live evidence; the link is spent
    [record] = capture.client.get(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("reviewer")).json()["items"]
    assert record["status"] == "completed" and record["code"] == started["code"]
    assert record["manifest"]["ok"] and record["manifest"]["hashes_match"]
    sheet = capture.client.get(f"/v1/claims/{claim_id}/capture/{record['id']}/sheet",
                               headers=capture.keys.h("merchant"))
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "image/jpeg"
    detail = capture.client.get(f"/v1/claims/{claim_id}", headers=capture.keys.h("platform")).json()
    assert sum(e["role"] == "live" for e in detail["evidence"]) == 4  # three shots and the signed session sheet
    assert capture.client.get(path).status_code == 410  # a replayed link
    late = capture.send(path, started["nonce"], "close", item.shots(None)["close"])
    assert late.status_code == 410 and late.json()["error"]["message"]["en"].startswith("this capture was completed")
    [completed] = _webhook(capture, "capture.completed")
    assert completed["code"] == started["code"] and len(completed["shots"]) == 3
    actions = [e["action"] for e in capture.client.get(f"/v1/claims/{claim_id}/audit",
                                                       headers=capture.keys.h("reviewer")).json()["items"]]
    assert {"capture.requested", "capture.session_started", "capture.frame_received", "capture.completed"} <= \
        set(actions)
    text = _bundle_text(capture, claim_id)  # the evidence bundle lists the session and its verification
    assert "Live capture" in text and "现场拍摄" in text and started["code"] in text
    assert "the C2PA signature is valid and every shot matches its listed hash" in " ".join(text.split())
    assert record["shots"][0]["sha256"] in "".join(text.split()) and "Live shot" in text


def _bundle_text(capture, claim_id: str) -> str:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess

    from refundguard.service.claims.models import Claim
    from refundguard.web.stored import bundle_for_claim

    with capture.app.state.db.session() as session:
        pdf = bundle_for_claim(session=session, store=capture.app.state.store, claim=session.get(Claim, claim_id),
                               limits=capture.app.state.settings.limits,
                               capture_config=capture.app.state.config.capture)
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext missing: run scripts/system-deps.sh (poppler-utils)"
    return subprocess.run([exe, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


def test_a_session_without_the_claimed_damage_is_caught(capture, item) -> None:  # type: ignore[no-untyped-def]
    claim_id = capture.claim(item.claim(forged=True))
    capture.wait(claim_id)
    link = capture.request(claim_id)["link"]["path"]  # the platform's key gets the link in the answer
    started = capture.start(link)
    for kind, data in item.shots(started["code"]).items():
        assert capture.send(link, started["nonce"], kind, data).status_code == 200
    assert capture.client.post(f"{link}/complete", headers={"X-Capture-Nonce": started["nonce"]}).status_code == 200
    after = capture.wait(claim_id)
    report = capture.client.get(f"/v1/claims/{claim_id}/report", headers=capture.keys.h("platform")).json()
    [absent] = [f for f in report["findings"] if f["code"] == "live.damage_absent"]
    assert absent["image"] == 0 and absent["regions"] and set(absent["details"]["regions_by_image"]) > {"0"}
    x, y, w, h = 300, 200, 160, 90  # the painted crack
    assert any(r["x"] < x + w and x < r["x"] + r["w"] and r["y"] < y + h and y < r["y"] + r["h"]
               for r in absent["regions"])
    assert report["level"] in ("review", "high") and after["state"] != "auto_approved"


def test_shot_a_without_the_code_is_a_finding_not_an_error(capture, item) -> None:  # type: ignore[no-untyped-def]
    claim_id = capture.claim(item.claim())
    capture.wait(claim_id)
    link = capture.request(claim_id)["link"]["path"]
    started = capture.start(link)
    for kind, data in item.shots(None).items():
        assert capture.send(link, started["nonce"], kind, data).status_code == 200
    assert capture.client.post(f"{link}/complete", headers={"X-Capture-Nonce": started["nonce"]}).status_code == 200
    after = capture.wait(claim_id)
    report = capture.client.get(f"/v1/claims/{claim_id}/report", headers=capture.keys.h("platform")).json()
    assert report["checks"]["live"]["status"] == "ran"
    assert any(f["code"] == "live.code_missing" for f in report["findings"])
    assert "live_capture" not in report["coverage"]["photos"][0]["verified_by"]  # nothing ties the shots to the request
    assert not any(f["code"] == "live.damage_confirmed" for f in report["findings"])
    assert after["state"] != "auto_approved"


def test_expiry_sends_the_claim_to_a_reviewer_with_the_fact(capture, item) -> None:  # type: ignore[no-untyped-def]
    _register_webhook(capture)
    claim_id = capture.claim(item.claim())
    capture.wait(claim_id)
    link = capture.request(claim_id, deadline_hours=2)["link"]["path"]
    with capture.app.state.db.session() as session:
        moved = policy.sweep(session=session, policy=capture.app.state.config.policy, now=utcnow() + timedelta(hours=3))
    assert moved == [claim_id]
    claim = capture.client.get(f"/v1/claims/{claim_id}", headers=capture.keys.h("reviewer")).json()
    assert claim["state"] == "in_review" and claim["outcome"] is None  # never refunded or rejected automatically
    entries = capture.client.get(f"/v1/claims/{claim_id}/audit", headers=capture.keys.h("reviewer")).json()["items"]
    expired = [e for e in entries if e["action"] == "capture.expired"]
    assert expired and expired[0]["details"]["why"] == "the buyer did not complete the capture"
    assert any("did not complete the capture" in (e["details"].get("why") or "") for e in entries
               if e["action"] == "claim.state_changed")
    assert _webhook(capture, "capture.expired")[0]["claim_id"] == claim_id
    gone = capture.client.get(link)
    assert gone.status_code == 410 and "过期" in gone.text


def test_who_may_ask_and_who_sees_the_link(capture, item) -> None:  # type: ignore[no-untyped-def]
    claim_id = capture.claim(item.claim())
    capture.wait(claim_id)
    other = capture.client.post(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("other_merchant"), json={})
    assert other.status_code == 404  # another merchant's claim does not exist for it
    foreign = capture.client.post(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("other_tenant"), json={})
    assert foreign.status_code == 404
    bad = capture.client.post(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("merchant"),
                              json={"damage": [{"photo": 3, "x": 1, "y": 1, "w": 5, "h": 5}]})
    assert bad.status_code == 422  # the claim has one photo
    mine = capture.request(claim_id, role="merchant", reason="商家要求现场拍摄")  # within the merchant window
    assert mine["link"] is None and mine["requested_role"] == "merchant"
    twice = capture.client.post(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("reviewer"), json={})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "capture_open"
    fresh = capture.client.post(f"/v1/claims/{claim_id}/capture/{mine['id']}/link", headers=capture.keys.h("platform"))
    assert fresh.status_code == 200 and fresh.json()["link"]["path"].startswith("/capture/")
    denied = capture.client.post(f"/v1/claims/{claim_id}/capture/{mine['id']}/link", headers=capture.keys.h("merchant"))
    assert denied.status_code == 403


def test_hostile_frames_get_clear_4xx_and_store_nothing(capture, item) -> None:  # type: ignore[no-untyped-def]
    claim_id = capture.claim(item.claim())
    capture.wait(claim_id)
    link = capture.request(claim_id)["link"]["path"]
    assert capture.client.get(link[:-3] + "xyz").status_code == 404  # an altered token
    assert capture.send(link, "nonce", "whole", b"\xff\xd8").status_code == 409  # no session yet
    started = capture.start(link)
    store = capture.app.state.store.root
    before = sorted(p.name for p in store.rglob("*") if p.is_file())
    cases = [
        (capture.send(link, "someone-elses-nonce", "whole", item.shots(None)["whole"]), 403),
        (capture.send(link, started["nonce"], "whole", b"%PDF-1.7 not a photo", "application/pdf"), 415),
        (capture.send(link, started["nonce"], "whole", b"\xff\xd8\xff\xe0" + b"\x00" * 64), 422),  # a broken JPEG
        (capture.send(link, started["nonce"], "whole", _png_bomb(), "image/png"), 422),  # 3.6 GP declared
        (capture.send(link, started["nonce"], "selfie", item.shots(None)["whole"]), 422),
        (capture.send(link, started["nonce"], "video", b"\x1aE\xdf\xa3" + b"\x00" * 200, "video/webm"), 422),
        (capture.client.post(f"{link}/frames", data={"nonce": started["nonce"], "kind": "whole"},
                             files={"file": ("x.jpg", b"\xff" * (21 * 1024 * 1024), "image/jpeg")}), 413),
        (capture.client.post(f"{link}/complete", headers={"X-Capture-Nonce": started["nonce"]}), 409),
    ]
    for response, status in cases:
        assert response.status_code == status, (status, response.text[:200])
        message = response.json()["error"]["message"]
        assert message["en"] and message["zh"]
    assert sorted(p.name for p in store.rglob("*") if p.is_file()) == before  # nothing kept
    with capture.app.state.db.session() as session:
        assert session.scalars(select(CaptureFrame)).all() == []


def _png_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A tiny PNG whose header declares a huge picture (refused from the header, before decoding)."""
    import io
    import struct
    import zlib

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = data[12:29]  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


def test_a_reviewer_may_decide_while_the_buyer_has_not_finished(capture, item) -> None:  # type: ignore[no-untyped-def]
    claim_id = capture.claim(item.claim())
    capture.wait(claim_id)
    link = capture.request(claim_id)["link"]["path"]
    capture.start(link)
    r = capture.client.post(f"/v1/claims/{claim_id}/decision", headers=capture.keys.h("reviewer"),
                            json={"outcome": "rejected", "reason": "the buyer admitted the photo was edited"})
    assert r.status_code == 200 and r.json()["state"] == "decided"
    assert capture.client.get(link).status_code == 410  # the link stops working
    [record] = capture.client.get(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("reviewer")).json()["items"]
    assert record["status"] == "cancelled"


def test_thousands_of_frames_are_refused_after_the_limit(capture, item) -> None:  # type: ignore[no-untyped-def]
    claim_id = capture.claim(item.claim())
    capture.wait(claim_id)
    link = capture.request(claim_id)["link"]["path"]
    started = capture.start(link)
    limit = capture.app.state.config.capture.max_frames
    shots = item.shots(started["code"])
    statuses = [capture.send(link, started["nonce"], "close", shots["close"]).status_code for _ in range(limit + 5)]
    assert statuses[:limit] == [200] * limit and set(statuses[limit:]) == {429}
    with capture.app.state.db.session() as session:
        frames = session.scalars(select(CaptureFrame)).all()
        assert len(frames) == limit and sum(f.status == "current" for f in frames) == 1  # retakes replace
        assert session.scalars(select(CaptureRequest)).one().frames_received == limit


def _webm(frames: list, fps: int = 10) -> bytes:  # type: ignore[type-arg]
    import io

    import av

    buf = io.BytesIO()
    with av.open(buf, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height = frames[0].shape[1] // 2 * 2, frames[0].shape[0] // 2 * 2
        stream.pix_fmt = "yuv420p"
        for pixels in frames:
            frame = av.VideoFrame.from_ndarray(pixels[: stream.height, : stream.width], format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def test_policy_asks_for_the_capture_and_the_video_orbit_counts_as_shot_c(  # type: ignore[no-untyped-def]
        capture, item) -> None:
    from refundguard.capture.config import CapturePolicy
    from tests.capture.sessions import reframe

    capture.app.state.config.capture.policy = CapturePolicy(enabled=True)  # this tenant asks when unverified
    _register_webhook(capture)
    claim_id = capture.claim(item.claim())
    state = capture.wait(claim_id)
    assert state["state"] == "capture_requested"  # never an automatic refund on an unverified low
    [sent] = _webhook(capture, "capture.requested")
    assert sent["requested_by"] == "system:policy" and "unverified" in sent["reason"]
    link = sent["link"]["path"]
    started = capture.start(link)
    shots = item.shots(started["code"])
    for kind in ("whole", "close"):
        assert capture.send(link, started["nonce"], kind, shots[kind]).status_code == 200
    frames = [reframe(item.left, zoom=1.6, centre=(0.45 + 0.02 * k, 0.45)) for k in range(12)]
    video = capture.send(link, started["nonce"], "video", _webm(frames), "video/webm")
    assert video.status_code == 200, video.text
    assert video.json()["complete_ready"]  # (a), (b) and the orbit instead of (c)
    assert capture.client.post(f"{link}/complete", headers={"X-Capture-Nonce": started["nonce"]}).status_code == 200
    capture.wait(claim_id)
    report = capture.client.get(f"/v1/claims/{claim_id}/report", headers=capture.keys.h("platform")).json()
    roles = [im["role"] for im in report["images"]]
    assert roles.count("live") == 2 + capture.app.state.config.capture.orbit_frames  # orbit frames are live shots
    [record] = capture.client.get(f"/v1/claims/{claim_id}/capture", headers=capture.keys.h("platform")).json()["items"]
    kinds = [s["kind"] for s in record["shots"]]
    assert kinds.count("video") == 1 and kinds.count("orbit") == capture.app.state.config.capture.orbit_frames
