"""Audit chain verification over HTTP (admin and reviewer keys)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from refundguard.service.audit import service
from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.auth.permissions import require

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class VerificationRead(BaseModel):
    ok: bool
    entries: int
    head: str
    problems: list[str]


@router.get("/verify", response_model=VerificationRead)
def verify(session: DbSession, principal: CurrentPrincipal) -> VerificationRead:
    """Walk the whole hash chain and report breaks."""
    require(principal, "audit.verify")
    result = service.verify(session=session)
    return VerificationRead(ok=result.ok, entries=result.entries, head=result.head, problems=result.problems)
