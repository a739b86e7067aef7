"""Ledger settings: files, environment, and the rules across fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from refundguard.errors import ConfigError
from refundguard.ledger.config import load_ledger_config

KEY = "ab" * 32


def test_defaults_are_single_platform_with_the_issue_retention():
    config = load_ledger_config()
    assert (config.mode, config.appeal_window_days, config.expiry_months) == ("single", 15.0, 24)


def test_a_file_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "ledger.toml"
    path.write_text(f'[ledger]\nmode = "network"\nplatform = "shop-a"\nexpiry_months = 12\n'
                    f'[ledger.operator]\nurl = "http://op:8100"\npublic_key = "{KEY}"\n'
                    f'[[ledger.peers]]\nplatform = "shop-b"\nurl = "https://b.example/"\npublic_key = "{KEY}"\n')
    monkeypatch.setenv("REFUNDGUARD_LEDGER_EXPIRY_MONTHS", "6")
    config = load_ledger_config(path)
    assert config.expiry_months == 6 and config.peers[0].url == "https://b.example"
    assert config.member_keys() == {"shop-b": KEY}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"mode": "network"}, "operator"),
    ({"peers": [{"platform": "b", "url": "http://b", "public_key": KEY}]}, "network mode"),
    ({"platform": "Shop A"}, "platform"),
    ({"mode": "network", "platform": "a", "operator": {"url": "http://o", "public_key": KEY},
      "peers": [{"platform": "a", "url": "http://b", "public_key": KEY}]}, "own peer"),
    ({"peers": [{"platform": "b", "url": "ftp://b", "public_key": KEY}]}, "url"),
    ({"unknown": 1}, "unknown"),
])
def test_bad_settings_are_named(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_ledger_config(None, **overrides)
