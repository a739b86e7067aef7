"""Service settings: routing policy, evidence and request limits, job backend, webhooks, web sessions and rate
limits, background intervals, the audit chain's signing key and the reuse index.

Values come from defaults, then the ``[service]`` table of the TOML settings file, then
``REFUNDGUARD_SERVICE_*`` environment variables (nested with ``__``, e.g.
``REFUNDGUARD_SERVICE_POLICY__MERCHANT_WINDOW_HOURS=72``). The engine's own settings (database URL, data
directory, image limits, ``[checks.*]``) stay in :class:`refundguard.config.Settings`; :class:`AppConfig` is both,
loaded once from one file (:func:`load_app_config`) and handed to the API, the jobs, the Celery workers and the
checks alike.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from refundguard.capture.config import CaptureConfig
from refundguard.config import Settings, load_settings
from refundguard.errors import ConfigError
from refundguard.ledger.config import LedgerConfig, load_ledger_config


class PolicyConfig(BaseModel):
    """How an analysed claim is routed. Auto-approval needs every condition; anything else waits."""

    auto_approve_levels: list[str] = Field(default_factory=lambda: ["low"])
    auto_approve_max_amount: float = 200.0
    #: where a ``low`` that no verification backs goes (never to an automatic refund): ``merchant_window``
    #: (the merchant may add the listing photo, then a reviewer) or ``review`` (straight to a reviewer)
    #: ``capture`` asks the buyer for a live capture (refundguard.capture), then a reviewer if still unverified
    unverified_low: Literal["merchant_window", "review", "capture"] = "merchant_window"
    merchant_window_hours: float = 48.0
    review_window_hours: float = 72.0
    #: how long a reviewer's request for more evidence stays open by default (the request may set its own)
    more_evidence_hours: float = Field(72.0, gt=0)


class EvidenceConfig(BaseModel):
    """Upload limits. Image byte and pixel limits also apply from the engine's ``Limits``."""

    max_photo_bytes: int = 25 * 1024 * 1024
    max_video_bytes: int = 200 * 1024 * 1024
    max_files_per_request: int = 12
    max_keyframes: int = 8
    max_decoded_frames: int = 1800
    keyframe_max_side: int = 1600
    max_statement_chars: int = 5000


