"""Endpoints, the delivery outbox and the dispatcher.

Events are written to ``webhook_deliveries`` inside the transaction that caused them, so a delivery
exists exactly when the change committed. The dispatcher leases due deliveries, posts them outside any
transaction and records every attempt; failures retry with exponential backoff until ``max_attempts``.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.service.auth.service import Principal
from refundguard.service.config import WebhookConfig
from refundguard.service.db import Database, utcnow
from refundguard.service.errors import NotFound
from refundguard.service.webhooks import signing, targets
from refundguard.service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def create_endpoint(*, session: Session, principal: Principal, url: str, secret: str | None = None,
                    allow_private: bool = False) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the principal's tenant; returns it and its signing secret."""
    targets.check_url(url, allow_private=allow_private)
    secret = secret or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(id="whe_" + uuid.uuid4().hex[:20], tenant=principal.tenant, url=url, secret=secret)
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(*, session: Session, principal: Principal) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.tenant == principal.tenant)
                                .order_by(WebhookEndpoint.created_at)))


def delete_endpoint(*, session: Session, principal: Principal, endpoint_id: str) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant != principal.tenant:
        raise NotFound("webhook endpoint not found", "未找到该 Webhook 端点")
    endpoint.active = False
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


def list_deliveries(*, session: Session, principal: Principal, limit: int = 100) -> list[WebhookDelivery]:
    return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.tenant == principal.tenant)
                                .order_by(WebhookDelivery.created_at.desc()).limit(limit)))


def _lease_due(db: Database, config: WebhookConfig, now: datetime, limit: int) -> list[tuple[str, str, str, str, str]]:
    with db.session() as session:
        due = session.scalars(select(WebhookDelivery).where(WebhookDelivery.status == "pending",
                                                            WebhookDelivery.next_attempt_at <= now)
                              .order_by(WebhookDelivery.next_attempt_at).limit(limit)
                              .with_for_update(skip_locked=True)).all()
        leased = []
        for delivery in due:
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            if endpoint is None or not endpoint.active:
                delivery.status = "failed"
                continue
            delivery.next_attempt_at = now + timedelta(seconds=config.timeout_s * 3)
            leased.append((delivery.id, delivery.event, delivery.payload, endpoint.url, endpoint.secret))
        return leased


def _record(db: Database, config: WebhookConfig, delivery_id: str, status_code: int | None, error: str | None,
            duration_ms: float) -> None:
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        now = utcnow()
        delivery.attempts += 1
        session.add(WebhookAttempt(delivery_id=delivery_id, at=now, status_code=status_code, error=error,
                                   duration_ms=round(duration_ms, 1)))
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
        elif delivery.attempts >= config.max_attempts:
            delivery.status = "failed"
        else:
            delay = signing.backoff(delivery.attempts, base_s=config.backoff_base_s, max_s=config.backoff_max_s)
            delivery.next_attempt_at = now + timedelta(seconds=delay)


def dispatch_due(db: Database, config: WebhookConfig, *, client: httpx.Client | None = None,
                 limit: int = 50) -> int:
    """Send every due delivery once; returns how many were attempted."""
    leased = _lease_due(db, config, utcnow(), limit)
    if not leased:
        return 0
    own = client is None
    client = client or httpx.Client(timeout=config.timeout_s, follow_redirects=False)
    try:
        for delivery_id, event, payload, url, secret in leased:
            body = payload.encode("utf-8")
            ts = int(time.time())
            headers = {"Content-Type": "application/json", signing.TIMESTAMP_HEADER: str(ts),
                       signing.SIGNATURE_HEADER: signing.sign(secret, ts, body), signing.EVENT_HEADER: event,
                       signing.DELIVERY_HEADER: delivery_id, "User-Agent": "RefundGuard-Webhooks/1"}
            started = time.perf_counter()
            status_code: int | None = None
            error: str | None = None
            try:
                targets.check_resolved(url, allow_private=config.allow_private_targets)
                response = client.post(url, content=body, headers=headers)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            except targets.RefusedTarget as exc:
                error = f"refused: {exc}"[:500]
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            _record(db, config, delivery_id, status_code, error, (time.perf_counter() - started) * 1000)
    finally:
        if own:
            client.close()
    return len(leased)
