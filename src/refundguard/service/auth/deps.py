"""FastAPI dependencies: the database session and the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from refundguard.service.auth.service import Principal, authenticate


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; routes commit explicitly, anything uncommitted is rolled back."""
    session = request.app.state.db.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def get_principal(request: Request, session: DbSession) -> Principal:
    principal = authenticate(session=session, key=presented_key(request))
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
