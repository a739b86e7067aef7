"""Fixtures of the claim-service tests: an in-process app and real server subprocesses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.config import ServiceConfig
from tests.service.svc_helpers import Keys, Server, make_keys, server_env


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, Keys]]:
    """The app in-process (real SQLite file, real thread pool, no background loops)."""
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1), include_web=False)
    with TestClient(app) as client:
        yield client, make_keys(app.state.db.session)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def make(**extra: str) -> Server:
        data = tmp_path / f"srv{len(servers)}"
        data.mkdir()
        server = Server(data=data, env=server_env(data, **extra))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
