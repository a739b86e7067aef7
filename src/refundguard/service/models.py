"""Import every table so ``Base.metadata`` is complete (migrations and the schema test use it)."""

from __future__ import annotations

from refundguard.capture.models import AnalysisPass, CaptureFrame, CaptureRequest
from refundguard.service.audit.models import AuditEntry, AuditHead
from refundguard.service.auth.models import ApiKey
from refundguard.service.claims.models import AnalysisJob, Claim, ClaimAnalysis
from refundguard.service.db import Base
from refundguard.service.evidence.models import Evidence
from refundguard.service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = ["AnalysisJob", "AnalysisPass", "ApiKey", "AuditEntry", "AuditHead", "Base", "CaptureFrame", "CaptureRequest",
           "Claim", "ClaimAnalysis", "Evidence", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"]
