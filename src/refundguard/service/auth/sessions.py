"""Server-side web sessions: the cookie carries a random token, never the API key.

The table keeps ``sha256(token)``, the key the session was opened with, a CSRF token for the session's forms,
an absolute expiry and the last page view (for the idle expiry). Every page view re-reads the session and
its key, so logging out, revoking the key or rotating it away ends the session on the next request.
Opening and ending a session are recorded in the audit chain.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from refundguard.service.audit import service as audit
from refundguard.service.auth.models import ApiKey, WebSession
from refundguard.service.auth.service import Principal, principal_of, usable
from refundguard.service.config import SecurityConfig
from refundguard.service.db import utcnow

COOKIE = "rg_session"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
#: a page view moves ``last_seen_at`` at most this often (one write a minute, not one per request)
TOUCH_EVERY = timedelta(seconds=60)


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def reference(row: WebSession) -> str:
    """The name of a session in the audit chain (a prefix of the hash; it reveals nothing of the token)."""
    return "ses_" + row.id[:16]


@dataclass(frozen=True, slots=True)
class ActiveSession:
    row: WebSession
    principal: Principal

    @property
    def csrf_token(self) -> str:
        return self.row.csrf_token


def open_session(*, session: Session, key: ApiKey, config: SecurityConfig, client: str | None = None,
                 user_agent: str | None = None) -> tuple[str, WebSession]:
    """Start a session for a verified key; returns the cookie's token (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(id=session_id(token), key_id=key.key_id, tenant=key.tenant, csrf_token=secrets.token_urlsafe(32),
                     created_at=now, last_seen_at=now, expires_at=now + timedelta(seconds=config.session_lifetime_s),
                     client=(client or "")[:64] or None, user_agent=(user_agent or "")[:200] or None)
    session.add(row)
    session.flush()
    principal = principal_of(key)
    audit.record(session=session, actor=principal.actor, action="session.created", subject_type="session",
                 subject_id=reference(row), tenant=key.tenant,
                 details={"key_id": key.key_id, "client": row.client, "expires_at": row.expires_at.isoformat()})
    return token, row


def _live(row: WebSession | None, config: SecurityConfig, now: datetime) -> bool:
    return (row is not None and row.revoked_at is None and row.expires_at > now
            and row.last_seen_at + timedelta(seconds=config.session_idle_s) > now)


def resolve(*, session: Session, token: str | None, config: SecurityConfig,
            touch: bool = True) -> ActiveSession | None:
    """The live session of a cookie token and its key's principal, or None (expired, ended, key revoked)."""
    if not token or not TOKEN_PATTERN.match(token):
        return None
    now = utcnow()
    row = session.get(WebSession, session_id(token))
    if row is None or not _live(row, config, now):
        return None
    key = session.get(ApiKey, row.key_id)
    if key is None or not usable(key, now):
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return ActiveSession(row=row, principal=principal_of(key))


def end_session(*, session: Session, token: str | None, config: SecurityConfig) -> bool:
    """Log out: revoke the session of ``token``; False when there was no live session."""
    active = resolve(session=session, token=token, config=config, touch=False)
    if active is None:
        return False
    active.row.revoked_at = utcnow()
    audit.record(session=session, actor=active.principal.actor, action="session.ended", subject_type="session",
                 subject_id=reference(active.row), tenant=active.row.tenant, details={"why": "logout"})
    session.flush()
    return True


def csrf_ok(active: ActiveSession, presented: str | None) -> bool:
    """Whether a form carried this session's CSRF token."""
    return bool(presented) and hmac.compare_digest(active.csrf_token.encode(), str(presented).encode())
