"""A bounded schemathesis run against the ledger's part of the published OpenAPI document: no server error on any
generated request (a real ``refundguard serve`` on 127.0.0.1, single-platform ledger)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.service.svc_helpers import Server


@pytest.mark.slow
def test_ledger_endpoints_give_no_server_error(server_factory: Callable[..., Server], tmp_path: Path) -> None:
    server = server_factory()
    server.cli("db", "upgrade")
    admin = server.cli("keys", "create", "--tenant", "acme", "--role", "admin").stdout.strip()
    server.start()
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(schemathesis), "run", server.url + "/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", "3", "--max-time", "40", "--phases", "examples,fuzzing", "--seed", "18", "--no-shrink",
         "--workers", "1", "--generation-database", "none", "--request-timeout", "20", "--no-color",
         "--include-path-regex", "^/v1/ledger", "-H", f"Authorization: Bearer {admin}"],
        capture_output=True, text=True, timeout=150, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Tested: 15" in result.stdout and " passed" in result.stdout, result.stdout[-3000:]
