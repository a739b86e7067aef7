"""The request gate: an ASGI middleware in front of every route that carries a body.

Before a single byte of the body is read it

1. checks that a form posted with a cookie comes from this site (``Origin`` / ``Sec-Fetch-Site``),
2. authenticates the caller from the headers alone (the API key, or the web session cookie) and checks the
   role may use the route at all — no key, no body: ``401`` and the connection is closed,
3. refuses an announced ``Content-Length`` above the route's limit (``413``),
4. admits an upload against the tenant's quotas (``429`` with ``Retry-After``),

and then, while the route reads the body, counts the bytes (``413`` as soon as the limit is passed, also for
chunked bodies that announced nothing), and drops bodies that pause longer than ``body_idle_timeout_s`` or
take longer than ``body_base_timeout_s + size / body_min_rate`` (``408``). Every refusal closes the
connection, so the rest of the body is never read. The authenticator is the application's
(``ingress.service_auth`` for the claim service, none for local mode); the principal it finds is handed to the
route (``scope["state"]``), which does not look the key up again.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from starlette.datastructures import Headers

from refundguard.service.config import RequestLimitsConfig
from refundguard.service.errors import DomainError, Forbidden, PayloadTooLarge, RequestTimeout
from refundguard.service.ingress.quotas import Ticket, UploadQuota

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Auth = Literal["api_key", "session", "none"]


@dataclass(frozen=True, slots=True)
class BodyRule:
    """How requests with a body to matching paths are admitted."""

    pattern: str
    max_bytes: Callable[[RequestLimitsConfig], int]
    auth: Auth
    methods: frozenset[str] | None = None
    roles: frozenset[str] | None = None
    #: counts against the tenant's upload quotas
    upload: bool = False
    #: a browser form: refused when ``Origin`` / ``Sec-Fetch-Site`` say it was posted from another site
    same_origin: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and re.fullmatch(self.pattern, path) is not None


def _claim_bytes(c: RequestLimitsConfig) -> int:
    return c.max_claim_request_bytes


def _evidence_bytes(c: RequestLimitsConfig) -> int:
    return c.max_evidence_request_bytes


def _small_bytes(c: RequestLimitsConfig) -> int:
    return c.max_body_bytes


def _login_bytes(_c: RequestLimitsConfig) -> int:
    return 16 * 1024


POST = frozenset({"POST"})
#: the claim service's routes, first match wins
SERVICE_RULES: tuple[BodyRule, ...] = (
    BodyRule(r"/v1/claims/?", _claim_bytes, "api_key", POST, frozenset({"platform", "admin"}), upload=True),
    BodyRule(r"/v1/claims/[^/]+/evidence/?", _evidence_bytes, "api_key", POST,
             frozenset({"platform", "merchant", "admin"}), upload=True),
    # the ledger's buyer (buyer token) and member (signed request) routes authenticate themselves
    BodyRule(r"/v1/ledger/me(/.*)?", _small_bytes, "none"),
    BodyRule(r"/v1/ledger/member/.*", _small_bytes, "none"),
    BodyRule(r"/v1/.*", _small_bytes, "api_key"),
    BodyRule(r"/ui/claims/[^/]+/respond", _evidence_bytes, "session", POST, frozenset({"merchant", "admin"}),
             upload=True, same_origin=True),
    BodyRule(r"/ui/(login|logout)", _login_bytes, "none", same_origin=True),
    BodyRule(r"/ui/.*", _small_bytes, "session", same_origin=True),
    # the ledger's buyer pages post forms with the buyer's cookie: at least never from another origin
    BodyRule(r"/ledger/.*", _small_bytes, "none", same_origin=True),
    BodyRule(r".*", _small_bytes, "none"),
)


#: paths whose callers read JSON errors: the API, and the endpoints the buyer's capture page calls from its script
JSON_ANSWERS = re.compile(r"/v1|/capture/[^/]+/(session|frames|complete|status)/?$")


class BodyRejected(Exception):
    """Raised into the route when the gate cut its body off (the gate has already answered)."""


def cross_site(headers: Headers) -> bool:
    """Whether a browser says the request comes from another origin.

    ``Sec-Fetch-Site`` (set by the browser, a page cannot forge it) decides where present: only
    ``same-origin`` and ``none`` (the user's own navigation) pass, so a sibling subdomain cannot post either.
    Otherwise ``Origin`` must name this host. Clients that send neither (API tools, tests) are not browsers
    acting for another site and pass; the CSRF token still applies to them.
    """
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    parts = urlsplit(origin)
    return (parts.netloc or "").lower() != headers.get("host", "").lower()


@dataclass(slots=True)
class Caller:
    """Who sent a request, as far as the gate needs to know: the tenant (quotas) and the role (route check)."""

    tenant: str | None
    role: str | None = None


Authenticator = Callable[[Scope, Headers, BodyRule], Awaitable[Caller]]


class RequestGate:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, rules: Sequence[BodyRule], limits: RequestLimitsConfig,
                 authenticate: Authenticator | None = None, quota: UploadQuota | None = None,
                 login_path: str | None = None) -> None:
        self.app = app
        self.rules = tuple(rules)
        self.limits = limits
        self.authenticate = authenticate
        self.quota = quota
        self.login_path = login_path

    def rule_for(self, method: str, path: str) -> BodyRule | None:
        return next((r for r in self.rules if r.matches(method, path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length_text = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        declared = int(length_text) if length_text is not None and length_text.isdigit() else None
        rule = self.rule_for(scope["method"], scope["path"])
        if rule is None or (not chunked and not declared):  # no body: the route authenticates as usual
            await self.app(scope, receive, send)
            return
        try:
            ticket = await self._admit(scope, headers, rule, declared)
        except DomainError as exc:
            await self._refuse(scope, send, exc)
            return
        await _Body(self, scope, receive, send, rule.max_bytes(self.limits), declared, ticket).run()

    async def _admit(self, scope: Scope, headers: Headers, rule: BodyRule, declared: int | None) -> Ticket | None:
        if rule.same_origin and cross_site(headers):
            raise Forbidden("cross-site form posts are refused", "拒绝来自其他站点的表单提交", code="cross_site")
        caller = Caller(None)
        if rule.auth != "none" and self.authenticate is not None:
            caller = await self.authenticate(scope, headers, rule)
            if rule.roles is not None and caller.role is not None and caller.role not in rule.roles:
                raise Forbidden(f"role '{caller.role}' may not send this", f"角色 '{caller.role}' 无权提交此内容")
        limit = rule.max_bytes(self.limits)
        if declared is not None and declared > limit:
            raise _too_large(limit)
        if rule.upload and self.quota is not None and caller.tenant is not None:
            return self.quota.admit(caller.tenant, declared)
        return None

    async def _refuse(self, scope: Scope, send: Send, exc: DomainError) -> None:
        await send_error(scope, send, exc, login_path=self.login_path)


def _too_large(limit: int) -> PayloadTooLarge:
    mib = limit / (1024 * 1024)
    size = f"{mib:.0f} MiB" if mib >= 1 else f"{limit // 1024} KiB"
    return PayloadTooLarge(f"the request body is larger than {size}", f"请求内容超过 {size}")


async def send_error(scope: Scope, send: Send, exc: DomainError, *, login_path: str | None = None) -> None:
    """Answer with ``exc`` and close the connection (the unread body is never taken in)."""
    headers = [(b"connection", b"close"), *((k.lower().encode("latin-1"), v.encode("latin-1"))
                                            for k, v in (exc.headers or {}).items())]
    page = scope["path"].startswith("/ui/") or scope["path"] == "/ui"
    if page and exc.code == "login_required" and login_path:
        await send({"type": "http.response.start", "status": 303,
                    "headers": [*headers, (b"location", login_path.encode()), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    if page or not JSON_ANSWERS.match(scope["path"]):
        body = (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{exc.status}</title>"
                f"<h1>{exc.status}</h1><p id=\"error-message\">{html.escape(exc.en)}</p>"
                f"<p lang=\"zh-CN\">{html.escape(exc.zh)}</p></html>").encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps(exc.to_dict(), ensure_ascii=False).encode()
        kind = b"application/json"
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [*headers, (b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _Body:
    """One admitted request: counts and times its body, answers for the route when it is cut off."""

    def __init__(self, gate: RequestGate, scope: Scope, receive: Receive, send: Send, limit: int,
                 declared: int | None, ticket: Ticket | None) -> None:
        self.gate, self.scope, self._receive, self._send = gate, scope, receive, send
        self.limit = limit
        self.ticket = ticket
        limits = gate.limits
        self.idle_s = limits.body_idle_timeout_s
        self.deadline = time.monotonic() + limits.body_base_timeout_s + (declared or limit) / limits.body_min_rate
        self.received = 0
        self.complete = False
        self.started = False  # the route began its answer
        self.cut: DomainError | None = None

    async def run(self) -> None:
        try:
            await self.gate.app(self.scope, self.receive, self.send)
        except Exception:
            if self.cut is None:
                raise
        finally:
            if self.ticket is not None:
                self.ticket.release()

    async def send(self, message: Message) -> None:
        if self.cut is not None:
            return  # the gate has answered; whatever the route says after that is dropped
        if message["type"] == "http.response.start":
            self.started = True
            if self.ticket is not None:  # the upload is over: free its slot before the client can send the next
                self.ticket.release()
        await self._send(message)

    async def receive(self) -> Message:
        if self.cut is not None:
            return {"type": "http.disconnect"}
        if self.complete:
            return await self._receive()
        wait = min(self.idle_s, self.deadline - time.monotonic())
        try:
            if wait <= 0:
                raise TimeoutError
            message = await asyncio.wait_for(self._receive(), wait)
        except TimeoutError:
            await self._cut(RequestTimeout("the request body arrived too slowly", "请求内容传输过慢"))
        if message["type"] == "http.request":
            size = len(message.get("body", b""))
            self.received += size
            if self.received > self.limit:
                await self._cut(_too_large(self.limit))
            if self.ticket is not None:
                try:
                    self.ticket.charge(size)
                except DomainError as exc:
                    await self._cut(exc)
            if not message.get("more_body", False):
                self.complete = True
        return message

    async def _cut(self, exc: DomainError) -> None:
        self.cut = exc
        if not self.started:
            await send_error(self.scope, self._send, exc, login_path=self.gate.login_path)
        raise BodyRejected(exc.en)
