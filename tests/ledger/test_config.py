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


def test_the_ledger_table_of_the_application_config_is_read_with_the_rest(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """One file for engine, service and ledger (#13: one config object): the [ledger] table is the ledger's."""
    from refundguard.config import load_settings
    from refundguard.service.config import load_app_config

    monkeypatch.delenv("REFUNDGUARD_LEDGER_CONFIG", raising=False)
    path = tmp_path / "refundguard.toml"
    path.write_text('base_rate = 0.02\n[service.policy]\nmerchant_window_hours = 12\n'
                    '[ledger]\nplatform = "shop-x"\nexpiry_months = 9\n')
    cfg = load_app_config(path)
    assert (cfg.settings.base_rate, cfg.service.policy.merchant_window_hours) == (0.02, 12)
    assert (cfg.ledger.platform, cfg.ledger.expiry_months) == ("shop-x", 9)
    assert load_settings(path).base_rate == 0.02  # the engine's loader leaves the other tables alone
    plain = tmp_path / "plain.toml"
    plain.write_text("base_rate = 0.03\n")
    assert load_app_config(plain).ledger.platform == "local"  # no [ledger] table: the defaults, never the top level
    separate = tmp_path / "ledger.toml"
    separate.write_text('platform = "shop-y"\n')
    monkeypatch.setenv("REFUNDGUARD_LEDGER_CONFIG", str(separate))
    assert load_app_config(path).ledger.platform == "shop-y"  # a separate ledger file still wins when named


def test_ledger_commands_use_the_application_config_and_never_create_a_database(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    import json

    from typer.testing import CliRunner

    from refundguard.cli import app

    monkeypatch.delenv("REFUNDGUARD_LEDGER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "rg.db"
    path = tmp_path / "refundguard.toml"
    path.write_text(f'database_url = "sqlite:///{db}"\ndata_dir = "{tmp_path / "data"}"\n'
                    '[ledger]\nplatform = "shop-x"\n')
    runner = CliRunner()
    missing = runner.invoke(app, ["ledger", "key", "--config", str(path)])
    assert missing.exit_code == 2 and not db.exists()
    assert runner.invoke(app, ["db", "upgrade", "--config", str(path)]).exit_code == 0
    shown = runner.invoke(app, ["ledger", "key", "--config", str(path)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["platform"] == "shop-x"
