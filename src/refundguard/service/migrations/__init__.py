"""Alembic migrations, run programmatically (``refundguard db upgrade`` or at server start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on ``engine``."""
    command.upgrade(alembic_config(engine), revision)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def heads() -> set[str]:
    """The newest revision(s) of the migration scripts."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(HERE))
    return set(ScriptDirectory.from_config(config).get_heads())


def pending(engine: Engine) -> str | None:
    """Why the database is not at the newest schema (None when it is): not initialised, or an older revision."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        present = set(MigrationContext.configure(conn).get_current_heads())
    if not present:
        return "the database is not initialised (run `refundguard db upgrade`, or start `refundguard serve`)"
    wanted = heads()
    if present != wanted:
        return (f"the database schema is at revision {', '.join(sorted(present))}, this version needs "
                f"{', '.join(sorted(wanted))} (run `refundguard db upgrade`)")
    return None
