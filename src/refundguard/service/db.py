"""Database access: SQLAlchemy 2 engine and sessions; SQLite file by default, PostgreSQL by URL.

SQLite runs in WAL mode and every transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue
on the busy timeout instead of failing; the audit chain relies on appends being serial.

Only the server (``refundguard serve``) and ``refundguard db upgrade`` create a database; every other command
opens an existing one with :func:`open_existing`, which never creates a file and refuses a database whose
schema is not the current one (:class:`DatabaseMissing`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    """Declarative base of every service table."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone: store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class DatabaseMissing(Exception):
    """The database does not exist, cannot be reached, or is not a RefundGuard database at the current schema."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other backends and for ``:memory:``)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser().resolve()


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``; SQLite files get their folder created (``create``) and WAL + immediate transactions.

    With ``create=False`` a SQLite file must exist and is opened read-write without ever being created.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)
    path = sqlite_path(url)
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path is not None:
        if not path.is_file():
            raise DatabaseMissing(f"no database at {path}")
        parsed = parsed.set(database="file:" + pathname2url(str(path)), query={"mode": "rw", "uri": "true"})
        url = parsed.render_as_string(hide_password=False)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        if create:  # an existing service database is in WAL mode already; an empty file is left as it is
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine and its session factory.

    ``create=False`` never creates a SQLite file (see :func:`open_existing`); ``session_info`` is copied into every
    session's ``info`` (the audit chain's signing key and held checkpoints travel there).
    """

    def __init__(self, url: str, *, create: bool = True, session_info: dict[str, Any] | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(url, create=create)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=dict(session_info or {}))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        from refundguard.service.migrations import upgrade

        upgrade(self.engine)

    def ensure_current(self) -> None:
        """Raise :class:`DatabaseMissing` unless the schema is at the newest migration."""
        from sqlalchemy.exc import SQLAlchemyError

        from refundguard.service.migrations import pending

        try:
            behind = pending(self.engine)
        except SQLAlchemyError as exc:
            raise DatabaseMissing(f"cannot open the database: {str(exc).splitlines()[0]}") from exc
        if behind is not None:
            raise DatabaseMissing(behind)

    def dispose(self) -> None:
        self.engine.dispose()


def open_existing(url: str, *, session_info: dict[str, Any] | None = None) -> Database:
    """The database at ``url``, which must exist with the current schema; nothing is created.

    Raises
    ------
    DatabaseMissing
        With a one-line reason (no file, unreachable server, not initialised, older schema).
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db = Database(url, create=False, session_info=session_info)
    except SQLAlchemyError as exc:
        raise DatabaseMissing(f"cannot open the database: {str(exc).splitlines()[0]}") from exc
    try:
        db.ensure_current()
    except DatabaseMissing:
        db.dispose()
        raise
    return db
