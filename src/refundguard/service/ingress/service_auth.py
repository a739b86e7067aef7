"""How the claim service's request gate authenticates from headers alone: the API key (counted against the
failed-key limit) for ``/v1``, the session cookie for the web pages."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from refundguard.service.auth import sessions
from refundguard.service.auth.guard import AuthGuard
from refundguard.service.auth.ratelimit import client_address
from refundguard.service.auth.service import Principal
from refundguard.service.config import SecurityConfig
from refundguard.service.db import Database
from refundguard.service.errors import Unauthorized
from refundguard.service.ingress.gate import BodyRule, Caller, Scope


class ServiceAuthenticator:
    """The gate's authenticator for the claim service."""

    def __init__(self, db: Database, guard: AuthGuard, security: SecurityConfig) -> None:
        self.db = db
        self.guard = guard
        self.security = security

    def _api(self, scope: Scope, headers: Headers) -> Principal:
        with self.db.sessions() as session:
            return self.guard.api_principal(session=session, headers=headers, client=client_address(scope))

    def _session(self, headers: Headers) -> Principal | None:
        token = cookie_parser(headers.get("cookie", "")).get(sessions.COOKIE)
        with self.db.sessions() as session:
            active = sessions.resolve(session=session, token=token, config=self.security, touch=False)
            return active.principal if active is not None else None

    async def __call__(self, scope: Scope, headers: Headers, rule: BodyRule) -> Caller:
        if rule.auth == "api_key":
            principal = await run_in_threadpool(self._api, scope, headers)
            scope.setdefault("state", {})["principal"] = principal
            return Caller(principal.tenant, principal.role.value)
        if rule.auth == "session":
            found = await run_in_threadpool(self._session, headers)
            if found is None:
                raise Unauthorized("log in again: the session has ended", "请重新登录：会话已结束",
                                   code="login_required")
            return Caller(found.tenant, found.role.value)
        return Caller(None)
