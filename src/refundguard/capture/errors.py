"""Errors of the buyer's capture endpoints that the service's generic ones do not cover."""

from __future__ import annotations

from refundguard.service.errors import DomainError


class Gone(DomainError):
    """The link expired, or its session is over (completed or expired): it can never be used again."""

    status = 410
    code = "gone"


class TooMany(DomainError):
    """The session sent more frames than it may."""

    status = 429
    code = "too_many_frames"
