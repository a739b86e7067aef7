"""The webhook dispatcher: every delivery isolated, every tenant limited to its own slots.

Each attempt has one total deadline (``timeout_s``) covering the URL check, the name lookup, connecting, TLS,
sending and the receiver's status line and headers, however slowly the receiver drips them; at most
``max_response_bytes`` of its answer are read, the rest is dropped with the connection. Any error of an
attempt is caught and logged in ``webhook_attempts``; it never stops the others.

Up to ``max_concurrent`` attempts run at once, and one tenant holds at most ``per_tenant_slots`` of them:
deliveries are leased one tenant at a time (oldest due first) and only for tenants with a free slot, so a
tenant whose receiver is slow, broken or hostile delays every other tenant by at most that many slots. A
lease is a row's ``next_attempt_at`` moved past the deadline (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so
several servers can dispatch at once and a crashed server's leases are retried.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select

from refundguard.service.config import WebhookConfig
from refundguard.service.db import Database, utcnow
from refundguard.service.webhooks import signing, targets
from refundguard.service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from refundguard.service.webhooks.sync import run_coroutine

log = logging.getLogger("refundguard.webhooks")
#: a lease outlives the attempt's deadline by this much, so the result is recorded before anyone retries
LEASE_MARGIN_S = 30.0


@dataclass(frozen=True, slots=True)
class Leased:
    delivery_id: str
    tenant: str
    event: str
    payload: str
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: float


def _lease(db: Database, config: WebhookConfig, free: int, busy: dict[str, int], now: datetime) -> list[Leased]:
    """Lease up to ``free`` due deliveries, oldest first, never more per tenant than its free slots."""
    full = [tenant for tenant, n in busy.items() if n >= config.per_tenant_slots]
    due = (WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
    leased: list[Leased] = []
    with db.session() as session:
        query = select(WebhookDelivery.tenant, func.min(WebhookDelivery.next_attempt_at).label("first")).where(*due)
        if full:
            query = query.where(WebhookDelivery.tenant.not_in(full))
        tenants = session.execute(query.group_by(WebhookDelivery.tenant).order_by("first").limit(free)).all()
        for tenant, _first in tenants:
            room = min(config.per_tenant_slots - busy.get(tenant, 0), free - len(leased))
            if room <= 0:
                continue
            rows = session.scalars(select(WebhookDelivery).where(*due, WebhookDelivery.tenant == tenant)
                                   .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(room)
                                   .with_for_update(skip_locked=True)).all()
            for delivery in rows:
                endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
                if endpoint is None or not endpoint.active:
                    delivery.status = "failed"
                    continue
                delivery.next_attempt_at = now + timedelta(seconds=config.timeout_s + LEASE_MARGIN_S)
                leased.append(Leased(delivery.id, delivery.tenant, delivery.event, delivery.payload, endpoint.url,
                                     endpoint.secret))
    return leased


def _record(db: Database, config: WebhookConfig, delivery_id: str, outcome: Outcome) -> None:
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        now = utcnow()
        delivery.attempts += 1
        session.add(WebhookAttempt(delivery_id=delivery_id, at=now, status_code=outcome.status_code,
                                   error=outcome.error, duration_ms=round(outcome.duration_ms, 1)))
        if outcome.status_code is not None and 200 <= outcome.status_code < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
        elif delivery.attempts >= config.max_attempts:
            delivery.status = "failed"
        else:
            delay = signing.backoff(delivery.attempts, base_s=config.backoff_base_s, max_s=config.backoff_max_s)
            delivery.next_attempt_at = now + timedelta(seconds=delay)


class Dispatcher:
    """Sends due deliveries in slots; one per server process (see the module docstring)."""

    def __init__(self, db: Database, config: WebhookConfig, *, transport: httpx.AsyncBaseTransport | None = None,
                 resolver: targets.Resolver = targets.system_resolver) -> None:
        self.db = db
        self.config = config
        self.resolver = resolver
        self._transport = transport
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: dict[str, int] = {}
        self.attempted = 0

    def _client(self) -> httpx.AsyncClient:
        # No keep-alive: a connection opened for one tenant's host (pinned to its checked address, with its TLS
        # name) is never reused for another's. No proxies or .netrc from the environment.
        return httpx.AsyncClient(transport=self._transport, follow_redirects=False, trust_env=False,
                                 timeout=httpx.Timeout(self.config.timeout_s),
                                 limits=httpx.Limits(max_connections=self.config.max_concurrent,
                                                     max_keepalive_connections=0))

    async def _post(self, client: httpx.AsyncClient, item: Leased) -> tuple[int, str | None]:
        cfg = self.config
        target = targets.for_delivery(item.url, allow_private=cfg.allow_private_targets,
                                      allowed_ports=cfg.allowed_ports)
        address = await targets.resolve(target, allow_private=cfg.allow_private_targets, resolver=self.resolver)
        body = item.payload.encode("utf-8")
        ts = int(time.time())
        headers = {"Host": target.host_header, "Content-Type": "application/json", "Accept-Encoding": "identity",
                   signing.TIMESTAMP_HEADER: str(ts), signing.SIGNATURE_HEADER: signing.sign(item.secret, ts, body),
                   signing.EVENT_HEADER: item.event, signing.DELIVERY_HEADER: item.delivery_id,
                   "User-Agent": "RefundGuard-Webhooks/1"}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" and target.ip is None else {}
        request = client.build_request("POST", target.url_to(address), content=body, headers=headers,
                                       extensions=extensions)
        response = await client.send(request, stream=True)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= cfg.max_response_bytes:
                    break  # the status is all that counts; the rest is dropped with the connection
        finally:
            await response.aclose()
        code = response.status_code
        return code, None if 200 <= code < 300 else f"HTTP {code}"

    async def attempt(self, client: httpx.AsyncClient, item: Leased) -> Outcome:
        """One attempt of one delivery; never raises."""
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.config.timeout_s):
                status, error = await self._post(client, item)
        except TimeoutError:
            error = f"deadline: no complete answer within {self.config.timeout_s:g} s"
        except targets.RefusedTarget as exc:
            error = f"refused: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # one delivery's failure is logged with it and never stops the dispatcher
            log.exception("webhook delivery %s failed unexpectedly", item.delivery_id)
            error = f"{type(exc).__name__}: {exc}"
        return Outcome(status, error[:500] if error else None, (time.perf_counter() - started) * 1000)

    async def _run_one(self, client: httpx.AsyncClient, item: Leased) -> None:
        try:
            outcome = await self.attempt(client, item)
            try:
                await asyncio.to_thread(_record, self.db, self.config, item.delivery_id, outcome)
            except Exception:  # the lease runs out and the delivery is tried again
                log.exception("could not record webhook attempt %s", item.delivery_id)
        finally:
            self._busy[item.tenant] -= 1
            if self._busy[item.tenant] <= 0:
                del self._busy[item.tenant]

    async def fill(self, client: httpx.AsyncClient) -> int:
        """Start attempts for due deliveries in the free slots; returns how many started."""
        free = self.config.max_concurrent - len(self._tasks)
        if free <= 0:
            return 0
        leased = await asyncio.to_thread(_lease, self.db, self.config, free, dict(self._busy), utcnow())
        for item in leased:
            self._busy[item.tenant] = self._busy.get(item.tenant, 0) + 1
            task = asyncio.create_task(self._run_one(client, item), name=f"webhook-{item.delivery_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.attempted += len(leased)
        return len(leased)

    async def drain(self) -> int:
        """Attempt everything due now (each delivery once) and wait for the answers; returns the count."""
        async with self._client() as client:
            seen = self.attempted
            while True:
                await self.fill(client)
                if not self._tasks:
                    return self.attempted - seen
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def run(self, stop: threading.Event, interval_s: float) -> None:
        """Dispatch until ``stop`` is set: slots are refilled as soon as one frees, and every ``interval_s``."""
        async with self._client() as client:
            while not stop.is_set():
                try:
                    await self.fill(client)
                except Exception:  # a failing lease (database busy) is logged and retried
                    log.exception("webhook lease failed")
                if self._tasks:
                    await asyncio.wait(set(self._tasks), timeout=interval_s, return_when=asyncio.FIRST_COMPLETED)
                else:
                    await asyncio.sleep(interval_s)
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=self.config.timeout_s + 1)
            for task in list(self._tasks):
                task.cancel()


def dispatch_due(db: Database, config: WebhookConfig, *, transport: httpx.AsyncBaseTransport | None = None,
                 resolver: targets.Resolver = targets.system_resolver) -> int:
    """Attempt every due delivery once, now, in slots (outside an event loop); returns how many were attempted."""
    return run_coroutine(Dispatcher(db, config, transport=transport, resolver=resolver).drain())
