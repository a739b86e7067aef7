"""``refundguard ledger …``: the cross-platform ledger for operators and members (docs/ledger.md).

Member commands read the service's settings (database, data dir) and the ledger's (``--ledger-config`` or
``REFUNDGUARD_LEDGER_CONFIG``): ``key`` (this platform's public key, to give to the other members), ``status``,
``sync`` (one round now), ``revoke`` (e.g. after a court decision), ``verify-records`` (check the signed records
attached to an evidence bundle, offline), ``beat`` (Celery beat for ``schedule = "celery"``).
Operator commands: ``operator serve`` and ``operator key``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from refundguard.cli.app import app, fail, fail_with, out
from refundguard.errors import RefundGuardError

if TYPE_CHECKING:
    from refundguard.ledger.runtime import Ledger

ledger_app = typer.Typer(help="Cross-platform ledger of adjudicated abuse. / 跨平台裁定滥用账本。",
                         no_args_is_help=True)
operator_app = typer.Typer(help="The OPRF operator (pseudonyms). / OPRF 运营方（假名）。", no_args_is_help=True)
ledger_app.add_typer(operator_app, name="operator")
app.add_typer(ledger_app, name="ledger")

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="The application's TOML settings (database, data dir, its [ledger] table).")]
LedgerOption = Annotated[Path | None, typer.Option(
    "--ledger-config", help="A separate ledger settings TOML (instead of the [ledger] table).")]
DatabaseOption = Annotated[str | None, typer.Option("--database-url", help="The service's database (must exist).")]


def _ledger(config: Path | None, ledger_config: Path | None, database_url: str | None = None) -> Ledger:
    """The ledger on the service's existing database (never created: exit 2 when it is missing)."""
    from dataclasses import replace

    from sqlalchemy.exc import SQLAlchemyError

    from refundguard.cli.serve import _guard, existing_database, load_config
    from refundguard.ledger.config import load_ledger_config
    from refundguard.ledger.runtime import Ledger

    cfg = load_config(config, database_url)
    try:
        if ledger_config is not None:
            cfg = replace(cfg, ledger=load_ledger_config(ledger_config))
        db = existing_database(cfg, guard=_guard(cfg, need_key=False))
        ledger = Ledger(cfg.ledger, db, cfg.settings.data_dir)
        ledger.prepare()
    except RefundGuardError as exc:
        raise fail(exc) from exc
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise fail_with("cli.ledger_unavailable", detail=(str(exc).splitlines() or [type(exc).__name__])[0]) from exc
    return ledger


@ledger_app.command("key")
def key(config: ConfigOption = None, ledger_config: LedgerOption = None,
        database_url: DatabaseOption = None) -> None:
    """Print this platform's name and Ed25519 public key (created on first use). / 显示本平台公钥。"""
    from refundguard.ledger import signing

    ledger = _ledger(config, ledger_config, database_url)
    out.print(json.dumps({"platform": ledger.config.platform, "public_key": ledger.key.public_hex,
                          "fingerprint": signing.fingerprint(ledger.key.public_hex)}), highlight=False)
    ledger.db.dispose()


@ledger_app.command("status")
def status(config: ConfigOption = None, ledger_config: LedgerOption = None,
        database_url: DatabaseOption = None) -> None:
    """This platform's feed and every peer's last sync. / 本平台账本与各成员同步状态。"""
    from rich.table import Table

    from refundguard.ledger.models import LedgerHead

    ledger = _ledger(config, ledger_config, database_url)
    with ledger.db.session() as session:
        heads = {h.issuer: h for h in session.query(LedgerHead)}
    own = heads.get(ledger.config.platform)
    out.print(f"{ledger.config.platform} ({ledger.config.mode}): feed at record {own.seq if own else 0}")
    table = Table("peer", "records held", "last sync", "refused", title="peers / 成员")
    for peer in ledger.config.peers:
        head = heads.get(peer.platform)
        table.add_row(peer.platform, str(head.seq if head else 0),
                      str(head.synced_at if head and head.synced_at else "never"),
                      f"{head.error_code}: {head.error}" if head and head.error_code else "—")
    out.print(table)
    ledger.db.dispose()


