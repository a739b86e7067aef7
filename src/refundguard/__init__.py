"""RefundGuard: find AI-forged evidence in "refund only" claims and explain why.

The names below are imported on first use (see :mod:`refundguard._lazy`): ``import refundguard`` alone
loads no image or web library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refundguard._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from refundguard.checks.registry import ClaimInfo
    from refundguard.engine import Analysis, analyze
    from refundguard.errors import InputError, RefundGuardError
    from refundguard.findings import Finding, Region

__all__ = ["Analysis", "ClaimInfo", "Finding", "InputError", "RefundGuardError", "Region", "__version__", "analyze"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "Analysis": "refundguard.engine", "analyze": "refundguard.engine", "ClaimInfo": "refundguard.checks.registry",
    "InputError": "refundguard.errors", "RefundGuardError": "refundguard.errors",
    "Finding": "refundguard.findings", "Region": "refundguard.findings",
})
