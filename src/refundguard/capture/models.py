"""Capture tables: one row per capture request (and its single session), one per frame the page sent, and the
analysis-pass cache that lets a completed session be judged in seconds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from refundguard.service.db import Base, UTCDateTime, utcnow


class CaptureRequest(Base):
    """A request for a live capture of a claim's item, its buyer link and its one session.

    ``status``: ``requested`` (link sent, not opened), ``started`` (the session is open: code shown, frames
    arriving), ``completed``, ``expired`` (deadline passed), ``cancelled`` (the claim was decided first).
    """

    __tablename__ = "capture_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="requested")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    turn: Mapped[str] = mapped_column(String(8))
    marked: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[photo, x, y, w, h], ...]
    code: Mapped[str | None] = mapped_column(String(8))
    nonce_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    client: Mapped[str | None] = mapped_column(Text)  # JSON: what the page reported about itself
    frames_received: Mapped[int] = mapped_column(Integer, default=0)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_error: Mapped[str | None] = mapped_column(Text)


class CaptureFrame(Base):
    """One frame the page sent (a shot, a retake, an orbit video or one of its frames).

    ``status``: ``current`` (part of the session) or ``replaced`` (retaken). ``received_at`` is the server's
    clock; ``client_time_ms`` and ``since_start_ms`` are what the page reported.
    """

    __tablename__ = "capture_frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("capture_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # whole | close | turned | video | orbit
    status: Mapped[str] = mapped_column(String(16), default="current")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_time_ms: Mapped[float | None] = mapped_column(Float)
    since_start_ms: Mapped[float | None] = mapped_column(Float)
    frame_time: Mapped[float | None] = mapped_column(Float)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    #: what the server could already tell the buyer about the frame (JSON), e.g. whether the code was read
    feedback: Mapped[str | None] = mapped_column(Text)


class AnalysisPass(Base):
    """A finished analysis pass (see :mod:`refundguard.passes`), by its key: the claim photos' checks and each
    live shot's, kept so that a completed capture session only runs what is new."""

    __tablename__ = "analysis_passes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
