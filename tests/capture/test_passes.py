"""The engine with live shots: claim, shot and session passes, the pass cache, and the claim's risk."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import data

from refundguard.capture.passes_store import DatabasePassCache
from refundguard.checks.registry import ClaimInfo, LiveSession, LiveShot
from refundguard.engine import analyze
from refundguard.media.load import load_image
from refundguard.passes import MemoryPassCache, PassResult
from refundguard.report.json import to_dict
from refundguard.service.db import Database
from tests.capture.sessions import jpeg, reframe, with_card

KINDS = ("whole", "close", "turned")
pytestmark = pytest.mark.slow  # several full analyses of a claim with three live shots


@pytest.fixture(scope="module")
def session_images():  # type: ignore[no-untyped-def]
    left, right = (np.ascontiguousarray(v) for v in data.stereo_motorcycle()[:2])
    claim = load_image(jpeg(left), name="claim.jpg")
    shots = [load_image(jpeg(with_card(reframe(left, zoom=1.05, tilt=0.02), "K4AM")), name="a.jpg"),
             load_image(jpeg(reframe(left, zoom=2.2, centre=(0.5, 0.45))), name="b.jpg"),
             load_image(jpeg(right), name="c.jpg")]
    info = ClaimInfo(claim_id="c1", live=LiveSession("s1", "K4AM", tuple(LiveShot(k) for k in KINDS)))
    return claim, shots, info


def test_every_check_examines_every_live_shot_and_the_cache_gives_the_same_answer(  # type: ignore[no-untyped-def]
        session_images) -> None:
    claim, shots, info = session_images
    cache = MemoryPassCache()
    first = analyze([claim], live=shots, info=info, cache=cache)
    assert first.roles == ["claim", "live", "live", "live"]
    assert len(cache) == 4  # the claim pass and one pass per live shot
    for name in ("provenance", "tamper", "capture", "watermark", "label"):
        photos = {p["image"]: p["status"] for p in first.checks[name].photos}
        assert photos == {0: "ran", 1: "ran", 2: "ran", 3: "ran"}, name
    assert first.checks["live"].status == "ran"
    no_camera = [f for f in first.findings if f.code == "capture.no_camera_data" and f.image in (1, 2, 3)]
    assert no_camera and all(f.weight == 0.0 for f in no_camera)  # the page's frames never carry EXIF
    again = analyze([claim], live=shots, info=info, cache=cache)
    def strip(report: dict) -> dict:  # timings differ
        return {k: v for k, v in report.items() if k != "checks"}

    assert strip(to_dict(again)) == strip(to_dict(first))
    assert len(cache) == 4
    plain = analyze([claim])  # the claim pass of the capture analysis is the plain analysis' pass
    assert {f.code for f in plain.findings} == {f.code for f in first.findings if f.image == 0}
    assert first.checks["live"].status == "ran" and plain.checks["live"].status == "not_applicable"


def test_live_shots_count_in_the_claims_risk(session_images) -> None:  # type: ignore[no-untyped-def]
    claim, shots, info = session_images
    from refundguard.config import default_settings
    from refundguard.findings import Finding, Message
    from refundguard.verdict import assess

    settings = default_settings()
    forged_shot = Finding("tamper.local", "tamper", 1, 0.9, Message("a", "b"), weight=settings.weight("tamper.local"))
    judged = assess([forged_shot], ["claim", "live"], settings)
    assert judged.risk == pytest.approx(judged.image_risks[1]) and judged.level != "low"  # a live shot counts
    result = analyze([claim], live=shots, info=info)
    confirmed = [f for f in result.findings if f.code == "live.damage_confirmed"]
    assert confirmed and confirmed[0].contribution < 0  # damage seen live lowers the claim's risk
    assert result.assessment.risk < analyze([claim]).assessment.risk
    assert result.coverage.verified_by(0) == ("live_capture",) and result.coverage.basis == "verified"


def test_live_shots_without_their_session_record_fail_the_live_check(  # type: ignore[no-untyped-def]
        session_images) -> None:
    claim, shots, _ = session_images
    result = analyze([claim], live=shots)
    status = result.checks["live"]
    assert status.status == "failed" and "record of their capture session" in (status.error or "")
    assert result.assessment.level != "low" and result.coverage.incomplete


def test_passes_survive_the_database(tmp_path, session_images) -> None:  # type: ignore[no-untyped-def]
    from refundguard.config import default_settings

    claim, shots, _ = session_images
    info = ClaimInfo(live=LiveSession("s1", "K4AM", (LiveShot("whole"),)))
    db = Database(f"sqlite:///{tmp_path / 'rg.db'}")
    db.upgrade()
    first = analyze([claim], live=shots[:1], info=info, cache=DatabasePassCache(db))
    fresh = DatabasePassCache(db)  # another process: nothing in memory
    second = analyze([claim], live=shots[:1], info=info, cache=fresh)
    assert len(fresh.memory) == 2  # both passes came from the table
    assert [f.code for f in second.findings] == [f.code for f in first.findings]
    back = PassResult.from_dict(json.loads(json.dumps(PassResult(first.findings).to_dict())), default_settings())
    assert [(f.code, f.image, f.score) for f in back.findings] == [(f.code, f.image, round(f.score, 12))
                                                                   for f in first.findings]
    db.dispose()
