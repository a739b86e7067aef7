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
