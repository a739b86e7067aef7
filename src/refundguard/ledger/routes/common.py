"""Helpers of the ledger routes: the request's ledger, role checks, errors as the service's domain errors."""

from __future__ import annotations

from fastapi import Request

from refundguard.ledger.auth import AuthError
from refundguard.ledger.pseudonyms import PseudonymError
from refundguard.ledger.runtime import Ledger
from refundguard.service.auth.service import Principal, Role
from refundguard.service.errors import DomainError, Forbidden, Invalid, TooManyRequests, Unavailable

#: who may do what in the ledger (default deny)
ACTIONS: dict[str, frozenset[Role]] = {
    "ledger.register_buyer": frozenset({Role.PLATFORM, Role.ADMIN}),
    "ledger.buyer_link": frozenset({Role.PLATFORM, Role.ADMIN}),
    "ledger.query": frozenset({Role.REVIEWER, Role.ADMIN}),
    "ledger.appeals": frozenset({Role.REVIEWER, Role.ADMIN}),
    "ledger.revoke": frozenset({Role.ADMIN}),
    "ledger.status": frozenset({Role.REVIEWER, Role.ADMIN}),
    "ledger.sync": frozenset({Role.ADMIN}),
}


def require(principal: Principal, action: str) -> None:
    if principal.role not in ACTIONS.get(action, frozenset()):
        raise Forbidden(f"role '{principal.role.value}' may not {action.replace('.', ' ').replace('_', ' ')}",
                        f"角色 '{principal.role.value}' 无权执行 {action}")


def ledger_of(request: Request) -> Ledger:
    return request.app.state.ledger


class MemberRefused(DomainError):
    def __init__(self, exc: AuthError) -> None:
        super().__init__(exc.message, "成员请求认证失败：" + exc.code, code=exc.code)
        self.status = exc.status


def pseudonym_error(exc: PseudonymError) -> DomainError:
    if exc.status == 429:
        return TooManyRequests(str(exc), "OPRF 运营方拒绝：超出速率限制，请稍后重试", retry_after_s=1.0,
                               code="rate_limited")
    if exc.status == 422:
        return Invalid(str(exc), "标识数量无效")
    return Unavailable(str(exc), "暂时无法生成假名（OPRF 运营方不可用或应答无效）", code="ledger_unavailable")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()
