"""Capture settings (``[service.capture]`` / ``REFUNDGUARD_SERVICE_CAPTURE__*``): when to ask, deadlines, limits,
signing.

The policy of when a capture is asked for is per tenant: :attr:`CaptureConfig.policy` is the default and
:attr:`CaptureConfig.tenants` replaces it for named tenants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: bytes of a multipart frame upload beyond its file (field names, boundaries, the page's clock fields)
FORM_SLACK = 64 * 1024


class CapturePolicy(BaseModel):
    """When an analysed claim is sent to a live capture instead of a merchant window or a reviewer.

    Each trigger is one reason to ask; any one of them is enough. A claim is asked at most once automatically
    (after a completed or expired capture, a person decides).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    #: a low verdict that nothing verifies (also set by ``policy.unverified_low = "capture"``)
    unverified_low: bool = True
    #: no claim photo matched a listing photo
    no_reference: bool = False
    #: the claim has a single photo
    single_photo: bool = False
    #: the level is ``review``
    level_review: bool = False
    #: the amount is at least this (None: no amount trigger)
    amount_at_least: float | None = None
    #: merchants may ask for a capture while their evidence window is open
    merchant_may_request: bool = True


class CaptureConfig(BaseModel):
    """Deadlines, limits and the signing certificate of live capture sessions."""

    model_config = ConfigDict(extra="forbid")

    policy: CapturePolicy = Field(default_factory=CapturePolicy)
    tenants: dict[str, CapturePolicy] = Field(default_factory=dict)
    #: the buyer's deadline, in hours from the request
    deadline_hours: float = Field(24.0, gt=0, le=24 * 14)
    #: the link, once the session started, stays usable this long (the buyer takes the shots in one go)
    session_minutes: float = Field(30.0, gt=0, le=24 * 60)
    #: largest photo frame and orbit video the page may send
    max_frame_bytes: int = Field(20 * 1024 * 1024, gt=0)
    max_video_bytes: int = Field(40 * 1024 * 1024, gt=0)
    #: largest photo frame in pixels (a 12 MP phone photo is 12 000 000)
    max_frame_pixels: int = Field(50_000_000, gt=0)
    #: frames a session may send in all (retakes included); more are refused
    max_frames: int = Field(24, ge=4, le=500)
    #: frames taken from the orbit video
    orbit_frames: int = Field(5, ge=2, le=12)
    max_orbit_seconds: float = Field(8.0, gt=0)
    #: base URL of the buyer's page as the buyer reaches it (e.g. ``https://rg.example.com``); the API and
    #: webhooks give ``url`` when it is set, always ``path``
    public_base_url: str | None = None
    #: HMAC key of the links; when unset, a random key is made once and kept in ``<data_dir>/capture-link.key``
    link_secret: str | None = Field(None, min_length=32)
    #: the platform's C2PA signing certificate chain (PEM) and private key (PEM); without them sessions are
    #: recorded but not signed, and the bundle says so
    signing_cert: Path | None = None
    signing_key: Path | None = None
    signing_alg: Literal["es256", "es384", "es512", "ps256", "ed25519"] = "es256"
    #: PEM trust anchors the server verifies its own manifests against (default: the signing chain itself)
    trust_anchors: Path | None = None

    def policy_for(self, tenant: str) -> CapturePolicy:
        return self.tenants.get(tenant, self.policy)

    @property
    def frame_request_bytes(self) -> int:
        """The largest body of one frame upload: the larger of a photo and a video, plus the form around it."""
        return max(self.max_frame_bytes, self.max_video_bytes) + FORM_SLACK
