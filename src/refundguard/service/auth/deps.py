"""FastAPI dependencies: the database session and the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from refundguard.service.auth.guard import AuthGuard, presented_key
from refundguard.service.auth.ratelimit import client_address
from refundguard.service.auth.service import Principal

__all__ = ["CurrentPrincipal", "DbSession", "get_principal", "get_session", "presented_key"]


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; routes commit explicitly, anything uncommitted is rolled back."""
    session = request.app.state.db.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, session: DbSession) -> Principal:
    """The caller. The request gate already checked the key of a request with a body (before reading it);
    that principal is reused, anything else is checked here, against the failed-key limit."""
    checked = request.scope.get("state", {}).get("principal")
    if isinstance(checked, Principal):
        principal = checked
    else:
        guard: AuthGuard = request.app.state.auth_guard
        principal = guard.api_principal(session=session, headers=request.headers, client=client_address(request.scope))
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
