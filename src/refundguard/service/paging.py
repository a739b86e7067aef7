"""The one shape of every list the API answers: a page of ``items`` with the ``total`` and the ``limit``/``offset``
asked for (``?limit=&offset=`` on every list route)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, how many there are in all (``total``), and the ``limit``/``offset`` asked for.
    Every list route of the API answers in this shape."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(items: Sequence[T], *, limit: int, offset: int) -> Page[T]:
    """The page of a short list held whole (a tenant's keys or webhook endpoints)."""
    return Page[T](items=list(items[offset:offset + limit]), total=len(items), limit=limit, offset=offset)
