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
