"""Endpoints and the delivery outbox.

Events are written to ``webhook_deliveries`` inside the transaction that caused them, so a delivery
exists exactly when the change committed. The dispatcher (:mod:`refundguard.service.webhooks.delivery`)
leases due deliveries, posts them outside any transaction and records every attempt; failures retry with
exponential backoff until ``max_attempts``. Registering and removing an endpoint are audited.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refundguard.service.audit import service as audit
from refundguard.service.auth.service import Principal
from refundguard.service.db import utcnow
from refundguard.service.errors import NotFound
from refundguard.service.webhooks import targets
from refundguard.service.webhooks.delivery import dispatch_due
from refundguard.service.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["create_endpoint", "delete_endpoint", "dispatch_due", "emit", "list_deliveries", "list_endpoints"]


def create_endpoint(*, session: Session, principal: Principal, url: str, secret: str | None = None,
                    allow_private: bool = False, allowed_ports: str = "1-65535") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the principal's tenant (the URL passes :func:`targets.check_url` or 422);
    returns it and its signing secret."""
    targets.check_url(url, allow_private=allow_private, allowed_ports=allowed_ports)
    secret = secret or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(id="whe_" + uuid.uuid4().hex[:20], tenant=principal.tenant, url=url, secret=secret)
    session.add(endpoint)
    session.flush()
    audit.record(session=session, actor=principal.actor, action="webhook.registered", subject_type="webhook",
                 subject_id=endpoint.id, tenant=principal.tenant, details={"url": url})
    return endpoint, secret


def list_endpoints(*, session: Session, principal: Principal) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.tenant == principal.tenant)
                                .order_by(WebhookEndpoint.created_at)))


def delete_endpoint(*, session: Session, principal: Principal, endpoint_id: str) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant != principal.tenant:
        raise NotFound("webhook endpoint not found", "未找到该 Webhook 端点")
    if endpoint.active:
        endpoint.active = False
        audit.record(session=session, actor=principal.actor, action="webhook.removed", subject_type="webhook",
                     subject_id=endpoint.id, tenant=principal.tenant, details={"url": endpoint.url})
    session.flush()


def emit(*, session: Session, tenant: str, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of ``tenant`` (in the caller's transaction)."""
    out = []
    for endpoint in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.tenant == tenant,
                                                                  WebhookEndpoint.active.is_(True))):
        delivery_id = "whd_" + uuid.uuid4().hex[:20]
        payload = json.dumps({"id": delivery_id, "event": event, "created_at": utcnow().isoformat(),
                              "data": data}, ensure_ascii=False, sort_keys=True, default=str)
        delivery = WebhookDelivery(id=delivery_id, endpoint_id=endpoint.id, tenant=tenant, event=event,
                                   payload=payload)
        session.add(delivery)
        out.append(delivery)
    session.flush()
    return out


def list_deliveries(*, session: Session, principal: Principal, limit: int = 100,
                    offset: int = 0) -> tuple[list[WebhookDelivery], int]:
    """One page of the tenant's delivery log, newest first, and how many deliveries it holds in all."""
    mine = WebhookDelivery.tenant == principal.tenant
    total = session.scalar(select(func.count()).select_from(WebhookDelivery).where(mine)) or 0
    rows = session.scalars(select(WebhookDelivery).where(mine).order_by(WebhookDelivery.created_at.desc(),
                                                                        WebhookDelivery.id)
                           .offset(offset).limit(limit))
    return list(rows), int(total)
