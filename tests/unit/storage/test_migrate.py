"""Schema migrations: a new database gets the whole schema, an old one is upgraded without losing data,
and the migrations describe exactly the tables the code declares."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from storage.migrate import current, sync_url, upgrade
from storage.schema import metadata
from storage.store import Store


def test_a_new_database_gets_every_table_the_code_declares(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspect(connection).get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
    engine.dispose()
    assert {t.name for t in metadata.sorted_tables} <= tables
    assert "login_failures" not in tables
    assert current(database_url) == "0006"


def test_a_database_from_before_migrations_is_upgraded_and_keeps_its_conversations(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0001")  # the schema as it shipped, login failures table and all
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))  # as create_all left it: no migration record
        connection.execute(text("INSERT INTO conversations (id, channel, user_ref, created_at, updated_at) "
                                "VALUES ('web:old', 'web', 'old', '2026-01-01', '2026-01-01')"))
    engine.dispose()

    async def start_the_app_on_it() -> int:
        store = Store(url)
        await store.create_schema()
        await store.record_inbound("web:old", "web", "old", "boden", "Hej igen", f"m-{uuid.uuid4().hex}")
        count = await store.count_messages("web:old")
        await store.close()
        return count

    assert asyncio.run(start_the_app_on_it()) == 1
    assert current(url) == "0006"
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        assert "login_failures" not in inspect(connection).get_table_names()
        assert connection.execute(text("SELECT count(*) FROM conversations WHERE id = 'web:old'")).scalar() == 1
    engine.dispose()


def test_an_admin_flag_becomes_the_admin_role_and_hosts_stay_hosts(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roles.sqlite'}"
    upgrade(url, "0002")
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        for email, is_admin in (("lea@region.example", True), ("anna@boden.example", False)):
            connection.execute(text("INSERT INTO hosts (email, first_name, municipality, is_admin, password_hash, "
                                    "created_at) VALUES (:e, 'X', :m, :a, 'h', '2026-01-01')"),
                               {"e": email, "m": None if is_admin else "boden", "a": is_admin})
    upgrade(url)
    with engine.connect() as connection:
        roles = dict(connection.execute(text("SELECT email, role FROM hosts")).all())
    engine.dispose()
    assert roles == {"lea@region.example": "admin", "anna@boden.example": "host"}
