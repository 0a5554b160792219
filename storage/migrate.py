"""Bring a database's schema up to date with the migrations in storage/migrations (Alembic).

Every app process runs this at start: on PostgreSQL under an advisory lock, so two processes
starting together do not migrate twice. A database created before migrations existed (by
``create_all``) is recognised and stamped with the first revision, then upgraded like any other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision that matches a database created before migrations existed.
BASELINE = "0001"


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (Alembic runs synchronously)."""
    return url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def upgrade(url: str, revision: str = "head") -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('newcomer-migrations'))"))
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            tables = inspect(connection)
            if not tables.has_table("alembic_version") and tables.has_table("conversations"):
                command.stamp(config, BASELINE)
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The database's revision (None before any migration)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
