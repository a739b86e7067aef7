"""RefundGuard: find AI-forged evidence in "refund only" claims and explain why."""

__version__ = "0.1.0"

from refundguard.checks.registry import ClaimInfo  # noqa: E402
from refundguard.engine import Analysis, analyze  # noqa: E402
from refundguard.errors import InputError, RefundGuardError  # noqa: E402
from refundguard.findings import Finding, Region  # noqa: E402

__all__ = ["Analysis", "ClaimInfo", "Finding", "InputError", "Region", "RefundGuardError", "__version__", "analyze"]
