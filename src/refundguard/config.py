"""Settings: limits, thresholds and finding weights.

Values come from defaults, then ``REFUNDGUARD_*`` environment variables, then an optional TOML file
named by ``REFUNDGUARD_CONFIG``. Thresholds and weights are data, not code.

The environment is read as pydantic-settings reads it (prefix ``REFUNDGUARD_``, nested with ``__``, names
case-insensitive, complex values as JSON), through its own environment source; that library (with asyncio and
its cloud providers, ~50 ms) is imported only when a ``REFUNDGUARD_*`` variable names one of the settings, so
that a plain command-line start does not pay for it.
"""

from __future__ import annotations

import math
import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from refundguard.errors import ConfigError


class Limits(BaseModel):
    """What the loader accepts and what one analysis may cost.

    The hard limits (``max_*``) refuse a file from its container structure, before any decoder runs:
    decompression bombs, hostile metadata, structures whose parsing alone is expensive. The analysis
    budget (``analysis_pixels`` per photo, ``claim_pixels`` per claim) is decided from the same walk:
    a photo over it is decoded at reduced size (``over_budget = "reduce"``, recorded on the photo and
    in the report) or refused (``"refuse"``).
    """

    max_bytes: int = Field(60 * 1024 * 1024, gt=0)
    max_pixels: int = Field(64_000_000, gt=0)
    max_side: int = Field(20_000, gt=0)
    #: long side / short side; a 1×20000 strip is not a photo
    max_aspect: float = Field(50.0, ge=1.0)
    max_frames: int = Field(4, gt=0)
    max_xmp_bytes: int = Field(2 * 1024 * 1024, gt=0)
    max_xmp_depth: int = Field(64, gt=0)
    max_metadata_bytes: int = Field(8 * 1024 * 1024, gt=0)
    max_chunks: int = Field(5_000, gt=0)
    #: strips or tiles of one TIFF image (each a separate piece to locate and decode); also the most
    #: values one numeric TIFF tag may hold
    max_tiff_blocks: int = Field(100_000, gt=0)
    #: scans of one JPEG: every progressive scan passes over the whole picture again
    max_jpeg_scans: int = Field(100, gt=0)
    #: RLE-compressed BMPs are decoded by Pillow's pure-Python decoder (~0.1-0.6 µs a pixel): bounded apart
    max_rle_pixels: int = Field(4_000_000, gt=0)
    #: analysis budget of one photo, in decoded pixels: the full analysis of a photo this size stays within
    #: 10 s and 1.5 GB on 2 cores (bench/results/hostile.json); 12 MP phone photos fit, 24 MP ones are
    #: analysed at reduced size
    analysis_pixels: int = Field(16_000_000, gt=0)
    #: analysis budget of one claim (claim photos and references together), in decoded pixels
    claim_pixels: int = Field(100_000_000, gt=0)
    #: what happens to a photo over its budget: decoded at reduced size, or refused
    over_budget: Literal["reduce", "refuse"] = "reduce"
    max_video_bytes: int = Field(300 * 1024 * 1024, gt=0)


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


#: prefix and nesting delimiter of the environment variables that set :class:`Settings`
ENV_PREFIX = "REFUNDGUARD_"
ENV_NESTED_DELIMITER = "__"


class Settings(BaseModel):
    """Every setting of an analysis. Built like a pydantic-settings ``BaseSettings``: keyword arguments over the
    ``REFUNDGUARD_*`` environment over the defaults, merged table by table (:func:`environment`)."""

    # pydantic-settings' BaseSettings configuration, which this class had before
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_default=True)

    def __init__(self, **data: Any) -> None:
        env = environment()
        super().__init__(**(_merged(env, data) if env else data))

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


def environment() -> dict[str, Any]:
    """The values the ``REFUNDGUARD_*`` environment gives :class:`Settings`, parsed by pydantic-settings'
    environment source (case-insensitive names, ``__`` nesting, JSON for tables); ``{}`` without importing it when
    no variable names a setting."""
    fields = set(Settings.model_fields)
    prefix = ENV_PREFIX.lower()
    if not any(k.lower().startswith(prefix) and k[len(prefix):].lower().split(ENV_NESTED_DELIMITER)[0] in fields
               for k in os.environ):
        return {}
    from pydantic_settings import EnvSettingsSource

    source = EnvSettingsSource(Settings, case_sensitive=False, env_prefix=ENV_PREFIX,  # type: ignore[arg-type]
                               env_nested_delimiter=ENV_NESTED_DELIMITER)
    return source()


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
        user.pop("ledger", None)  # the ledger's own table (refundguard.ledger.config)
        data = _merged(data, user)
    data.update(overrides)
    # Environment variables win over files: Settings gives its keyword arguments priority, so drop
    # keys that the environment sets.
    env_keys = {k[len("REFUNDGUARD_"):].split("__")[0].lower() for k in os.environ if k.startswith("REFUNDGUARD_")}
    for key in env_keys & set(data) - set(overrides):
        data.pop(key)
    return Settings(**data)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return load_settings()
