"""Authentication with rate limits: a client address that sends too many wrong API keys, or fails to log in
too often, is refused with 429 for a while; the moment it crosses the limit is recorded in the audit chain.

One :class:`AuthGuard` per app (``app.state.auth_guard``) serves the API dependencies, the request gate
(which authenticates before a body is read) and the login form.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.orm import Session

from refundguard.service.audit import service as audit
from refundguard.service.auth.ratelimit import FailureLimiter
from refundguard.service.auth.service import KEY_PATTERN, Principal, authenticate
from refundguard.service.config import SecurityConfig
from refundguard.service.errors import TooManyRequests, Unauthorized

log = logging.getLogger("refundguard.auth")


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key of a request: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    header = headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return headers.get("x-api-key")


class AuthGuard:
    """Failed-key and failed-login limits by client address."""

    def __init__(self, config: SecurityConfig) -> None:
        self.keys = FailureLimiter(config.key_failures, config.key_window_s)
        self.logins = FailureLimiter(config.login_failures, config.login_window_s)

    @staticmethod
    def _refuse(retry_after: float, *, login: bool) -> TooManyRequests:
        minutes = max(1, round(retry_after / 60))
        if login:
            return TooManyRequests(f"too many failed logins from this address; try again in about {minutes} min",
                                   f"该地址登录失败次数过多，请约 {minutes} 分钟后再试", retry_after_s=retry_after,
                                   code="too_many_failed_logins")
        return TooManyRequests(f"too many requests with a wrong API key from this address; retry in "
                               f"{max(1, round(retry_after))} s",
                               f"该地址使用错误 API 密钥的请求过多，请 {max(1, round(retry_after))} 秒后重试",
                               retry_after_s=retry_after, code="too_many_failed_keys")

    def check_key_allowed(self, client: str) -> None:
        if (wait := self.keys.retry_after(client)) > 0:
            raise self._refuse(wait, login=False)

    def check_login_allowed(self, client: str) -> None:
        if (wait := self.logins.retry_after(client)) > 0:
            raise self._refuse(wait, login=True)

    def api_principal(self, *, session: Session, headers: Mapping[str, str], client: str) -> Principal:
        """The principal of the request's API key; counts a wrong key against the client."""
        self.check_key_allowed(client)
        key = presented_key(headers)
        try:
            return authenticate(session=session, key=key)
        except Unauthorized:
            if key:
                match = KEY_PATTERN.match(key.strip())
                log.info("wrong API key from %s (key id %s)", client, match.group(1) if match else "malformed")
                self.key_failed(client, key, session)
            raise

    def key_failed(self, client: str, key: str, session: Session) -> None:
        if self.keys.failed(client):
            self._locked("api_key", client, key, session)

    def login_failed(self, client: str, key: str, session: Session) -> None:
        log.info("failed login from %s", client)
        if self.logins.failed(client):
            self._locked("login", client, key, session)

    def _locked(self, kind: str, client: str, key: str, session: Session) -> None:
        """Record the lockout in the caller's session (nothing else is pending in it: authentication comes first)
        and commit; a separate connection would wait on the caller's own lock under SQLite."""
        limiter = self.logins if kind == "login" else self.keys
        match = KEY_PATTERN.match(key.strip())
        log.warning("%s failures from %s reached %d in %.0f s: refusing it for a while", kind, client,
                    limiter.limit, limiter.window_s)
        try:
            audit.record(session=session, actor="system:auth", action="auth.rate_limited", subject_type="client",
                         subject_id=client[:64], details={"kind": kind, "failures": limiter.limit,
                                                          "window_s": limiter.window_s,
                                                          "last_key_id": match.group(1) if match else None})
            session.commit()
        except Exception:  # the refusal stands even when the audit write fails; the log has it
            session.rollback()
            log.exception("could not record the rate limit in the audit chain")
