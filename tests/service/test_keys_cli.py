"""``refundguard keys create|list|revoke|rotate``: what an operator sees, what the audit chain records, and that a
revoked key is refused by a running app on its very next request."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from refundguard.cli import app as cli
from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.audit.models import AuditEntry
from refundguard.service.config import ServiceConfig


def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_operator_lists_revokes_and_rotates_keys(tmp_path: Path) -> None:
    env = {"REFUNDGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'rg.db'}", "REFUNDGUARD_DATA_DIR": str(tmp_path / "d")}
    assert _run(env, "db", "upgrade")[0] == 0  # commands other than serve and db upgrade never create a database
    code, platform, _ = _run(env, "keys", "create", "--tenant", "acme", "--role", "platform", "--label", "checkout")
    assert code == 0
    platform = platform.strip()
    _run(env, "keys", "create", "--tenant", "other", "--role", "reviewer")
    platform_id = platform.split("_")[1]

    code, listing, _ = _run(env, "keys", "list", "--json")
    items = json.loads(listing)
    assert code == 0 and {i["tenant"] for i in items} == {"acme", "other"} and platform not in listing
    assert next(i for i in items if i["key_id"] == platform_id)["label"] == "checkout"
    code, table, _ = _run(env, "keys", "list", "--tenant", "acme")
    assert code == 0 and platform_id in table and "active" in table and "other" not in table

    settings = load_settings(database_url=env["REFUNDGUARD_DATABASE_URL"], data_dir=tmp_path / "d")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1), include_web=False)
    with TestClient(app) as client:
        assert client.get("/v1/claims", headers={"X-API-Key": platform}).status_code == 200
        code, rotated, err = _run(env, "keys", "rotate", platform_id)
        successor = rotated.strip()
        assert code == 0 and successor.startswith("rg_") and successor != platform and "replaced by" in err
        assert client.get("/v1/claims", headers={"X-API-Key": platform}).status_code == 401  # at once
        assert client.get("/v1/claims", headers={"X-API-Key": successor}).status_code == 200
        code, out, _ = _run(env, "keys", "revoke", successor, "--reason", "laptop stolen")  # the full key works too
        assert code == 0 and "revoked" in out
        assert client.get("/v1/claims", headers={"X-API-Key": successor}).status_code == 401

    code, _, err = _run(env, "keys", "revoke", "0123456789abcdef")
    assert code == 2 and "not found" in err
    code, _, err = _run(env, "keys", "rotate", successor.split("_")[1])
    assert code == 2 and "revoked" in err
    code, listing, _ = _run(env, "keys", "list", "--json", "--active")
    assert {i["tenant"] for i in json.loads(listing)} == {"other"}
    with app.state.db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.action for e in entries] == ["key.created", "key.created", "key.rotated", "key.revoked"]
    assert all(e.actor.startswith("cli:") for e in entries)
    assert "laptop stolen" in entries[-1].details