class WebhookConfig(BaseModel):
    max_attempts: int = 6
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0
    #: the whole attempt (name lookup, connect, TLS, sending, the receiver's answer) ends after this many
    #: seconds, however slowly the receiver drips its bytes
    timeout_s: float = 5.0
    tolerance_s: int = 300
    #: deliver to loopback/private/link-local addresses (a receiver inside your own network); off by default,
    #: because a tenant's URL would otherwise let it make the service call internal systems.
    allow_private_targets: bool = False
    #: ports a webhook URL may name, as ``"80,443,1024-65535"`` (ranges inclusive)
    allowed_ports: str = "80,443,1024-65535"
    #: bytes of a receiver's answer that are read at most; the rest is dropped with the connection
    max_response_bytes: int = Field(default=64 * 1024, ge=0)
    #: deliveries in flight at once in one server process
    max_concurrent: int = Field(default=8, ge=1)
    #: of those, how many one tenant may hold: a slow or broken receiver delays other tenants by at most this
    per_tenant_slots: int = Field(default=1, ge=1)

    @field_validator("allowed_ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        from refundguard.service.webhooks.targets import port_ranges

        port_ranges(value)
        return value


class RequestLimitsConfig(BaseModel):
    """Request bodies: checked against the key or session *before* a byte is read, capped by the announced
    length and again while streaming, and dropped when they arrive too slowly."""

    #: ``POST /v1/claims`` (photos only)
    max_claim_request_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    #: ``POST /v1/claims/{id}/evidence`` and the merchant's web form (a packing video and photos)
    max_evidence_request_bytes: int = Field(default=264 * 1024 * 1024, ge=1024)
    #: every other request body (JSON, small forms)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: the longest pause between two pieces of a body
    body_idle_timeout_s: float = Field(default=20.0, gt=0)
    #: a body must arrive within ``body_base_timeout_s + size / body_min_rate`` seconds
    body_base_timeout_s: float = Field(default=30.0, gt=0)
    body_min_rate: int = Field(default=128 * 1024, ge=1)
    #: uploads (claims, evidence) one tenant may have in flight at once
    tenant_concurrent_uploads: int = Field(default=4, ge=1)
    #: upload bytes one tenant may send per hour (all its keys together)
    tenant_upload_bytes_per_hour: int = Field(default=4 * 1024 * 1024 * 1024, ge=1024)


class SecurityConfig(BaseModel):
    """Web sessions, login and API-key rate limits, browser security headers."""

    #: a web session ends this long after login, whatever happens
    session_lifetime_s: float = Field(default=12 * 3600.0, gt=0)
    #: ... or after this long without a page view
    session_idle_s: float = Field(default=2 * 3600.0, gt=0)
    #: failed logins from one client address within ``login_window_s`` before it gets 429 until the window passes
    login_failures: int = Field(default=10, ge=1)
    login_window_s: float = Field(default=600.0, gt=0)
    #: requests with a wrong API key from one client address within ``key_window_s`` before it gets 429
    key_failures: int = Field(default=30, ge=1)
    key_window_s: float = Field(default=60.0, gt=0)
    #: ``Strict-Transport-Security`` max-age sent on https requests (0: none)
    hsts_max_age_s: int = Field(default=180 * 24 * 3600, ge=0)


class AuditConfig(BaseModel):
    """Where the audit chain's signing key and the service's held checkpoints live: files outside the database.

    ``None`` means ``<data_dir>/keys/audit-signing-key.pem`` and ``<data_dir>/keys/audit-checkpoints.json``.
    Keep them on storage that whoever can write the database cannot write (see docs/security.md).
    """

    model_config = ConfigDict(extra="forbid")

    signing_key: Path | None = None
    witness: Path | None = None

    def key_path(self, settings: Settings) -> Path:
        return (self.signing_key or Path(settings.data_dir) / "keys" / "audit-signing-key.pem").expanduser()

    def witness_path(self, settings: Settings) -> Path:
        return (self.witness or Path(settings.data_dir) / "keys" / "audit-checkpoints.json").expanduser()


class ReuseConfig(BaseModel):
    """The service's reuse index: on by default. ``index_url`` None means the engine's ``index_url`` setting, else
    ``<data_dir>/reuse-index.db`` (embedded) beside a SQLite database, or the service database itself (pgvector)
    on PostgreSQL."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    index_url: str | None = None


#: the ``[service]`` table of the settings file being loaded (see :func:`load_service_config`)
_FILE_SECTION: ContextVar[dict[str, Any] | None] = ContextVar("refundguard_service_file_section", default=None)


class _FileSection(PydanticBaseSettingsSource):
    """The ``[service]`` table of the settings file, below the environment in priority."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_FILE_SECTION.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_SECTION.get() or {})


class DisplayConfig(BaseModel):
    """``[service.display]``: times on the pages, in the PDF and in webhooks' words are shown in the tenant's zone
    (with its UTC offset): ``tenants`` maps a tenant to an IANA zone; the others use ``timezone``."""

    timezone: str = "Asia/Shanghai"
    tenants: dict[str, str] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _zone_info(value)
        return value

    @field_validator("tenants")
    @classmethod
    def _zones(cls, value: dict[str, str]) -> dict[str, str]:
        for zone in value.values():
            _zone_info(zone)
        return value

    def zone_name(self, tenant: str | None) -> str:
        return self.tenants.get(tenant or "", self.timezone)

    def zone(self, tenant: str | None) -> Any:
        return _zone_info(self.zone_name(tenant))


def _zone_info(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from exc


class ServiceConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDGUARD_SERVICE_", env_nested_delimiter="__", extra="forbid")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSection(settings_cls)

    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    capture: CaptureConfig = Field(default_factory=CaptureConfig)
    requests: RequestLimitsConfig = Field(default_factory=RequestLimitsConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    jobs_backend: Literal["local", "celery"] = "local"
    #: analyses in flight at once in the embedded service (``jobs_backend = "local"``)
    local_workers: int = 2
    #: where they run: worker processes (default; each imports the engine once) or threads of the server process
    local_pool: Literal["processes", "threads"] = "processes"
    broker_url: str = "redis://127.0.0.1:6379/0"
    job_lease_s: float = 600.0
    max_job_runtime_s: float = 3600.0
    max_job_attempts: int = 3
    sweep_interval_s: float = 15.0
    recover_interval_s: float = 30.0
    dispatch_interval_s: float = 1.0
    background: bool = True
    upgrade_on_start: bool = True
    audit: AuditConfig = Field(default_factory=AuditConfig)
    reuse: ReuseConfig = Field(default_factory=ReuseConfig)
    display: DisplayConfig = Field(default_factory=DisplayConfig)


@contextmanager
def _file_section(section: dict[str, Any]) -> Iterator[None]:
    token = _FILE_SECTION.set(section)
    try:
        yield
    finally:
        _FILE_SECTION.reset(token)


def _service_table(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    table = data.get("service", {})
    if not isinstance(table, dict):
        raise ConfigError(f"config {path}: [service] must be a table")
    return table


def load_service_config(path: str | os.PathLike[str] | None = None, **overrides: Any) -> ServiceConfig:
    """Service settings from defaults, the ``[service]`` table of ``path`` (or ``$REFUNDGUARD_CONFIG``), the
    environment and ``overrides`` (highest first: overrides, environment, file)."""
    section = _service_table(path or os.environ.get("REFUNDGUARD_CONFIG"))
    try:
        with _file_section(section):
            return ServiceConfig(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"[service] {where}: {first.get('msg', 'invalid')}") from None


@dataclass(frozen=True)
class AppConfig:
    """The application's whole configuration, loaded once: the engine's settings (database, data directory,
    limits, ``[checks.*]``) and the service's. Every process (server, worker, command) builds one and passes it on."""

    settings: Settings
    service: ServiceConfig
    ledger: LedgerConfig
    path: Path | None = None


def load_app_config(path: str | os.PathLike[str] | None = None, *, database_url: str | None = None,
                    **service_overrides: Any) -> AppConfig:
    """Load both halves from one file (``path`` or ``$REFUNDGUARD_CONFIG``) and the environment.

    Raises
    ------
    ConfigError
        With a one-line reason for an unreadable file or an invalid value.
    """
    chosen = path or os.environ.get("REFUNDGUARD_CONFIG") or None
    overrides = {"database_url": database_url} if database_url else {}
    settings = load_settings(chosen, **overrides)
    service = load_service_config(chosen, **service_overrides)
    ledger = load_ledger_config(app_file=chosen)
    return AppConfig(settings=settings, service=service, ledger=ledger, path=Path(chosen) if chosen else None)
