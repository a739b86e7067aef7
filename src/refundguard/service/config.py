"""Service settings: routing policy, evidence and request limits, job backend, webhooks, sessions and rate
limits, background intervals.

Values come from defaults and ``REFUNDGUARD_SERVICE_*`` environment variables (nested with ``__``, e.g.
``REFUNDGUARD_SERVICE_POLICY__MERCHANT_WINDOW_HOURS=72``). The engine's own settings (database URL,
data directory, image limits) stay in :class:`refundguard.config.Settings`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PolicyConfig(BaseModel):
    """How an analysed claim is routed. Auto-approval needs every condition; anything else waits."""

    auto_approve_levels: list[str] = Field(default_factory=lambda: ["low"])
    auto_approve_max_amount: float = 200.0
    merchant_window_hours: float = 48.0
    review_window_hours: float = 72.0


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


class ServiceConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDGUARD_SERVICE_", env_nested_delimiter="__")

    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    requests: RequestLimitsConfig = Field(default_factory=RequestLimitsConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    jobs_backend: Literal["local", "celery"] = "local"
    local_workers: int = 2
    broker_url: str = "redis://127.0.0.1:6379/0"
    job_lease_s: float = 600.0
    max_job_runtime_s: float = 3600.0
    max_job_attempts: int = 3
    sweep_interval_s: float = 15.0
    recover_interval_s: float = 30.0
    dispatch_interval_s: float = 1.0
    background: bool = True
    upgrade_on_start: bool = True
