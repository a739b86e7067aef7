"""The tests' PostgreSQL starts from any checkout: here the wheel's installation sits under a 0700 folder (as a
checkout under /root or a home directory does), where the unprivileged server user cannot reach it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from tests import pg_server


def test_postgres_starts_from_a_checkout_other_users_cannot_enter(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = pg_server._bin_dir()
    install, package = real.parent, real.parent.parent
    private = tmp_path / "home"  # like /root: nobody else may enter
    private.mkdir(mode=0o700)
    site = private / "checkout" / ".venv" / "site-packages"
    shutil.copytree(install, site / package.name / install.name, symlinks=True,
                    ignore=shutil.ignore_patterns("include", "*.a"))
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    os.chmod(private, 0o700)
    monkeypatch.setattr(pg_server, "_bin_dir", lambda: site / package.name / install.name / "bin")
    monkeypatch.setenv("TMPDIR", str(private / "tmp"))  # a private TMPDIR too: the server must not use it
    (private / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    server = pg_server.start_postgres()
    try:
        assert not server.root.is_relative_to(private)
        if server.user:  # run as root: the server runs as nobody, from a copy nobody can reach
            assert server.copy is not None and server.bin_dir.is_relative_to(server.copy)
        with psycopg.connect(server.url) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            assert conn.execute("SELECT '[1,2]'::vector <-> '[1,3]'::vector").fetchone() == (1.0,)
    finally:
        server.stop()
    assert not server.root.exists() and (server.copy is None or not server.copy.exists())
