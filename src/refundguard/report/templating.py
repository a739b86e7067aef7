"""The Jinja2 environment of the report templates and the words every surface uses for the levels."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

env = Environment(loader=PackageLoader("refundguard.report", "templates"),
                  autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

#: level -> (English, Chinese)
LEVEL_TEXT = {
    "low": ("Low risk", "低风险"),
    "review": ("Needs human review", "需人工审核"),
    "high": ("High risk: likely forged", "高风险：疑似伪造"),
}

#: coverage basis -> (English, Chinese): what a verdict rests on (see refundguard.coverage)
BASIS_TEXT = {
    "verified": ("Verified against independent evidence", "已用独立证据核实"),
    "unverified": ("Unverified: nothing to compare the photos with", "未经核实：没有可比对的证据"),
    "incomplete": ("Incomplete analysis: never refund automatically", "分析不完整：不得自动退款"),
}


def basis_of(report: dict[str, object]) -> dict[str, object] | None:
    """The report's coverage section, or None for a report stored before coverage was recorded."""
    coverage = report.get("coverage")
    return coverage if isinstance(coverage, dict) else None
