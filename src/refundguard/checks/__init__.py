"""Independent checks. Each module registers one check with :func:`refundguard.checks.registry.check`."""

from refundguard.checks.registry import CheckContext, ClaimInfo, check, registered

__all__ = ["CheckContext", "ClaimInfo", "check", "registered"]
