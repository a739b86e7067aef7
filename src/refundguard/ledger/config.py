"""Ledger settings: this platform's identity and keys, the members it trusts, the OPRF operator, retention.

Values come from defaults, the ``[ledger]`` table of the application's one config file (``--config`` /
``REFUNDGUARD_CONFIG``, loaded with the engine's and the service's settings by
:func:`refundguard.service.config.load_app_config`) — or a separate file named by ``REFUNDGUARD_LEDGER_CONFIG`` or
``--ledger-config`` — and ``REFUNDGUARD_LEDGER_*`` environment variables (nested with ``__``). Membership is
configuration: a member is a platform name, the URL of its feed and its Ed25519 public key.

Two modes:

- ``single`` (default): one platform, pseudonyms are a keyed HMAC under a local secret, no peers. Serves
  ``make run`` and small users; entries are still signed and chained. Its pseudonyms mean nothing to other
  platforms, so a platform that joins a network registers its buyers' identifiers again (docs/ledger.md).
- ``network``: pseudonyms come from the OPRF operator (RFC 9497 VOPRF, ristretto255-SHA512), feeds are pulled
  from every configured peer.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from refundguard.errors import ConfigError

PLATFORM_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _platform(value: str) -> str:
    if not PLATFORM_PATTERN.match(value):
        raise ValueError("a platform name is 1-64 lower-case letters, digits or . _ -")
    return value


PlatformName = Annotated[str, AfterValidator(_platform)]


class Peer(BaseModel):
    """A member whose feed this platform pulls: its name, feed base URL and Ed25519 public key (hex)."""

    model_config = ConfigDict(extra="forbid")

    platform: PlatformName
    url: str
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError("url must be an http(s) URL")
        return value.rstrip("/")


class Member(BaseModel):
    """A member known to the operator (or allowed to forward appeals): name and Ed25519 public key (hex)."""

    model_config = ConfigDict(extra="forbid")

    platform: PlatformName
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")


class OperatorLink(BaseModel):
    """Where the OPRF operator is and the VOPRF public key every evaluation is verified against (hex)."""

    model_config = ConfigDict(extra="forbid")

    url: str = ""
    public_key: str = Field("", pattern=r"^([0-9a-f]{64})?$")
    timeout_s: float = Field(5.0, gt=0, le=60)


class LedgerConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDGUARD_LEDGER_", env_nested_delimiter="__", extra="forbid")

    enabled: bool = True
    mode: Literal["single", "network"] = "single"
    #: this platform's name in every entry it issues (defaults to ``local`` in single mode)
    platform: PlatformName = "local"
    #: folder of the signing key (``signing.key``) and, in single mode, the HMAC secret (``pseudonym.key``);
    #: default: ``<data_dir>/ledger``
    key_dir: Path | None = None
    #: public URL of this service, written into the buyer's access links
    public_url: str = "http://127.0.0.1:8000"
    #: days a buyer has to appeal a reviewer's abuse decision before it is published
    appeal_window_days: float = Field(15.0, ge=0, le=365)
    #: months an entry stays in answers; then it is revoked (``expired``) and its data erased
    expiry_months: int = Field(24, ge=1, le=120)
    #: the outcome classes a reviewer's decision maps to (forged or reused evidence)
    outcome_classes: list[str] = Field(default_factory=lambda: ["forged_evidence", "reused_evidence"])
    peers: list[Peer] = Field(default_factory=list)
    #: members allowed to call this platform's member endpoints (feed, appeal forwarding); peers are members too
    members: list[Member] = Field(default_factory=list)
    operator: OperatorLink = Field(default_factory=OperatorLink)
    #: default region for phone numbers written without a country code (ISO 3166 alpha-2)
    default_region: str = Field("CN", pattern=r"^[A-Z]{2}$")
    #: who runs the rounds (publish, expire, forward appeals, pull peers): the service process's own thread, or
    #: Celery beat (``refundguard worker --beat``; :mod:`refundguard.ledger.tasks`)
    schedule: Literal["process", "celery"] = "process"
    sync_interval_s: float = Field(300.0, ge=1)
    publish_interval_s: float = Field(60.0, ge=1)
    #: most records per feed page served and accepted
    page_records: int = Field(1000, ge=1, le=10000)
    #: most bytes of one feed page accepted from a peer
    max_page_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    #: seconds a signed request or page may be older (or newer) than this clock
    clock_tolerance_s: int = Field(300, ge=5, le=3600)
    peer_timeout_s: float = Field(10.0, gt=0, le=120)
    #: hours a buyer's access link stays valid
    buyer_link_hours: float = Field(72.0, gt=0, le=24 * 30)

    def member_keys(self) -> dict[str, str]:
        """Platform -> public key of every member allowed to call this platform (peers included)."""
        keys = {m.platform: m.public_key for m in self.members}
        keys.update({p.platform: p.public_key for p in self.peers})
        return keys


def load_ledger_config(path: str | os.PathLike[str] | None = None, *,
                       app_file: str | os.PathLike[str] | None = None, **overrides: Any) -> LedgerConfig:
    """Settings from a ledger file (``path`` or ``$REFUNDGUARD_LEDGER_CONFIG``: its top level or its ``[ledger]``
    table), else from the ``[ledger]`` table of the application's config file ``app_file``; then the environment
    and ``overrides``."""
    data: dict[str, Any] = {}
    path = path or os.environ.get("REFUNDGUARD_LEDGER_CONFIG")
    source = path or app_file
    if source:
        try:
            data = tomllib.loads(Path(source).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read ledger config {source}: {exc}") from exc
        data = data.get("ledger", data if path else {})
    env_keys = {k[len("REFUNDGUARD_LEDGER_"):].split("__")[0].lower() for k in os.environ
                if k.startswith("REFUNDGUARD_LEDGER_") and k != "REFUNDGUARD_LEDGER_CONFIG"}
    for key in env_keys & set(data) - set(overrides):
        data.pop(key)
    data.update(overrides)
    try:
        config = LedgerConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"ledger config {where or ''}: {first.get('msg', 'invalid')}") from None
    return validate(config)


def validate(config: LedgerConfig) -> LedgerConfig:
    """The rules across fields (also for a config built in code)."""
    if config.mode == "network" and not (config.operator.url and config.operator.public_key):
        raise ConfigError("ledger config: network mode needs operator.url and operator.public_key")
    if config.mode == "single" and config.peers:
        raise ConfigError("ledger config: peers need network mode (single-platform pseudonyms match nowhere else)")
    if config.platform in {p.platform for p in config.peers}:
        raise ConfigError(f"ledger config: {config.platform} is this platform; it cannot be its own peer")
    return config
