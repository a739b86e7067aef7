"""Who sees the ledger's finding: reviewers, admins and the platform see it; merchants never do.

A merchant's view of a report leaves out every ``ledger.*`` finding and the reasons it produced; the claim's
risk and level are the claim's routing and stay as they are.
"""

from __future__ import annotations

from typing import Any


def for_merchant(report: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``report`` without the ledger's findings and reasons."""
    hidden = [f for f in report.get("findings", []) if str(f.get("code", "")).startswith("ledger.")]
    if not hidden:
        return report
    out = dict(report)
    out["findings"] = [f for f in report.get("findings", []) if f not in hidden]
    texts_en = {(f.get("message") or {}).get("en") for f in hidden}
    texts_zh = {(f.get("message") or {}).get("zh") for f in hidden}
    for key, texts in (("reasons", texts_en), ("reasons_zh", texts_zh)):
        if isinstance(report.get(key), list):
            out[key] = [r for r in report[key] if not any(t and str(r).endswith(t) for t in texts)]
    if isinstance(report.get("checks"), dict) and "ledger" in report["checks"]:
        out["checks"] = {k: v for k, v in report["checks"].items() if k != "ledger"}
    return out


def for_role(report: dict[str, Any], role: str) -> dict[str, Any]:
    return for_merchant(report) if role == "merchant" else report
