"""The ledger's HTTP surface: platform keys (:mod:`.platform`), member-signed requests (:mod:`.member`), the buyer
(:mod:`.buyer`: JSON and a page)."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from refundguard.ledger.routes import buyer, member, platform

    return [platform.router, member.router, buyer.router, buyer.pages]
