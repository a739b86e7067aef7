"""The Typer application object and helpers shared by the command modules."""

from __future__ import annotations

import sys
from datetime import datetime

import typer
from rich.console import Console

from refundguard import __version__

app = typer.Typer(name="refundguard", add_completion=False, no_args_is_help=True,
                  help="Find AI-forged evidence in refund-only claims and explain why. / "
                       "识别仅退款申请中的 AI 伪造凭证。")
err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear line to stderr and return the Exit to raise."""
    text = " ".join(str(message).split())
    err.print(f"[bold red]error:[/] {text}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"--{name}: {value!r} is not an ISO-8601 date/time (e.g. 2026-05-01T14:30+08:00)") from exc


def version_callback(value: bool) -> None:
    if value:
        out.print(f"refundguard {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """RefundGuard command line."""


def run() -> None:  # console-script entry point with a last-resort guard against tracebacks
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
