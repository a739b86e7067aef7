"""``refundguard analyze``: analyse the photos of one claim and print or write the report."""

from __future__ import annotations

import os
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from refundguard.cli._start import resume_gc
from refundguard.cli.app import app, err, fail, fail_with, out, parse_time, plain
from refundguard.errors import RefundGuardError

if TYPE_CHECKING:
    from refundguard.engine import Analysis

LEVEL_STYLE = {"low": "bold green", "review": "bold yellow", "high": "bold red"}


@app.command("analyze")
def analyze_command(
    paths: Annotated[list[Path], typer.Argument(help="Claim photos or folders (several photos of one claim).")],
    reference: Annotated[list[Path] | None, typer.Option("--reference", "-r",
                                                         help="Merchant listing/shipping photo or folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write the self-contained HTML report here.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the text output: zh or en.")] = "zh",
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="Zone of the times shown (IANA name, e.g. Asia/Shanghai); default Asia/Shanghai with "
                           "--lang zh, UTC with en.")] = None,
    claim_id: Annotated[str | None, typer.Option("--claim-id", help="Claim id.")] = None,
    order_time: Annotated[str | None, typer.Option("--order-time", help="Order time (ISO 8601).")] = None,
    delivered_at: Annotated[str | None, typer.Option("--delivered-at", help="Delivery time (ISO 8601).")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="Buyer id.")] = None,
    merchant: Annotated[str | None, typer.Option("--merchant", help="Merchant id.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file.")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Run only these checks.")] = None,
    no_heatmaps: Annotated[bool, typer.Option("--no-heatmaps", help="Leave heatmaps out of the JSON.")] = False,
    index: Annotated[str | None, typer.Option("--index", help="Reuse index URL; default: settings index_url. "
                                              "With --claim-id the photos are recorded in it.")] = None,
) -> None:
    """Analyse claim photos, optionally against the merchant's reference photos."""
    # imported here, not at the top: `refundguard --help` and the other commands do not load the engine
    from refundguard.checks.registry import ClaimInfo, registered
    from refundguard.cli.progress import shown
    from refundguard.config import load_settings
    from refundguard.engine import analyze, expand_paths
    from refundguard.progress import Stages
    from refundguard.report import json as json_report

    if lang not in ("zh", "en"):
        raise fail_with("cli.bad_lang")
    tz = reader_zone(timezone, lang)
    try:
        settings = load_settings(config)
    except RefundGuardError as exc:
        raise fail(exc) from exc
    if check:  # the check modules are imported only when needed: unusable photos fail before that
        known = {c.name for c in registered()}
        if unknown := sorted(set(check) - known):
            raise fail_with("cli.unknown_checks", unknown=unknown, known=sorted(known))
    claims = expand_paths(paths)
    refs = expand_paths(reference or [])
    if not claims:
        raise fail_with("cli.no_image")
    info = ClaimInfo(claim_id=claim_id, order_time=parse_time(order_time, "order-time"),
                     delivered_at=parse_time(delivered_at, "delivered-at"), buyer_id=buyer, merchant_id=merchant)
    reuse_index = None
    if index or settings.index_url:  # the index (and its fingerprint libraries) loads only when one is used
        from refundguard.cli.index import open_configured

        reuse_index = open_configured(index, config)[1]
    # the check modules are imported for the bar only on a terminal: unusable photos otherwise fail before that
    checks = [c.name for c in registered() if not check or c.name in check] if err.is_terminal else []
    stages = Stages(files=[p.name for p in [*claims, *refs]], checks=checks, references=bool(refs))
    resume_gc()  # the start is over: what it made is kept, frozen (see refundguard.cli._start)
    try:
        with shown(stages, lang) as progress:
            result = analyze(claims, refs, info=info, settings=settings, only=check, index=reuse_index,
                             progress=progress)
            if html:
                from refundguard.report import html as html_report

                progress("stage.report")
                html_report.write(result, html, lang=lang, tz=tz)
        if reuse_index is not None and claim_id:
            from refundguard.index import record_analysis

            record_analysis(reuse_index, result)
    except RefundGuardError as exc:
        raise fail(exc) from exc
    finally:
        if reuse_index is not None:
            reuse_index.close()
    if as_json:
        print(json_report.dumps(result, heatmaps=not no_heatmaps))
    else:
        _print_summary(result, lang, tz)
        if html:
            from refundguard.messages import Context, render

            out.print(plain(render("cli.summary.html", {"path": os.fspath(html)}, Context(lang))), highlight=False)


def reader_zone(name: str | None, lang: str) -> tzinfo:
    """The zone times are shown in: ``name`` (an IANA zone), else Asia/Shanghai for Chinese and UTC for English."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name is None:
        return ZoneInfo("Asia/Shanghai") if lang == "zh" else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail_with("cli.bad_timezone", value=name) from exc


def _print_summary(result: Analysis, lang: str, tz: tzinfo | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    from refundguard.messages import Context, finding_key, render, shown
    from refundguard.report import json as json_report

    zh = lang == "zh"
    words = Context(lang, [im.name for im in result.images], tz)
    a = result.assessment
    out.print(Text(render("cli.summary.risk", {"risk": a.risk, "level": a.level}, words), style=LEVEL_STYLE[a.level])
              + Text(render("cli.summary.basis", {"basis": a.basis}, words)), highlight=False)
    for i, note in enumerate(a.notes, 1):
        out.print(Text(f"  {i}. ") + plain(note.zh if zh else note.en, style="yellow"), highlight=False)
    for i, f in enumerate(a.reasons, len(a.notes) + 1):
        # made again for this reader (times in their zone); a finding without a key as it wrote itself
        said = shown(finding_key(f.code, f.variant), f.details, words, stored=f.message.to_dict())
        text = json_report.photo_prefix(result, f.image) + said
        out.print(Text(f"  {i}. ") + plain(text) + Text(f"  ({f.code})", style="dim"), highlight=False)
    if not a.reasons:
        out.print("  " + render("cli.summary.nothing", {}, words))
    if a.basis_text is not None:
        out.print(Text("  ") + plain(a.basis_text.zh if zh else a.basis_text.en), highlight=False)
    table = Table(show_header=True, header_style="bold")
    for col in ("image", "role", "risk", "findings"):
        table.add_column(render(f"cli.column.{col}", {}, words))
    for i, (im, role) in enumerate(zip(result.images, result.roles, strict=True)):
        codes = ", ".join(sorted({f.code for f in result.findings if f.image == i})) or "-"
        table.add_row(plain(im.name), render(f"role.{role}", {}, words), f"{a.image_risks[i]:.0%}", codes)
    out.print(table)
    for im in result.images:
        if im.reduction is not None:
            en, zh_text = im.reduction.message()
            out.print(plain(render("cli.summary.note", {"file": im.name, "text": zh_text if zh else en}, words),
                            style="yellow"), highlight=False)
    failed = {n: s for n, s in result.checks.items() if s.status == "failed"}
    for name, s in failed.items():
        err.print(plain(render("cli.summary.check_failed", {"check": name, "error": s.error}, words), style="yellow"),
                  highlight=False)

