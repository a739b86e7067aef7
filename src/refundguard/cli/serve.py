"""Service commands: ``serve``, ``worker``, ``db upgrade``, ``keys create | list | revoke | rotate``,
``audit verify | checkpoint | public-key``.

Every command takes ``--config`` (one TOML file for the engine and the ``[service]`` table) and
``--database-url``. Only ``serve`` and ``db upgrade`` create a database; every other command needs an existing
one at the current schema and otherwise stops with one line and exit status 2.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from refundguard.cli.app import app, err, fail, fail_bilingual, fail_with, out, warn_without_cjk_font
from refundguard.errors import RefundGuardError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from refundguard.service.audit.service import ChainGuard
    from refundguard.service.config import AppConfig
    from refundguard.service.db import Database

db_app = typer.Typer(help="Database schema. / 数据库结构。", no_args_is_help=True)
keys_app = typer.Typer(help="API keys. / API 密钥。", no_args_is_help=True)
audit_app = typer.Typer(help="Audit chain: verify, signed checkpoints. / 审计链：校验、签名检查点。",
                        no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file (engine and [service]).")]
DatabaseOption = Annotated[str | None, typer.Option("--database-url", help="Service database URL "
                                                    "(default: settings database_url / REFUNDGUARD_DATABASE_URL).")]


def load_config(config: Path | None, database_url: str | None, **service: object) -> AppConfig:
    """The application's configuration, or a one-line error (exit 2)."""
    from refundguard.service.config import load_app_config

    try:
        return load_app_config(config, database_url=database_url, **service)
    except RefundGuardError as exc:
        raise fail(exc) from exc


def _guard(cfg: AppConfig, *, need_key: bool) -> ChainGuard:
    """The audit key and held checkpoints; without ``need_key`` a missing key only means nothing is signed."""
    from refundguard.service.audit.service import ChainGuard, guard_for
    from refundguard.service.audit.signing import SigningKeyError
    from refundguard.service.audit.witness import Witness

    try:
        return guard_for(cfg.settings, cfg.service)
    except SigningKeyError as exc:
        if need_key:
            raise fail(exc) from exc
        return ChainGuard(signer=None, witness=Witness(cfg.service.audit.witness_path(cfg.settings)))


def existing_database(cfg: AppConfig, *, guard: ChainGuard | None = None) -> Database:
    """The configured database, which must exist at the current schema (never created); else exit 2."""
    from refundguard.service.db import DatabaseMissing, open_existing

    url = cfg.settings.database_url
    try:
        return open_existing(url, session_info=guard.session_info() if guard else None)
    except DatabaseMissing as exc:
        raise fail_with("cli.database_missing", detail=str(exc), url=_shown(url)) from exc


def _created_database(cfg: AppConfig) -> Database:
    """The configured database, created and migrated to the newest schema (``serve`` and ``db upgrade`` only)."""
    from sqlalchemy.exc import SQLAlchemyError

    from refundguard.service.db import Database as _Database

    try:
        db = _Database(cfg.settings.database_url)
        db.upgrade()
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise fail_with("cli.database_unusable", url=_shown(cfg.settings.database_url),
                        detail=(str(exc).splitlines() or [type(exc).__name__])[0]) from exc
    return db


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers_backend: Annotated[str | None, typer.Option(
        "--workers-backend", help="local (in-process pool) or celery (Redis broker); default: [service] "
                                  "jobs_backend.")] = None,
    broker_url: Annotated[str | None, typer.Option("--broker-url", help="Redis URL for --workers-backend celery.")]
    = None,
    local: Annotated[bool, typer.Option("--local", help="Single-merchant local mode (web pages, no accounts).")]
    = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips", help="Addresses of reverse proxies whose X-Forwarded-For/-Proto are trusted "
                                      "(comma-separated; default 127.0.0.1). Rate limits count the client they name.")]
    = None,
    limit_concurrency: Annotated[int, typer.Option(help="Connections at once before new ones get 503.", min=1)]
    = 1000,
) -> None:
    """Run the claim service (HTTP API) with uvicorn; creates and migrates its database and, on the first start,
    the audit signing key. / 启动申请服务（HTTP API）。"""
    import uvicorn

    if workers_backend not in (None, "local", "celery"):
        raise fail_with("cli.bad_workers_backend")
    overrides: dict[str, object] = {}
    if workers_backend:
        overrides["jobs_backend"] = workers_backend
    if broker_url:
        overrides["broker_url"] = broker_url
    cfg = load_config(config, database_url, **overrides)
    if local:
        from refundguard.web.local import create_local_app

        application = create_local_app(settings=cfg.settings)
    else:
        from refundguard.service.app import create_app
        from refundguard.service.audit.signing import SigningKeyError

        _created_database(cfg).dispose()
        try:
            application = create_app(cfg.settings, cfg.service, ledger=cfg.ledger)
        except (SigningKeyError, RefundGuardError) as exc:  # an unusable key or ledger settings: one line
            raise fail(exc) from exc
    warn_without_cjk_font()
    uvicorn.run(application, host=host, port=port, log_level=log_level, workers=1, proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips, limit_concurrency=limit_concurrency, timeout_keep_alive=5,
                server_header=False)


