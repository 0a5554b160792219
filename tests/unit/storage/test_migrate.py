"""Schema migrations: a new database gets the whole schema, an old one is upgraded without losing data,
and the migrations describe exactly the tables the code declares."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from storage.migrate import MIGRATIONS, current, sync_url, upgrade
from storage.schema import metadata
from storage.store import Store

#: The newest revision; later revisions are added by other work, so it is read from the scripts, and
#: the chain must have one head that includes every revision this file names.
SCRIPTS = ScriptDirectory(str(MIGRATIONS))
[HEAD] = SCRIPTS.get_heads()


def test_the_migrations_form_one_line_through_the_host_profile() -> None:
    assert [r.revision for r in SCRIPTS.iterate_revisions(HEAD, "base")][-7:] == [
        "0007", "0006", "0005", "0004", "0003", "0002", "0001"]


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
    assert current(database_url) == HEAD


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
    assert current(url) == HEAD
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


def test_the_host_profile_columns_arrive_empty_and_leave_again(tmp_path: Path) -> None:
    """0007 adds hosts.languages, hosts.meeting_link and handoffs.language_match, all empty for what
    exists (an old claim is unknown, not "no match"); downgrading removes them and keeps the rows."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite+aiosqlite:///{tmp_path / 'profile.sqlite'}"
    upgrade(url, "0006")
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO hosts (email, first_name, municipality, role, password_hash, created_at) "
                                "VALUES ('anna@boden.example', 'Anna', 'boden', 'host', 'h', '2026-01-01')"))
    upgrade(url, "0007")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT languages, meeting_link FROM hosts")).one()
        assert tuple(row) == (None, None)
        assert "language_match" in {c["name"] for c in inspect(connection).get_columns("handoffs")}
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    with engine.connect() as connection:
        assert "languages" not in {c["name"] for c in inspect(connection).get_columns("hosts")}
        assert "language_match" not in {c["name"] for c in inspect(connection).get_columns("handoffs")}
        assert connection.execute(text("SELECT count(*) FROM hosts")).scalar() == 1
    engine.dispose()
