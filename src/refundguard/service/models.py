"""Import every table so ``Base.metadata`` is complete (migrations and the schema test use it)."""

from __future__ import annotations

import refundguard.ledger.models  # noqa: F401 - the ledger's tables (migration ledger_0001)
from refundguard.service.audit.models import AuditEntry, AuditHead, AuditTenantHead
from refundguard.service.auth.models import ApiKey, WebSession
from refundguard.service.claims.models import AnalysisJob, Claim, ClaimAnalysis, ReuseRecorded
from refundguard.service.db import Base
from refundguard.service.evidence.models import Evidence
from refundguard.service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = ["AnalysisJob", "ApiKey", "AuditEntry", "AuditHead", "AuditTenantHead", "Base", "Claim", "ClaimAnalysis",
           "Evidence", "ReuseRecorded", "WebSession", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"]