@app.command("worker")
def worker(
    broker_url: Annotated[str | None, typer.Option("--broker-url", help="Redis URL (default: [service] "
                                                   "broker_url).")] = None,
    concurrency: Annotated[int, typer.Option(help="Worker processes.", min=1)] = max(1, os.cpu_count() or 1),
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Run a Celery analysis worker (scale-out); it analyses with this command's configuration. The database and
    the audit signing key must exist (the server creates them). / 启动 Celery 分析工作进程。"""
    from refundguard.service.jobs import make_celery

    cfg = load_config(config, database_url, **({"broker_url": broker_url} if broker_url else {}))
    existing_database(cfg).dispose()
    _guard(cfg, need_key=True)
    celery = make_celery(cfg.service.broker_url, cfg)
    celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--queues=refundguard",
                        "--without-gossip", "--without-mingle", "--without-heartbeat"])


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Create the database if needed and apply its migrations. / 创建数据库（如需）并执行迁移。"""
    from refundguard.service.migrations import current

    db = _created_database(load_config(config, database_url))
    out.print(f"database at revision {current(db.engine)} / 数据库已升级到 {current(db.engine)}")
    db.dispose()


def _operator() -> str:
    """The audit actor of CLI key commands: the operating-system user who ran them."""
    try:
        return f"cli:{getpass.getuser()}"[:200]
    except (KeyError, OSError):
        return "cli:unknown"


@contextmanager
def _key_session(config: Path | None, database_url: str | None) -> Iterator[Session]:
    """A session on the existing database, with the audit guard so that key changes are signed and witnessed like
    the rest; a refused change exits 1 with its bilingual message."""
    from refundguard.service.errors import DomainError

    cfg = load_config(config, database_url)
    db = existing_database(cfg, guard=_guard(cfg, need_key=False))
    try:
        with db.session() as session:
            yield session
    except DomainError as exc:
        raise fail_bilingual(exc.en, exc.zh) from exc
    finally:
        db.dispose()


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant the key belongs to.")],
    role: Annotated[str, typer.Option("--role", help="platform, merchant, reviewer or admin.")],
    merchant: Annotated[str | None, typer.Option("--merchant", help="Merchant id (merchant keys).")] = None,
    label: Annotated[str | None, typer.Option("--label", help="A note to recognise the key.")] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an API key and print it once. / 创建 API 密钥（仅显示一次）。"""
    from refundguard.service.auth.service import create_key

    with _key_session(config, database_url) as session:
        key, _row = create_key(session=session, tenant=tenant, role=role, merchant_id=merchant, label=label,
                               actor=_operator())
    print(key)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's keys.")] = None,
    active_only: Annotated[bool, typer.Option("--active", help="Hide revoked keys.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array instead of a table.")] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List API keys (never their secrets). / 列出 API 密钥（不显示密钥本身）。"""
    from rich.table import Column, Table

    from refundguard.service.auth.service import list_keys, usable

    db = existing_database(load_config(config, database_url))
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
    database_url: DatabaseOption = None,
) -> None:
    """Revoke a key now: its next request gets 401 and its web sessions end. / 立即吊销密钥。"""
    from refundguard.service.auth.service import revoke_key

    with _key_session(config, database_url) as session:
        when = revoke_key(session=session, key_id=_key_id(key_id), actor=_operator(), reason=reason).revoked_at
    out.print(f"key {_key_id(key_id)} revoked at {when:%Y-%m-%d %H:%M:%S} UTC / 密钥已吊销", highlight=False)


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key id (16 hex digits; the part after rg_).")],
    grace_minutes: Annotated[int, typer.Option("--grace-minutes", min=0, max=7 * 24 * 60,
                                               help="How long the old key keeps working (default 0: it stops now).")]
    = 0,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Issue a successor (same tenant, role, merchant) and print it once; the old key stops. / 轮换密钥。"""
    from refundguard.service.auth.service import rotate_key

    with _key_session(config, database_url) as session:
        text, new, _old = rotate_key(session=session, key_id=_key_id(key_id), actor=_operator(),
                                     grace=timedelta(minutes=grace_minutes))
        new_id = new.key_id
    when = f"in {grace_minutes} min" if grace_minutes else "now"
    err.print(f"key {_key_id(key_id)} replaced by {new_id}; the old key stops {when} / 旧密钥已被 {new_id} 取代",
              highlight=False)
    print(text)


def _key_id(text: str) -> str:
    """A key id, also accepted as the full key (``rg_<id>_<secret>``; only the id is used)."""
    text = text.strip()
    return text[3:19] if text.startswith("rg_") and len(text) >= 19 else text


# ------------------------------------------------------------------------------------------------- audit
def read_checkpoints(paths: list[Path]) -> list:  # type: ignore[type-arg]
    """Checkpoint documents from files (one document, or a JSON list of them, per file); exit 2 when unreadable."""
    from refundguard.service.audit.signing import BadCheckpoint, Checkpoint

    found = []
    for path in paths:
        try:
            data = json.loads(path.read_text("utf-8"))
            docs = data if isinstance(data, list) else [data]
            found.extend(Checkpoint.from_dict(d) for d in docs)
        except (OSError, ValueError, BadCheckpoint) as exc:
            raise fail_with("cli.checkpoint_file", path=str(path), detail=str(exc)) from exc
    return found


def trusted_keys(cfg: AppConfig, guard: ChainGuard, public_key: Path | None) -> dict:  # type: ignore[type-arg]
    """The public keys checkpoint signatures are checked with: ``--public-key`` or the service's key file."""
    from refundguard.service.audit.signing import SigningKeyError, key_id, load_public_key

    if public_key is not None:
        try:
            key = load_public_key(public_key.read_bytes())
        except (OSError, SigningKeyError) as exc:
            raise fail_with("cli.public_key_file", path=str(public_key), detail=str(exc)) from exc
        return {key_id(key): key}
    return guard.signer.trusted() if guard.signer is not None else {}


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Verify this tenant's chain only "
                                               "(default: every chain).")] = None,
    checkpoint: Annotated[list[Path] | None, typer.Option("--checkpoint", help="A checkpoint file you hold "
                                                          "(repeatable); the service's own are always used.")]
    = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", help="PEM public key to check checkpoint "
                                                    "signatures with (default: the service's key file).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Walk the audit chains, compare every claim with them and the chains with held checkpoints; exit 1 when
    anything was edited, removed or rewritten. / 校验审计链；被篡改时退出码为 1。"""
    from refundguard.service.audit.service import held_checkpoints, verify
    from refundguard.service.audit.signing import BadCheckpoint

    cfg = load_config(config, database_url)
    guard = _guard(cfg, need_key=False)
    given = read_checkpoints(checkpoint or [])
    trusted = trusted_keys(cfg, guard, public_key)
    if (given or (guard.witness and guard.witness.path.exists())) and not trusted:
        raise fail_with("cli.no_trusted_key")
    db = existing_database(cfg, guard=guard)
    try:
        with db.session() as session:
            try:
                held = held_checkpoints(session, tenant)
            except BadCheckpoint as exc:  # an unreadable held-checkpoint file is reported, not a crash
                raise fail(exc) from exc
            result = verify(session=session, tenant=tenant, checkpoints=held + given, trusted=trusted)
    finally:
        db.dispose()
    if as_json:
        print(json.dumps({"ok": result.ok, "scope": result.scope, "entries": result.entries, "seq": result.seq,
                          "head": result.head, "claims": result.claims, "unbound": result.unbound,
                          "checkpoints": result.checkpoints, "problems": result.problems,
                          "truncated": result.truncated}, ensure_ascii=False, indent=2))
    elif result.ok:
        where = "every chain" if tenant is None else f"chain {tenant}"
        out.print(f"audit chain intact ({where}): {result.entries} entries, head #{result.seq} {result.head[:16]}, "
                  f"{result.claims} claim(s) match the chain, {result.checkpoints} held checkpoint(s) hold / "
                  f"审计链完整：{result.entries} 条，链头 {result.head[:16]}", highlight=False)
        if result.checkpoints == 0:
            out.print("[yellow]note:[/] no held checkpoint was compared: a history rewritten consistently "
                      "cannot be told from the original without one / 未比对任何检查点", highlight=False)
    else:
        for problem in result.problems:
            out.print(f"[red]broken:[/] {problem}", highlight=False)
        more = " (more not shown)" if result.truncated else ""
        out.print(f"audit chain BROKEN ({len(result.problems)} problem(s){more}) / "
                  f"审计链已被篡改（{len(result.problems)} 处）", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    tenant: Annotated[str | None, typer.Option("--tenant", help="The tenant whose chain head is signed.")] = None,
    global_chain: Annotated[bool, typer.Option("--global", help="Sign the global chain's head (operator).")]
    = False,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Write the checkpoint here (default: "
                                                  "print it).")] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Sign the head of a chain now and write the checkpoint to keep (``refundguard.audit-checkpoint/1``): any
    later rewrite of that history fails verification against it. / 签发审计链检查点。"""
    from refundguard.service.audit.chain import GLOBAL
    from refundguard.service.audit.service import chain_diverged, checkpoint

    if (tenant is None) == (not global_chain):
        raise fail_with("cli.tenant_or_global")
    cfg = load_config(config, database_url)
    guard = _guard(cfg, need_key=True)
    chain = GLOBAL if global_chain else str(tenant)
    db = existing_database(cfg, guard=guard)
    try:
        with db.session() as session:
            cp = checkpoint(session, chain)
            diverged = chain_diverged(session, chain)
    finally:
        db.dispose()
    if cp is None:
        if diverged:
            raise fail_with("cli.chain_diverged", code=1, chain=chain)
        raise fail_with("cli.chain_empty", chain=chain)
    text = json.dumps(cp.to_dict(), ensure_ascii=False, indent=2)
    if out_path is None:
        print(text)
        return
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text + "\n", "utf-8")
    except OSError as exc:
        raise fail_with("cli.cannot_write", path=str(out_path), why=exc.strerror or str(exc)) from exc
    out.print(f"checkpoint of chain {chain} at entry {cp.seq} ({cp.hash[:16]}) written to {out_path} / "
              "检查点已写入", highlight=False)


@audit_app.command("public-key")
def audit_public_key(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Print the PEM public key that checks checkpoint signatures. / 输出检查点签名公钥。"""
    cfg = load_config(config, database_url)
    signer = _guard(cfg, need_key=True).signer
    if signer is None:
        raise fail_with("cli.no_signing_key")
    print(signer.public_pem, end="")