@ledger_app.command("sync")
def sync(config: ConfigOption = None, ledger_config: LedgerOption = None,
        database_url: DatabaseOption = None) -> None:
    """Run one round now: publish due entries, expire, forward appeals, pull every peer. / 立即同步一轮。"""
    ledger = _ledger(config, ledger_config, database_url)
    result = ledger.tick()
    ledger.stop()
    ledger.db.dispose()
    refused = [r for r in result.get("synced", []) if not getattr(r, "ok", True)] \
        if isinstance(result.get("synced"), list) else []
    out.print(f"published {result.get('published')}, forwarded {result.get('forwarded')} appeal(s)")
    for r in result.get("synced", []) if isinstance(result.get("synced"), list) else []:
        out.print(f"  {r.peer}: {'ok' if r.ok else 'REFUSED ' + str(r.code)} — {r.applied} new record(s), "
                  f"head {r.head}{'; ' + str(r.error) if r.error else ''}", highlight=False)
    if refused or "failed" in result.values():
        raise typer.Exit(1)


@ledger_app.command("revoke")
def revoke(
    entry_id: Annotated[str, typer.Argument(help="Entry issued by this platform.")],
    reason: Annotated[str, typer.Option(help="court_decision, issuer_withdrawn or appeal_upheld.")],
    note: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    config: ConfigOption = None, ledger_config: LedgerOption = None, database_url: DatabaseOption = None,
) -> None:
    """Revoke an entry of this platform; every member drops it at its next sync. / 撤销本平台发布的条目。"""
    from refundguard.ledger import adjudication
    from refundguard.ledger.models import LedgerEntry
    from refundguard.service.audit import service as audit

    if reason not in ("court_decision", "issuer_withdrawn", "appeal_upheld"):
        raise fail_with("cli.bad_reason")
    ledger = _ledger(config, ledger_config, database_url)
    try:
        with ledger.db.session() as session:
            entry = session.get(LedgerEntry, (ledger.config.platform, entry_id))
            if entry is None or entry.status in ("revoked", "expired"):
                raise fail_with("cli.no_standing_entry", entry_id=entry_id, platform=ledger.config.platform)
            adjudication.revoke(session, ledger, entry_id, reason=reason, actor="operator:cli")
            audit.record(session=session, actor="operator:cli", action="ledger.revocation_note",
                         subject_type="ledger_entry", subject_id=entry_id, details={"note": note})
    finally:
        ledger.db.dispose()
    out.print(f"revoked {entry_id} ({reason}) / 已撤销")


@ledger_app.command("verify-records")
def verify_records(
    path: Annotated[Path, typer.Argument(help="ledger-records.json from an evidence bundle.")],
) -> None:
    """Check each signed record against its issuer's key (offline); exit 1 if any fails. / 离线校验记录签名。"""
    from refundguard.ledger.bundle import verify_attachment

    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise fail_with("cli.cannot_read", path=str(path), why=str(exc)) from exc
    results = verify_attachment(data)
    for line in results:
        out.print(f"{'ok ' if line['ok'] else 'BAD'} {line['issuer']} #{line['seq']} {line['entry_id']}: "
                  f"{line['detail']}", highlight=False)
    if not results or not all(r["ok"] for r in results):
        raise typer.Exit(1)


@ledger_app.command("beat")
def beat(config: ConfigOption = None) -> None:
    """Run Celery beat for the ledger's rounds (with ``schedule = "celery"``). / 以 Celery beat 运行账本同步。"""
    from refundguard.cli.serve import load_config
    from refundguard.service.jobs import make_celery

    cfg = load_config(config, None)
    make_celery(cfg.service.broker_url, cfg).start(["beat", "--loglevel=INFO"])


@operator_app.command("serve")
def operator_serve(
    config: Annotated[Path, typer.Option("--config", help="Operator settings TOML (key_file, members, rate).")],
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8100,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
) -> None:
    """Run the OPRF operator. Its logs name members and counts, never an identifier. / 启动 OPRF 运营方服务。"""
    import logging

    import uvicorn

    from refundguard.ledger.operator.app import create_operator_app, load_operator_config

    try:
        application = create_operator_app(load_operator_config(config))
    except RefundGuardError as exc:
        raise fail(exc) from exc
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(application, host=host, port=port, log_level=log_level, workers=1)


@operator_app.command("key")
def operator_key(
    config: Annotated[Path, typer.Option("--config", help="Operator settings TOML.")],
) -> None:
    """Print the operator's VOPRF public key (members configure it). / 显示运营方 VOPRF 公钥。"""
    from refundguard.ledger import signing
    from refundguard.ledger.operator.app import load_operator_config
    from refundguard.ledger.pseudonyms.oprf import Evaluator

    try:
        settings = load_operator_config(config)
        evaluator = Evaluator(signing.read_secret(settings.key_file, create=True))
    except RefundGuardError as exc:
        raise fail(exc) from exc
    out.print(json.dumps({"suite": "ristretto255-SHA512", "mode": "VOPRF", "public_key": evaluator.public_key}),
              highlight=False)
