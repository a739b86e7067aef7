"""The Jinja2 environment of the report templates (shared partials ``_*.html``) and the helpers they need."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

env = Environment(loader=PackageLoader("refundguard.report", "templates"),
                  autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

#: level -> (English, Chinese); kept for callers of the older API (the catalogue's ``level.*`` is the source)
LEVEL_TEXT = {
    "low": ("Low risk", "低风险"),
    "review": ("Needs human review", "需人工审核"),
    "high": ("High risk: likely forged", "高风险：疑似伪造"),
}

#: coverage basis -> (English, Chinese) (the catalogue's ``basis.*``)
BASIS_TEXT = {
    "verified": ("Verified against independent evidence", "已用独立证据核实"),
    "unverified": ("Unverified: nothing to compare the photos with", "未经核实：没有可比对的证据"),
    "incomplete": ("Incomplete analysis: never refund automatically", "分析不完整：不得自动退款"),
}


def basis_of(report: dict[str, object]) -> dict[str, object] | None:
    """The report's coverage section, or None for a report stored before coverage was recorded."""
    coverage = report.get("coverage")
    return coverage if isinstance(coverage, dict) else None


def translator(lang: str) -> Callable[[str, str], str]:
    """``t(en, zh)`` of a one-language page."""
    def t(en: str, zh: str) -> str:
        return zh if lang == "zh" else en

    return t


def bilingual() -> Callable[[str, str], Markup]:
    """``t(en, zh)`` of the bilingual PDF: the Chinese, then the English in a quieter span."""
    def t(en: str, zh: str) -> Markup:
        if not en.strip() or en.strip() == zh.strip():
            return Markup(escape(zh))
        return Markup(f'{escape(zh)} <span class="en">{escape(en)}</span>')

    return t


def report_css() -> str:
    """The partials' stylesheet (embedded by the standalone HTML, served after web.css by the pages)."""
    return resources.files("refundguard.report").joinpath("templates", "report.css").read_text("utf-8")
