"""The live check's tuning harness (bench/capture_cache.py): passes kept on disk come back as they went, and the
claim and shot passes are keyed without ``[checks.live]`` (which they do not read), so that a replay with other live
settings finds them."""

from __future__ import annotations

from bench import capture_cache
from refundguard import engine
from refundguard.config import load_settings
from refundguard.findings import Finding, Message, Region
from refundguard.passes import PassResult


def test_a_pass_kept_on_disk_comes_back_with_the_current_weights(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings()
    found = Finding(code="tamper.local", check="tamper", image=0, score=0.7, message=Message(en="e", zh="z"),
                    weight=0.0, regions=(Region(1, 2, 3, 4),), details={"k": 1})
    cache = capture_cache.DiskPassCache(tmp_path)
    assert cache.get("k", settings) is None
    cache.put("k", PassResult(findings=[found]))
    [back] = cache.get("k", settings).findings
    assert (back.code, back.score, back.regions, back.details) == (found.code, found.score, found.regions,
                                                                  found.details)
    assert back.weight == settings.weight("tamper.local")


def test_the_harness_keys_passes_without_the_live_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from refundguard.checks._live.config import LiveConfig, PlaceSettings

    monkeypatch.setattr(engine, "pass_key", engine.pass_key)  # put back after the test
    settings = load_settings()

    def key(live: LiveConfig, other: PlaceSettings) -> str:  # ``other`` stands for any other check's settings
        return engine.pass_key("claim", [], [], settings=settings, configs={"live": live, "other": other},
                               checks=["tamper"], only=None, claim=None)

    default, changed = LiveConfig(), LiveConfig(place=PlaceSettings(side=1024))
    assert key(default, PlaceSettings()) != key(changed, PlaceSettings())  # the engine's own key
    capture_cache._without_live_settings()
    assert key(default, PlaceSettings()) == key(changed, PlaceSettings())
    assert key(default, PlaceSettings()) != key(default, PlaceSettings(side=1024))


def test_the_candidate_log_tells_a_line_held_back_by_its_darkening_alone() -> None:
    """A 2 px line darkened 0.6 (log units) on a real brick wall, the other view without it, is logged on its painted
    pixels and lacking; darkened 0.5 it measures under ``min_darkening`` (0.45) after the slight blur and is logged
    as held back by its darkening alone; after the log's block nothing more is recorded."""
    import cv2
    import numpy as np
    from skimage import data

    from refundguard.checks._live.config import PlaceSettings
    from refundguard.checks._live.place import examine_place

    wall = data.brick()[100:420, 100:420].astype(np.float32)
    line = np.zeros(wall.shape, np.uint8)
    cv2.line(line, (120, 110), (150, 200), 1, 2)
    other = cv2.GaussianBlur(wall, (0, 0), 0.7)

    logs: list[capture_cache.CandidateLog] = []

    def logged(depth: float) -> tuple[str, list[dict[str, object]]]:
        shows = wall.copy()
        shows[line > 0] *= np.exp(-depth)
        with capture_cache.CandidateLog() as log:
            logs.append(log)
            log.mask = line.astype(bool)
            seen = examine_place(cv2.GaussianBlur(shows, (0, 0), 0.7), other, np.eye(3), (100, 90, 80, 130),
                                 PlaceSettings())
        return seen.status, [r for r in log.rows if r["on_mask"]]

    status, [dark] = logged(0.6)
    assert status == "absent" and dark["is_lack"] and dark["darkening"] >= 0.45
    status, [faint] = logged(0.5)
    assert status != "absent" and not faint["is_lack"] and faint["lack_if_dark"] and faint["darkening"] < 0.45
    kept = len(logs[-1].rows)
    shows = wall.copy()
    shows[line > 0] *= np.exp(-0.6)
    again = examine_place(cv2.GaussianBlur(shows, (0, 0), 0.7), other, np.eye(3), (100, 90, 80, 130), PlaceSettings())
    assert again.status == "absent" and len(logs[-1].rows) == kept
