"""Service commands: ``serve``, ``worker``, ``db upgrade``, ``keys create``, ``audit verify``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from refundguard.cli.app import app, fail, out
from refundguard.config import Settings, load_settings
from refundguard.errors import RefundGuardError

if TYPE_CHECKING:
    from refundguard.service.db import Database

db_app = typer.Typer(help="Database schema. / 数据库结构。", no_args_is_help=True)
keys_app = typer.Typer(help="API keys. / API 密钥。", no_args_is_help=True)
audit_app = typer.Typer(help="Audit chain. / 审计链。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except RefundGuardError as exc:
        raise fail(str(exc)) from exc


def _database(settings: Settings) -> Database:
    from sqlalchemy.exc import SQLAlchemyError

    from refundguard.service.db import Database as _Database

    try:
        db = _Database(settings.database_url)
        db.upgrade()
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise fail(f"database {settings.database_url!r} is not usable: {str(exc).splitlines()[0]}") from exc
    return db


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers_backend: Annotated[str, typer.Option("--workers-backend",
                                                 help="local (in-process pool) or celery (Redis broker).")] = "local",
    broker_url: Annotated[str | None, typer.Option("--broker-url", help="Redis URL for --workers-backend celery.")]
    = None,
    local: Annotated[bool, typer.Option("--local", help="Single-merchant local mode (web pages, no accounts).")]
    = False,
    config: ConfigOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the claim service (HTTP API) with uvicorn. / 启动申请服务（HTTP API）。"""
    import uvicorn

    if workers_backend not in ("local", "celery"):
        raise fail("--workers-backend must be local or celery / --workers-backend 只能是 local 或 celery")
    settings = _settings(config)
    if local:
        from refundguard.web.local import create_local_app

        application = create_local_app(settings=settings)
    else:
        from pydantic import ValidationError

        from refundguard.service.app import create_app
        from refundguard.service.config import ServiceConfig

        overrides: dict[str, object] = {"jobs_backend": workers_backend}
        if broker_url:
            overrides["broker_url"] = broker_url
        try:
            service_config = ServiceConfig(**overrides)
        except ValidationError as exc:
            raise fail(f"service settings are invalid: {exc.errors()[0]['msg']}") from exc
        _database(settings).dispose()
        try:
            application = create_app(settings, service_config)
        except RefundGuardError as exc:  # e.g. unusable ledger settings
            raise fail(str(exc)) from exc
    uvicorn.run(application, host=host, port=port, log_level=log_level, workers=1)


@app.command("worker")
def worker(
    broker_url: Annotated[str | None, typer.Option("--broker-url", help="Redis URL (default from settings).")]
    = None,
    concurrency: Annotated[int, typer.Option(help="Worker processes.", min=1)] = max(1, os.cpu_count() or 1),
    config: ConfigOption = None,
) -> None:
    """Run a Celery analysis worker (scale-out). / 启动 Celery 分析工作进程。"""
    from refundguard.service.config import ServiceConfig
    from refundguard.service.jobs import make_celery

    settings = _settings(config)
    _database(settings).dispose()
    url = broker_url or ServiceConfig().broker_url
    if broker_url:
        os.environ["REFUNDGUARD_SERVICE_BROKER_URL"] = broker_url
    celery = make_celery(url)
    celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--queues=refundguard",
                        "--without-gossip", "--without-mingle", "--without-heartbeat"])


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations. / 执行数据库迁移。"""
    from refundguard.service.migrations import current

    settings = _settings(config)
    db = _database(settings)
    out.print(f"database at revision {current(db.engine)} / 数据库已升级到 {current(db.engine)}")
    db.dispose()


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant the key belongs to.")],
    role: Annotated[str, typer.Option("--role", help="platform, merchant, reviewer or admin.")],
    merchant: Annotated[str | None, typer.Option("--merchant", help="Merchant id (merchant keys).")] = None,
    label: Annotated[str | None, typer.Option("--label", help="A note to recognise the key.")] = None,
    config: ConfigOption = None,
) -> None:
    """Create an API key and print it once. / 创建 API 密钥（仅显示一次）。"""
    from refundguard.service.auth.service import create_key
    from refundguard.service.errors import DomainError

    db = _database(_settings(config))
    try:
        with db.session() as session:
            key, _row = create_key(session=session, tenant=tenant, role=role, merchant_id=merchant, label=label)
    except DomainError as exc:
        raise fail(f"{exc.en} / {exc.zh}") from exc
    finally:
        db.dispose()
    print(key)


@audit_app.command("verify")
def audit_verify(config: ConfigOption = None) -> None:
    """Check the audit hash chain; exit 1 when an entry was edited or removed. / 校验审计哈希链。"""
    from refundguard.service.audit.service import verify

    db = _database(_settings(config))
    try:
        with db.session() as session:
            result = verify(session=session)
    finally:
        db.dispose()
    if result.ok:
        out.print(f"audit chain intact: {result.entries} entries, head {result.head[:16]} / "
                  f"审计链完整：{result.entries} 条，链头 {result.head[:16]}")
        return
    for problem in result.problems:
        out.print(f"[red]broken:[/] {problem}", highlight=False)
    out.print(f"audit chain BROKEN ({len(result.problems)} problem(s)) / 审计链已被篡改（{len(result.problems)} 处）")
    raise typer.Exit(1)
