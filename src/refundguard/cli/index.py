"""``refundguard index add | query | stats``: fill and inspect the reuse index.

The index URL comes from ``--index``, else the ``index_url`` setting (``REFUNDGUARD_INDEX_URL`` or the
TOML file): ``sqlite:///path``, a file path, or ``postgresql://user@host:port/db``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from refundguard.cli.app import app, fail, fail_about, fail_with, out, parse_time
from refundguard.errors import RefundGuardError

if TYPE_CHECKING:
    from refundguard.config import Settings
    from refundguard.index import ReuseIndex

index_app = typer.Typer(name="index", no_args_is_help=True,
                        help="The reuse index of claim photos. / 图片复用索引（跨申请查重）。")
app.add_typer(index_app, name="index")

IndexOption = Annotated[str | None, typer.Option("--index", help="Index URL (sqlite:///PATH, PATH or "
                                                 "postgresql://...); default: settings index_url / "
                                                 "REFUNDGUARD_INDEX_URL.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]


def index_url(option: str | None, settings: Settings) -> str | None:
    """The index URL to use: the option, else the configured one (None when neither is set)."""
    return option or settings.index_url or None


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database failure during an index operation into a one-line error (exit 2)."""
    import psycopg

    try:
        yield
    except (sqlite3.Error, psycopg.Error) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise fail_with("cli.index_db_error", detail=first) from exc


def open_configured(option: str | None, config: Path | None) -> tuple[Settings, ReuseIndex]:
    """Settings and the opened index, or a one-line error (exit 2) when none is configured or it fails to open."""
    from refundguard.config import load_settings
    from refundguard.index import open_index

    try:
        settings = load_settings(config)
        url = index_url(option, settings)
        if not url:
            raise fail_with("cli.no_index")
        return settings, open_index(url)
    except RefundGuardError as exc:
        raise fail(exc) from exc


@index_app.command("add")
def add_command(
    paths: Annotated[list[Path], typer.Argument(help="Photos or folders to index.")],
    claim: Annotated[str | None, typer.Option("--claim", help="Claim id the photos belong to.")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="Buyer id.")] = None,
    merchant: Annotated[str | None, typer.Option("--merchant", help="Merchant id.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Account id.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="When the photos were submitted (ISO 8601); "
                                           "default now.")] = None,
    index: IndexOption = None,
    config: ConfigOption = None,
) -> None:
    """Fingerprint photos and add them to the index (hashes and ids only, never pixels)."""
    from refundguard.engine import expand_paths
    from refundguard.index import image_fingerprint
    from refundguard.media.load import load_image

    when = parse_time(at, "at") or datetime.now(UTC)
    files = expand_paths(paths)
    if not files:
        raise fail_with("cli.no_image_in_paths")
    settings, ix = open_configured(index, config)
    with ix, database_errors():
        for path in files:
            try:
                image = load_image(path, limits=settings.limits)
            except RefundGuardError as exc:
                raise fail_about(path, exc) from exc
            ix.add(image_fingerprint(image.pixels), claim_id=claim, buyer_id=buyer, merchant_id=merchant,
                   account_id=account, at=when, image_sha256=image.sha256)
        out.print(f"added {len(files)} photo(s) to {ix.url} / 已加入 {len(files)} 张图片", highlight=False)


@index_app.command("query")
def query_command(
    path: Annotated[Path, typer.Argument(help="Photo to look up.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Most matches to show.")] = 10,
    index: IndexOption = None,
    config: ConfigOption = None,
) -> None:
    """List indexed photos that this photo duplicates (also cropped, mirrored or framed copies)."""
    from rich.table import Table

    from refundguard.index.fingerprint import QUERY_FEATURES, image_fingerprint
    from refundguard.media.load import load_image

    settings, ix = open_configured(index, config)
    with ix, database_errors():
        try:
            image = load_image(path, limits=settings.limits)
        except RefundGuardError as exc:
            raise fail_about(path, exc) from exc
        matches = ix.query(image_fingerprint(image.pixels, features=QUERY_FEATURES), k=limit,
                           mirror_pixels=image.pixels)
    if as_json:
        print(json.dumps({"path": str(path), "sha256": image.sha256, "matches": [m.to_dict() for m in matches]},
                         ensure_ascii=False, indent=2))
        return
    if not matches:
        out.print("no match in the index / 索引中没有匹配")
        return
    table = Table(show_header=True, header_style="bold")
    for col in ("claim", "buyer", "merchant", "account", "at", "method", "distance/inliers"):
        table.add_column(col)
    for m in matches:
        r = m.record
        strength = f"{m.distance} bits" if m.method == "pdq" else f"{m.inliers} inliers"
        table.add_row(r.claim_id or "-", r.buyer_id or "-", r.merchant_id or "-", r.account_id or "-",
                      r.at.isoformat(timespec="seconds") if r.at else "-", m.method + (" (mirror)" if m.mirrored
                                                                                         else ""), strength)
    out.print(table)


@index_app.command("stats")
def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    index: IndexOption = None,
    config: ConfigOption = None,
) -> None:
    """Show what the index holds."""
    _, ix = open_configured(index, config)
    with ix, database_errors():
        stats = ix.stats().to_dict()
    if as_json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    for key, value in stats.items():
        out.print(f"{key}: {value}", highlight=False)
