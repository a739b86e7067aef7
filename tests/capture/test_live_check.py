"""The ``live`` check's findings on sessions built from a real item (scikit-image's stereo motorcycle: two real
camera views): the wrong code, another item, something painted over at the claimed place, and live shots that
disagree at the claimed place (one shot edited like the claim photo). Only the live check runs (the other checks
on live shots are tests/capture/test_passes.py's)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from refundguard.checks.registry import ClaimInfo, LiveSession, LiveShot
from refundguard.engine import Analysis, analyze
from refundguard.media.load import load_image
from tests.capture.sessions import jpeg, paint_crack, reframe, with_card

pytestmark = pytest.mark.slow  # each test compares a claim photo with three live shots
KINDS = ("whole", "close", "turned")
CODE = "K4AM"
BOX = (300, 200, 160, 90)  # where the damage is claimed (x, y, w, h)


@pytest.fixture(scope="module")
def views() -> tuple[np.ndarray, np.ndarray]:
    left, right = data.stereo_motorcycle()[:2]
    return np.ascontiguousarray(left), np.ascontiguousarray(right)


def _honest_shots(left: np.ndarray, right: np.ndarray, code: str = CODE) -> list[np.ndarray]:
    return [with_card(reframe(left, zoom=1.05, tilt=0.02), code), reframe(left, zoom=2.2, centre=(0.5, 0.45)), right]


def _judge(claim: np.ndarray, shots: list[np.ndarray], *, marked: tuple = ()) -> Analysis:  # type: ignore[type-arg]
    info = ClaimInfo(live=LiveSession("s1", CODE, tuple(LiveShot(k) for k in KINDS), marked=marked))
    return analyze([load_image(jpeg(claim), name="claim.jpg")],
                   live=[load_image(jpeg(s), name=f"{k}.jpg") for s, k in zip(shots, KINDS, strict=True)],
                   info=info, only=["live"])


def _codes(result: Analysis) -> dict[str, int | None]:
    return {f.code: f.image for f in result.findings if f.check == "live"}


def test_the_wrong_code_in_shot_a_is_a_finding_and_verifies_nothing(views) -> None:  # type: ignore[no-untyped-def]
    left, right = views
    result = _judge(left, _honest_shots(left, right, code="XRTW"))  # a code, but not this request's
    codes = _codes(result)
    assert codes.get("live.code_wrong") == 1 and "live.damage_confirmed" not in codes
    [wrong] = [f for f in result.findings if f.code == "live.code_wrong"]
    assert wrong.details["expected"] == CODE and wrong.regions  # where the other code was read
    assert wrong.variant == "wrong" and "whole.jpg" in wrong.message.en and "whole.jpg" in wrong.message.zh
    assert "XRTW" in wrong.message.en and "验证码" in wrong.message.zh  # worded by the catalogue, in both languages
    assert result.coverage.verified_by(0) == () and result.assessment.level != "low"


def test_live_shots_of_another_item_do_not_match_the_claim(views) -> None:  # type: ignore[no-untyped-def]
    left, _ = views
    other = np.ascontiguousarray(data.astronaut())
    result = _judge(left, [with_card(other, CODE), reframe(other, zoom=2.0), np.ascontiguousarray(data.chelsea())])
    assert _codes(result) == {"live.item_not_matched": 0}
    assert result.coverage.verified_by(0) == ()  # a weak finding, but the capture verifies nothing


def test_something_painted_over_at_the_claimed_place_is_reported(views) -> None:  # type: ignore[no-untyped-def]
    left, right = views
    x, y, w, h = BOX
    covered = left.copy()  # the claim photo with the place smoothed over (a removal), the live item untouched
    covered[y:y + h, x:x + w] = cv2.GaussianBlur(left, (0, 0), 25)[y:y + h, x:x + w]
    result = _judge(covered, _honest_shots(left, right), marked=((0, *BOX),))
    codes = _codes(result)
    assert codes.get("live.place_differs") == 0 and "live.damage_confirmed" not in codes
    [differs] = [f for f in result.findings if f.code == "live.place_differs"]
    assert any(r.x < x + w and x < r.x + r.w and r.y < y + h and y < r.y + r.h for r in differs.regions)
    assert result.coverage.verified_by(0) == () and result.assessment.level != "low"


def test_shots_that_disagree_at_the_claimed_place_verify_nothing(views) -> None:  # type: ignore[no-untyped-def]
    left, right = views
    forged = paint_crack(left, BOX)  # the crack painted on the claim photo and on the close-up only
    shots = _honest_shots(left, right)
    shots[1] = reframe(forged, zoom=2.2, centre=(0.5, 0.45))
    result = _judge(forged, shots, marked=((0, *BOX),))
    assert "live.damage_confirmed" not in _codes(result)
    assert result.coverage.verified_by(0) == ()  # never refunded on the strength of these shots


def test_the_honest_session_is_confirmed_and_verified(views) -> None:  # type: ignore[no-untyped-def]
    left, right = views
    result = _judge(left, _honest_shots(left, right))
    assert _codes(result) == {"live.damage_confirmed": None}
    assert result.coverage.verified_by(0) == ("live_capture",)


def test_a_screen_photographed_as_a_live_shot_is_a_recapture(views) -> None:  # type: ignore[no-untyped-def]
    from bench.capture_session import screen_photo

    left, right = views
    shots = _honest_shots(left, right)
    shots[2] = screen_photo(left, np.random.default_rng(7), out=(1480, 1000))  # the claim photo shown on a screen
    result = _judge(left, shots)
    codes = _codes(result)
    assert codes.get("live.recapture") == 3 and "live.damage_confirmed" not in codes
    assert result.coverage.verified_by(0) == ()
