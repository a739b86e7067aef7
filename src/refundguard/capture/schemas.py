"""Request bodies and responses of the capture API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MarkedRegion(BaseModel):
    """The claimed damage on a claim photo, as the requester sees it: ``photo`` counts the claim photos from 0."""

    model_config = ConfigDict(extra="forbid")

    photo: Annotated[int, Field(ge=0, le=11)] = 0
    x: Annotated[int, Field(ge=0, le=100_000)]
    y: Annotated[int, Field(ge=0, le=100_000)]
    w: Annotated[int, Field(ge=1, le=100_000)]
    h: Annotated[int, Field(ge=1, le=100_000)]


class CaptureRequestIn(BaseModel):
    """Ask the buyer for a live capture of the item."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=2000)] | None = None
    deadline_hours: Annotated[float, Field(gt=0, le=24 * 14)] | None = Field(
        None, description="the buyer's deadline in hours (default: the capture settings' deadline_hours, 24)")
    damage: Annotated[list[MarkedRegion], Field(max_length=8)] = Field(
        default_factory=list, description="where the claimed damage is on the claim photos (shown to the buyer and "
                                          "checked in every live shot)")
    turn: Literal["left", "right"] | None = Field(None, description="which way shot (c) turns (default: random)")

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class LinkRead(BaseModel):
    path: str
    url: str | None = None


class ShotRead(BaseModel):
    kind: str
    status: str
    sha256: str
    size: int
    format: str
    width: int | None
    height: int | None
    received_at: datetime
    frame_time: float | None = None


class CaptureRead(BaseModel):
    id: str
    claim_id: str
    status: Literal["requested", "started", "completed", "expired", "cancelled"]
    requested_by: str
    requested_role: str
    reason: str | None
    requested_at: datetime
    deadline: datetime
    turn: str
    damage: list[MarkedRegion]
    code: str | None = Field(None, description="the one-time code, once the buyer started the session")
    started_at: datetime | None
    completed_at: datetime | None
    ended_at: datetime | None
    shots: list[ShotRead]
    manifest_sha256: str | None = Field(None, description="SHA-256 of the signed session sheet (C2PA)")
    manifest: dict[str, Any] | None = Field(None, description="the server's check of the signed session sheet")
    link: LinkRead | None = Field(None, description="the buyer's link (platform and admin keys only)")


class SessionStarted(BaseModel):
    """What the buyer's page receives when the session starts: the code to write and the session's nonce."""

    code: str
    nonce: str
    turn: str
    session_deadline: datetime
    server_time: datetime


class FrameAccepted(BaseModel):
    kind: str
    sha256: str
    received_at: datetime
    width: int | None
    height: int | None
    shots: dict[str, bool]
    complete_ready: bool


class CaptureStatus(BaseModel):
    status: str
    code: str | None
    turn: str
    shots: dict[str, bool]
    feedback: dict[str, Any]
    complete_ready: bool
    server_time: datetime
