"""Role checks, default-deny. Each action names the roles allowed to perform it."""

from __future__ import annotations

from refundguard.service.auth.service import Principal, Role
from refundguard.service.error_text import forbidden
from refundguard.service.errors import Forbidden

ACTIONS: dict[str, frozenset[Role]] = {
    "claim.create": frozenset({Role.PLATFORM, Role.ADMIN}),
    "claim.read": frozenset({Role.PLATFORM, Role.MERCHANT, Role.REVIEWER, Role.ADMIN}),
    "claim.add_buyer_evidence": frozenset({Role.PLATFORM, Role.ADMIN}),
    "claim.respond": frozenset({Role.MERCHANT, Role.ADMIN}),
    "claim.decide": frozenset({Role.REVIEWER, Role.ADMIN}),
    "claim.close": frozenset({Role.PLATFORM, Role.REVIEWER, Role.ADMIN}),
    "queue.read": frozenset({Role.REVIEWER, Role.ADMIN}),
    "webhook.manage": frozenset({Role.PLATFORM, Role.ADMIN}),
    "audit.verify": frozenset({Role.ADMIN, Role.REVIEWER}),
    "audit.verify_all": frozenset({Role.ADMIN}),
    "audit.checkpoint": frozenset({Role.PLATFORM, Role.REVIEWER, Role.ADMIN}),
    "key.manage": frozenset({Role.ADMIN}),
}


def require(principal: Principal, action: str) -> None:
    """Raise :class:`Forbidden` unless the principal's role may perform ``action``."""
    if principal.role not in ACTIONS.get(action, frozenset()):
        en, zh = forbidden(principal.role.value, action)
        raise Forbidden(en, zh)
