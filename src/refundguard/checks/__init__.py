"""Independent checks. Each module registers one check with :func:`refundguard.checks.registry.check`.

The exports are imported on first use (:mod:`refundguard._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refundguard._lazy import lazy_exports

if TYPE_CHECKING:
    from refundguard.checks.registry import CheckContext, ClaimInfo, check, registered

__all__ = ["CheckContext", "ClaimInfo", "check", "registered"]

__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, "refundguard.checks.registry"))
