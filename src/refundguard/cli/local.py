"""``refundguard local``: the single-merchant local web page (no account, no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refundguard.cli.app import app, fail, fail_with, out, warn_without_cjk_font
from refundguard.errors import RefundGuardError


@app.command("local")
def local_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8765,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file.")] = None,
    tiers: Annotated[Path | None, typer.Option("--tiers", help="Legal tiers TOML for the PDF bundle.")] = None,
) -> None:
    """Serve the local check page: drop a claim photo and your own photos, get the report and the PDF.
    / 启动本地检查页面：上传凭证图片和商家图片，获得报告和 PDF 证据材料。"""
    import uvicorn

    from refundguard.config import load_settings
    from refundguard.report.pdf import load_legal_tiers
    from refundguard.web.local import create_local_app

    try:
        web_app = create_local_app(settings=load_settings(config), tiers=load_legal_tiers(tiers))
    except RefundGuardError as exc:
        raise fail(exc) from exc
    warn_without_cjk_font()
    out.print(f"RefundGuard: http://{host}:{port}/  (Ctrl+C 停止 / to stop)", highlight=False)
    try:
        uvicorn.run(web_app, host=host, port=port, log_level="warning")
    except OSError as exc:
        raise fail_with("cli.cannot_listen", host=host, port=port, why=exc.strerror or str(exc)) from exc
