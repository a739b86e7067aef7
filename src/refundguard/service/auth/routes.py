"""Key management over HTTP (admin keys, their own tenant only): list, create, revoke, rotate.

Secrets are shown once, in the answer that creates them. Revocation takes effect on the next request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from refundguard.service.auth import service
from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.auth.permissions import require
from refundguard.service.paging import Limit, Offset, Page, page_of

router = APIRouter(prefix="/v1/admin/keys", tags=["keys"])
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="The key id (the 16 hex digits after rg_).")]


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key_id: str
    tenant: str
    role: str
    merchant_id: str | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None
    active: bool = False


class KeyIssued(BaseModel):
    key: str = Field(description="The full key, shown only in this answer.")
    details: KeyRead


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Annotated[str, Field(pattern=r"^(platform|merchant|reviewer|admin)$")]
    merchant_id: Annotated[str | None, Field(max_length=64)] = None
    label: Annotated[str | None, Field(max_length=200)] = None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str | None, Field(max_length=500)] = None


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60, description="How long the old key keeps working "
                                                                            "(0: it stops now).")] = 0


def _read(row: object) -> KeyRead:
    out = KeyRead.model_validate(row)
    out.active = service.usable(row)  # type: ignore[arg-type]
    return out


@router.get("", response_model=Page[KeyRead])
def list_keys(session: DbSession, principal: CurrentPrincipal, limit: Limit = 100,
              offset: Offset = 0) -> Page[KeyRead]:
    """The keys of the admin's tenant, oldest first (never a secret; paged like every list)."""
    require(principal, "key.manage")
    rows = [_read(row) for row in service.list_keys(session=session, tenant=principal.tenant)]
    return page_of(rows, limit=limit, offset=offset)


@router.post("", status_code=201, response_model=KeyIssued)
def create_key(body: KeyCreate, session: DbSession, principal: CurrentPrincipal) -> KeyIssued:
    """Issue a key in the admin's tenant; the answer holds the only copy of the secret."""
    require(principal, "key.manage")
    text, row = service.create_key(session=session, tenant=principal.tenant, role=body.role,
                                   merchant_id=body.merchant_id, label=body.label, actor=principal.actor)
    session.commit()
    return KeyIssued(key=text, details=_read(row))


@router.post("/{key_id}/revoke", response_model=KeyRead)
def revoke_key(key_id: KeyId, session: DbSession, principal: CurrentPrincipal, body: RevokeIn | None = None
               ) -> KeyRead:
    """Revoke a key now (its next request gets 401) and end its web sessions. Revoking twice is harmless."""
    require(principal, "key.manage")
    row = service.revoke_key(session=session, key_id=key_id, actor=principal.actor, tenant=principal.tenant,
                             reason=body.reason if body else None)
    session.commit()
    return _read(row)


@router.post("/{key_id}/rotate", status_code=201, response_model=KeyIssued)
def rotate_key(key_id: KeyId, session: DbSession, principal: CurrentPrincipal, body: RotateIn | None = None
               ) -> KeyIssued:
    """Issue a successor (same role, merchant, label); the old key stops now or after ``grace_minutes``."""
    require(principal, "key.manage")
    text, new, _old = service.rotate_key(session=session, key_id=key_id, actor=principal.actor,
                                         tenant=principal.tenant,
                                         grace=timedelta(minutes=body.grace_minutes if body else 0))
    session.commit()
    return KeyIssued(key=text, details=_read(new))
