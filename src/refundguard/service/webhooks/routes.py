"""Webhook endpoint management and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.auth.permissions import require
from refundguard.service.paging import Limit, Offset, Page, page_of
from refundguard.service.webhooks import service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=8, max_length=2000)]
    secret: Annotated[str, Field(min_length=16, max_length=128)] | None = None


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    active: bool
    created_at: datetime


class EndpointCreated(EndpointRead):
    secret: str


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    endpoint_id: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


@router.post("", status_code=201, response_model=EndpointCreated)
def create_endpoint(body: EndpointIn, session: DbSession, principal: CurrentPrincipal,
                    request: Request) -> EndpointCreated:
    """Register an endpoint; the signing secret is returned once. The URL must be absolute http(s) to a public
    host (a DNS name, a canonical IPv4 address or a bracketed IPv6 address) on an allowed port; other spellings
    of addresses are refused with 422 (see docs/security.md). Private hosts need the operator's
    ``webhooks.allow_private_targets``."""
    require(principal, "webhook.manage")
    cfg = request.app.state.config.webhooks
    endpoint, secret = service.create_endpoint(
        session=session, principal=principal, url=body.url, secret=body.secret,
        allow_private=cfg.allow_private_targets, allowed_ports=cfg.allowed_ports)
    session.commit()
    return EndpointCreated(**EndpointRead.model_validate(endpoint).model_dump(), secret=secret)


@router.get("", response_model=Page[EndpointRead])
def list_endpoints(session: DbSession, principal: CurrentPrincipal, limit: Limit = 100,
                   offset: Offset = 0) -> Page[EndpointRead]:
    """The tenant's endpoints, oldest first (paged like every list)."""
    require(principal, "webhook.manage")
    rows = [EndpointRead.model_validate(e) for e in service.list_endpoints(session=session, principal=principal)]
    return page_of(rows, limit=limit, offset=offset)


@router.delete("/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: str, session: DbSession, principal: CurrentPrincipal) -> None:
    """Deactivate an endpoint (its delivery log stays)."""
    require(principal, "webhook.manage")
    service.delete_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    session.commit()


@router.get("/deliveries", response_model=Page[DeliveryRead])
def deliveries(session: DbSession, principal: CurrentPrincipal, limit: Limit = 100,
               offset: Offset = 0) -> Page[DeliveryRead]:
    """The delivery log, newest first (paged like every list)."""
    require(principal, "webhook.manage")
    rows, total = service.list_deliveries(session=session, principal=principal, limit=limit, offset=offset)
    return Page[DeliveryRead](items=[DeliveryRead.model_validate(d) for d in rows], total=total, limit=limit,
                              offset=offset)
