"""RefundGuard: find AI-forged evidence in "refund only" claims and explain why."""

__version__ = "0.1.0"

from refundguard.checks.registry import ClaimInfo
from refundguard.engine import Analysis, analyze
from refundguard.errors import InputError, RefundGuardError
from refundguard.findings import Finding, Region

__all__ = ["Analysis", "ClaimInfo", "Finding", "InputError", "RefundGuardError", "Region", "__version__", "analyze"]
