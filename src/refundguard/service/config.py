"""Service settings: routing policy, evidence limits, job backend, webhooks, background intervals.

Values come from defaults and ``REFUNDGUARD_SERVICE_*`` environment variables (nested with ``__``, e.g.
``REFUNDGUARD_SERVICE_POLICY__MERCHANT_WINDOW_HOURS=72``). The engine's own settings (database URL,
data directory, image limits) stay in :class:`refundguard.config.Settings`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from refundguard.capture.config import CaptureConfig


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
    timeout_s: float = 5.0
    tolerance_s: int = 300
    #: deliver to loopback/private/link-local addresses (a receiver inside your own network); off by default,
    #: because a tenant's URL would otherwise let it make the service call internal systems.
    allow_private_targets: bool = False


class ServiceConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFUNDGUARD_SERVICE_", env_nested_delimiter="__")

    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    capture: CaptureConfig = Field(default_factory=CaptureConfig)
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
