"""Create, verify, list, revoke and rotate API keys.

A key reads ``rg_<key id>_<secret>``. The table keeps the key id, a random per-key salt and
``HMAC-SHA256(salt, secret)``; the secret itself is shown once and never stored. A revoked key fails on the
very next request (every request reads the row), and revoking a key ends the web sessions opened with it.
Creating (with an ``actor``), revoking and rotating are recorded in the audit chain.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from refundguard.service.audit import service as audit
from refundguard.service.auth.models import ApiKey, WebSession
from refundguard.service.db import utcnow
from refundguard.service.errors import Invalid, NotFound, Unauthorized

KEY_PATTERN = re.compile(r"^rg_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")
KEY_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
IDENT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
#: the longest a rotated key may keep working beside its successor
MAX_GRACE = timedelta(days=7)


class Role(StrEnum):
    PLATFORM = "platform"
    MERCHANT = "merchant"
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: tenant, role and (for merchant keys) the merchant."""

    key_id: str
    tenant: str
    role: Role
    merchant_id: str | None = None

    @property
    def actor(self) -> str:
        suffix = f":{self.merchant_id}" if self.merchant_id else ""
        return f"{self.role.value}:{self.key_id}{suffix}"


def principal_of(row: ApiKey) -> Principal:
    return Principal(key_id=row.key_id, tenant=row.tenant, role=Role(row.role), merchant_id=row.merchant_id)


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def usable(row: ApiKey, now: datetime | None = None) -> bool:
    """Not revoked and not past its expiry (a rotated key's grace period)."""
    now = now or utcnow()
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def create_key(*, session: Session, tenant: str, role: str, merchant_id: str | None = None,
               label: str | None = None, actor: str | None = None) -> tuple[str, ApiKey]:
    """Create a key; returns the full key text (shown once) and the stored row.

    With ``actor`` (the CLI's operator, an admin key) the creation is audited.
    """
    if not IDENT_PATTERN.match(tenant or ""):
        raise Invalid("tenant must be 1-64 letters, digits or . _ : -",
                      "租户标识须为 1-64 个字母、数字或 . _ : -")
    try:
        role_value = Role(role)
    except ValueError as exc:
        raise Invalid(f"role must be one of {', '.join(r.value for r in Role)}",
                      f"角色必须是 {', '.join(r.value for r in Role)} 之一") from exc
    if role_value is Role.MERCHANT and not merchant_id:
        raise Invalid("a merchant key needs --merchant", "商家密钥需要指定 --merchant")
    if role_value is not Role.MERCHANT and merchant_id:
        raise Invalid("only merchant keys are bound to a merchant", "只有商家密钥可以绑定商家")
    if merchant_id is not None and not IDENT_PATTERN.match(merchant_id):
        raise Invalid("merchant must be 1-64 letters, digits or . _ : -",
                      "商家标识须为 1-64 个字母、数字或 . _ : -")
    if label is not None and len(label) > 200:
        raise Invalid("label must be at most 200 characters", "备注最多 200 个字符")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    row = ApiKey(key_id=key_id, salt=salt, digest=_digest(salt, secret), tenant=tenant, role=role_value.value,
                 merchant_id=merchant_id, label=label, created_at=utcnow())
    session.add(row)
    session.flush()
    if actor is not None:
        audit.record(session=session, actor=actor, action="key.created", subject_type="api_key", subject_id=key_id,
                     tenant=tenant, details={"role": row.role, "merchant_id": merchant_id, "label": label})
    return f"rg_{key_id}_{secret}", row


def key_row(*, session: Session, key: str | None) -> ApiKey:
    """The usable key row of a presented key, or :class:`Unauthorized`."""
    if not key:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                           "缺少 API 密钥：请发送 'Authorization: Bearer <密钥>' 或 'X-API-Key: <密钥>'")
    match = KEY_PATTERN.match(key.strip())
    row = session.get(ApiKey, match.group(1)) if match else None
    if match is None or row is None or not usable(row) \
            or not hmac.compare_digest(row.digest, _digest(row.salt, match.group(2))):
        raise Unauthorized("invalid, expired or revoked API key", "API 密钥无效、已过期或已吊销",
                           headers={"WWW-Authenticate": "Bearer"})
    return row


def authenticate(*, session: Session, key: str | None) -> Principal:
    """The principal of a presented key, or :class:`Unauthorized`."""
    return principal_of(key_row(session=session, key=key))


def list_keys(*, session: Session, tenant: str | None = None, include_revoked: bool = True) -> list[ApiKey]:
    """Keys of ``tenant`` (every tenant when None), oldest first; never their secrets."""
    query = select(ApiKey).order_by(ApiKey.tenant, ApiKey.created_at, ApiKey.key_id)
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def get_key(*, session: Session, key_id: str, tenant: str | None = None) -> ApiKey:
    """One key (of ``tenant`` when given); :class:`NotFound` otherwise, so other tenants' keys stay hidden."""
    row = session.get(ApiKey, key_id) if KEY_ID_PATTERN.match(key_id or "") else None
    if row is None or (tenant is not None and row.tenant != tenant):
        raise NotFound(f"API key {key_id[:40]!r} not found", f"未找到 API 密钥 {key_id[:40]!r}")
    return row


def end_sessions(*, session: Session, key_id: str, now: datetime) -> int:
    """Revoke every open web session of a key; returns how many."""
    result = session.execute(update(WebSession).where(WebSession.key_id == key_id, WebSession.revoked_at.is_(None))
                             .values(revoked_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_key(*, session: Session, key_id: str, actor: str, tenant: str | None = None,
               reason: str | None = None) -> ApiKey:
    """Revoke a key now (idempotent) and end its web sessions; audited as ``key.revoked``."""
    row = get_key(session=session, key_id=key_id, tenant=tenant)
    if row.revoked_at is not None:
        return row
    now = utcnow()
    row.revoked_at = now
    ended = end_sessions(session=session, key_id=row.key_id, now=now)
    session.flush()
    audit.record(session=session, actor=actor, action="key.revoked", subject_type="api_key", subject_id=row.key_id,
                 tenant=row.tenant, details={"role": row.role, "merchant_id": row.merchant_id,
                                             "reason": (reason or "")[:500] or None, "sessions_ended": ended})
    return row


def rotate_key(*, session: Session, key_id: str, actor: str, tenant: str | None = None,
               grace: timedelta = timedelta(0)) -> tuple[str, ApiKey, ApiKey]:
    """Issue a successor with the same tenant, role, merchant and label; the old key stops at once or, with
    ``grace``, when the grace period ends. Returns the new key text, the new row and the old row."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise Invalid("the grace period must be between 0 and 7 days", "宽限期须在 0 到 7 天之间")
    old = get_key(session=session, key_id=key_id, tenant=tenant)
    if not usable(old):
        raise Invalid("a revoked or expired key cannot be rotated; create a new key instead",
                      "已吊销或已过期的密钥不能轮换，请新建密钥")
    text, new = create_key(session=session, tenant=old.tenant, role=old.role, merchant_id=old.merchant_id,
                           label=old.label)
    now = utcnow()
    ended = 0
    if grace > timedelta(0):
        old.expires_at = now + grace
    else:
        old.revoked_at = now
        ended = end_sessions(session=session, key_id=old.key_id, now=now)
    session.flush()
    audit.record(session=session, actor=actor, action="key.rotated", subject_type="api_key", subject_id=old.key_id,
                 tenant=old.tenant, details={"successor": new.key_id, "role": old.role,
                                             "merchant_id": old.merchant_id, "grace_s": grace.total_seconds(),
                                             "sessions_ended": ended})
    return text, new, old
