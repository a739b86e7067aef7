"""Settings: limits, thresholds and finding weights.

Values come from defaults, then ``REFUNDGUARD_*`` environment variables, then an optional TOML file
named by ``REFUNDGUARD_CONFIG``. Thresholds and weights are data, not code.
"""

from __future__ import annotations

import math
import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from refundguard.errors import ConfigError


class Limits(BaseModel):
    """Hard limits on what the loader accepts (decompression-bomb and hostile-metadata guards)."""

    max_bytes: int = 60 * 1024 * 1024
    max_pixels: int = 64_000_000
    max_side: int = 20_000
    max_frames: int = 4
    max_xmp_bytes: int = 2 * 1024 * 1024
    max_xmp_depth: int = 64
    max_metadata_bytes: int = 8 * 1024 * 1024
    max_chunks: int = 5_000
    max_video_bytes: int = 300 * 1024 * 1024


class Levels(BaseModel):
    """Risk thresholds that turn a probability into a level."""

    review: float = 0.5
    high: float = 0.9


class Calibration(BaseModel):
    """The fitted intercept of the verdict model and the share of forged claims in the data it was fitted on.

    ``python -m bench calibrate`` writes both; :attr:`Settings.prior_logit` moves the intercept from the
    training share to the platform's ``base_rate`` (prior correction), so risks are probabilities there.
    """

    intercept: float = -1.5
    training_share: float = Field(0.33, gt=0.0, lt=1.0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDGUARD_", env_nested_delimiter="__")

    limits: Limits = Field(default_factory=Limits)
    levels: Levels = Field(default_factory=Levels)
    base_rate: float = Field(0.05, gt=0.0, lt=1.0)
    calibration: Calibration = Field(default_factory=Calibration)
    weights: dict[str, float] = Field(default_factory=dict)
    #: weights that replace ``weights`` for live shots (photos taken through the capture page)
    live_weights: dict[str, float] = Field(default_factory=dict)
    subsumes: dict[str, list[str]] = Field(default_factory=dict)
    floors: dict[str, Literal["review", "high"]] = Field(default_factory=dict)
    #: per-check typed settings, ``[checks.<name>]``; each check's model validates its own section
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    trust_anchors: Path | None = None
    database_url: str = "sqlite:///refundguard.db"
    index_url: str | None = None
    data_dir: Path = Path("refundguard-data")

    @property
    def prior_logit(self) -> float:
        """Log-odds of forgery for a claim photo without any finding, at this platform's ``base_rate``.

        The fitted intercept holds at the calibration data's share of forged claims; under label shift the
        log-odds move by the difference of the two priors' logits (King & Zeng 2001, Saerens et al. 2002).
        """
        return self.calibration.intercept + logit(self.base_rate) - logit(self.calibration.training_share)

    def weight(self, code: str) -> float:
        """The log-odds weight of a finding code; unknown codes fall back to their family."""
        if code in self.weights:
            return self.weights[code]
        family = code.rsplit(".", 1)[0]
        while family:
            if family in self.weights:
                return self.weights[family]
            if "." not in family:
                break
            family = family.rsplit(".", 1)[0]
        raise ConfigError(f"no weight configured for finding code {code!r}")


def logit(p: float) -> float:
    """Log-odds of a probability."""
    return math.log(p / (1.0 - p))


def _default_file() -> dict[str, Any]:
    """The packaged defaults with the packaged verdict fit (``calibration.toml``) merged in."""
    package = resources.files("refundguard.data")
    data = tomllib.loads(package.joinpath("defaults.toml").read_text("utf-8"))
    fitted = tomllib.loads(package.joinpath("calibration.toml").read_text("utf-8"))
    return _merged(data, fitted)


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` laid over it, tables merged key by key at every depth."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the packaged defaults, an optional TOML file, the environment and overrides."""
    data = _default_file()
    path = path or os.environ.get("REFUNDGUARD_CONFIG")
    if path:
        try:
            user = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        user.pop("service", None)  # the claim service's own table (refundguard.service.config)
        data = _merged(data, user)
    data.update(overrides)
    # Environment variables win over files: pydantic-settings gives init kwargs priority, so drop
    # keys that the environment sets.
    env_keys = {k[len("REFUNDGUARD_"):].split("__")[0].lower() for k in os.environ if k.startswith("REFUNDGUARD_")}
    for key in env_keys & set(data) - set(overrides):
        data.pop(key)
    return Settings(**data)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return load_settings()
