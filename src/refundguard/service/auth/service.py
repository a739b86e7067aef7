"""Create and verify API keys.

A key reads ``rg_<key id>_<secret>``. The table keeps the key id, a random per-key salt and
``HMAC-SHA256(salt, secret)``; the secret itself is shown once and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from refundguard.service.auth.models import ApiKey
from refundguard.service.errors import Invalid, Unauthorized

KEY_PATTERN = re.compile(r"^rg_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")
IDENT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


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


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def create_key(*, session: Session, tenant: str, role: str, merchant_id: str | None = None,
               label: str | None = None) -> tuple[str, ApiKey]:
    """Create a key; returns the full key text (shown once) and the stored row."""
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
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    row = ApiKey(key_id=key_id, salt=salt, digest=_digest(salt, secret), tenant=tenant, role=role_value.value,
                 merchant_id=merchant_id, label=label)
    session.add(row)
    session.flush()
    return f"rg_{key_id}_{secret}", row


def authenticate(*, session: Session, key: str | None) -> Principal:
    """The principal of a presented key, or :class:`Unauthorized`."""
    if not key:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                           "缺少 API 密钥：请发送 'Authorization: Bearer <密钥>' 或 'X-API-Key: <密钥>'")
    match = KEY_PATTERN.match(key.strip())
    row = session.get(ApiKey, match.group(1)) if match else None
    if match is None or row is None or row.revoked_at is not None \
            or not hmac.compare_digest(row.digest, _digest(row.salt, match.group(2))):
        raise Unauthorized("invalid or revoked API key", "API 密钥无效或已吊销")
    return Principal(key_id=row.key_id, tenant=row.tenant, role=Role(row.role), merchant_id=row.merchant_id)
