"""The registry's contract with checks: typed [checks.*] settings, per-photo skips, coverage, upstream."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from refundguard.checks import registry
from refundguard.checks.registry import CheckContext, ClaimInfo, check_configs
from refundguard.config import load_settings
from refundguard.errors import ConfigError


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: float = 0.5


def _fake(name: str, config: type[BaseModel] | None = _Cfg) -> registry.Check:
    return registry.Check(name=name, run=lambda ctx: [], after=(), doc="", config=config)


def test_check_config_defaults_and_overrides(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[checks.fake]\nthreshold = 0.8\n")
    settings = load_settings(cfg)
    configs = check_configs(settings, [_fake("fake")])
    assert configs["fake"].threshold == 0.8
    assert check_configs(load_settings(), [_fake("fake")])["fake"].threshold == 0.5


def test_unknown_check_section_and_key_are_errors(tmp_path):
    bad_name = tmp_path / "a.toml"
    bad_name.write_text("[checks.nosuch]\nx = 1\n")
    with pytest.raises(ConfigError, match="nosuch"):
        check_configs(load_settings(bad_name), [_fake("fake")])
    bad_key = tmp_path / "b.toml"
    bad_key.write_text("[checks.fake]\ntreshold = 1\n")
    with pytest.raises(ConfigError, match=r"\[checks.fake\] treshold"):
        check_configs(load_settings(bad_key), [_fake("fake")])
    with pytest.raises(ConfigError, match="takes no"):
        check_configs(load_settings(bad_key), [_fake("fake", config=None)])


def test_real_checks_validate_with_packaged_defaults():
    checks = registry.registered()
    configs = check_configs(load_settings(), checks)
    assert set(configs) == {c.name for c in checks if c.config is not None}


def test_context_records_skips_and_verifications():
    ctx = CheckContext(images=[], roles=[], claim=ClaimInfo(), settings=load_settings(), check_name="fake")
    ctx.skip(0, en="too small", zh="太小")
    ctx.verified("second_view", [0, 1], en="compared", zh="已比较")
    assert ctx.skips[0].check == "fake" and ctx.skips[0].image == 0
    assert ctx.verifications[0].images == (0, 1)
    with pytest.raises(ValueError, match="coverage kind"):
        ctx.verified("vibes", [0], en="", zh="")
    with pytest.raises(ConfigError, match="no config model"):
        _ = ctx.config
