"""The JSON API: every domain router, mounted under one aggregate router."""

from __future__ import annotations

from fastapi import APIRouter

from refundguard.service.audit.routes import router as audit_router
from refundguard.service.auth.routes import router as keys_router
from refundguard.service.claims.routes import router as claims_router
from refundguard.service.evidence.routes import router as evidence_router
from refundguard.service.webhooks.routes import router as webhooks_router

router = APIRouter()
for _sub in (claims_router, evidence_router, audit_router, webhooks_router, keys_router):
    router.include_router(_sub)
