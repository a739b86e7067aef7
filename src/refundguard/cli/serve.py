"""Service commands: ``serve``, ``worker``, ``db upgrade``, ``keys create|list|revoke|rotate``, ``audit verify``."""

from __future__ import annotations

import getpass
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from refundguard.cli.app import app, err, fail, out
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
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips", help="Addresses of reverse proxies whose X-Forwarded-For/-Proto are trusted "
                                      "(comma-separated; default 127.0.0.1). Rate limits count the client they name.")]
    = None,
    limit_concurrency: Annotated[int, typer.Option(help="Connections at once before new ones get 503.", min=1)]
    = 1000,
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
        application = create_app(settings, service_config)
    uvicorn.run(application, host=host, port=port, log_level=log_level, workers=1, proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips, limit_concurrency=limit_concurrency, timeout_keep_alive=5,
                server_header=False)


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


def _operator() -> str:
    """The audit actor of CLI key commands: the operating-system user who ran them."""
    try:
        return f"cli:{getpass.getuser()}"[:200]
    except (KeyError, OSError):
        return "cli:unknown"


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
            key, _row = create_key(session=session, tenant=tenant, role=role, merchant_id=merchant, label=label,
                                   actor=_operator())
    except DomainError as exc:
        raise fail(f"{exc.en} / {exc.zh}") from exc
    finally:
        db.dispose()
    print(key)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's keys.")] = None,
    active_only: Annotated[bool, typer.Option("--active", help="Hide revoked keys.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array instead of a table.")] = False,
    config: ConfigOption = None,
) -> None:
    """List API keys (never their secrets). / 列出 API 密钥（不显示密钥本身）。"""
    from rich.table import Column, Table

    from refundguard.service.auth.service import list_keys, usable

    db = _database(_settings(config))
    try:
        with db.session() as session:
            rows = list_keys(session=session, tenant=tenant, include_revoked=not active_only)
            items = [{"key_id": r.key_id, "tenant": r.tenant, "role": r.role, "merchant_id": r.merchant_id,
                      "label": r.label, "created_at": r.created_at.isoformat(),
                      "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                      "expires_at": r.expires_at.isoformat() if r.expires_at else None, "active": usable(r)}
                     for r in rows]
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    table = Table(Column("key id", no_wrap=True, min_width=16), "tenant", "role", "merchant", "label",
                  "created (UTC)", "status")
    for item in items:
        status = ("active" if item["active"] and not item["expires_at"] else
                  f"expires {item['expires_at'][:16]}" if item["active"] else
                  f"revoked {item['revoked_at'][:16]}" if item["revoked_at"] else "expired")
        table.add_row(item["key_id"], item["tenant"], item["role"], item["merchant_id"] or "", item["label"] or "",
                      item["created_at"][:16], status)
    out.print(table)
    out.print(f"{len(items)} key(s) / 共 {len(items)} 个密钥")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (16 hex digits; the part after rg_).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded in the audit chain).")] = None,
    config: ConfigOption = None,
) -> None:
    """Revoke a key now: its next request gets 401 and its web sessions end. / 立即吊销密钥。"""
    from refundguard.service.auth.service import revoke_key
    from refundguard.service.errors import DomainError

    db = _database(_settings(config))
    try:
        with db.session() as session:
            row = revoke_key(session=session, key_id=_key_id(key_id), actor=_operator(), reason=reason)
            when = row.revoked_at
    except DomainError as exc:
        raise fail(f"{exc.en} / {exc.zh}") from exc
    finally:
        db.dispose()
    out.print(f"key {key_id} revoked at {when:%Y-%m-%d %H:%M:%S} UTC / 密钥 {key_id} 已吊销", highlight=False)


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key id (16 hex digits; the part after rg_).")],
    grace_minutes: Annotated[int, typer.Option("--grace-minutes", min=0, max=7 * 24 * 60,
                                               help="How long the old key keeps working (default 0: it stops now).")]
    = 0,
    config: ConfigOption = None,
) -> None:
    """Issue a successor (same tenant, role, merchant) and print it once; the old key stops. / 轮换密钥。"""
    from refundguard.service.auth.service import rotate_key
    from refundguard.service.errors import DomainError

    db = _database(_settings(config))
    try:
        with db.session() as session:
            text, new, _old = rotate_key(session=session, key_id=_key_id(key_id), actor=_operator(),
                                         grace=timedelta(minutes=grace_minutes))
            new_id = new.key_id
    except DomainError as exc:
        raise fail(f"{exc.en} / {exc.zh}") from exc
    finally:
        db.dispose()
    when = f"in {grace_minutes} min" if grace_minutes else "now"
    err.print(f"key {key_id} replaced by {new_id}; the old key stops {when} / 旧密钥已被 {new_id} 取代",
              highlight=False)
    print(text)


def _key_id(text: str) -> str:
    """A key id, also accepted as the full key (``rg_<id>_<secret>``; only the id is used)."""
    text = text.strip()
    return text[3:19] if text.startswith("rg_") and len(text) >= 19 else text


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
