"""Host accounts on SQLite and PostgreSQL: Argon2id passwords, the account rules, login throttling per
e-mail and per address, who is online, and whose addresses the e-mail notifications go to."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

import handoff.hosts
from handoff.hosts import ONLINE_WINDOW, HostStore, InvalidProfile
from handoff.roles import Role
from storage.schema import hosts as hosts_table
from storage.store import Store

PASSWORD = "correct horse battery"


REAL_HASHER = handoff.hosts._hasher


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its smallest cost: the real parameters take a third of a second per hash here."""
    monkeypatch.setattr(handoff.hosts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _run(database_url: str, body: Callable[[HostStore, Store], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        try:
            return await body(HostStore(store), store)
        finally:
            await store.close()

    return asyncio.run(main())


def _email(place: str = "boden") -> str:
    return f"host-{uuid.uuid4().hex[:10]}@{place}.example"


def test_a_host_logs_in_with_the_right_password_and_not_with_a_wrong_one(database_url: str) -> None:
    email = _email()

    async def body(hosts: HostStore, store: Store) -> tuple[Any, Any, Any]:
        added = await hosts.add(email, " Anna ", PASSWORD, "boden")
        return added, await hosts.authenticate(email, PASSWORD), \
            await hosts.authenticate(email, PASSWORD + "!")

    added, right, wrong = _run(database_url, body)
    assert right == added
    assert (right.email, right.first_name, right.municipality, right.role) == (email, "Anna", "boden", Role.HOST)
    assert wrong is None


def test_an_unknown_email_does_not_log_in(database_url: str) -> None:
    async def body(hosts: HostStore, store: Store) -> Any:
        return await hosts.authenticate(_email(), PASSWORD)

    assert _run(database_url, body) is None


@pytest.mark.parametrize(("password", "municipality", "complaint"), [
    ("short-11chr", "boden", "at least 12 characters"),
    (PASSWORD, "atlantis", "unknown municipality"),
    (PASSWORD, None, "unknown municipality"),
])
def test_an_account_with_a_short_password_or_an_unknown_municipality_is_refused(
        database_url: str, password: str, municipality: str | None, complaint: str) -> None:
    email = _email()

    async def body(hosts: HostStore, store: Store) -> Any:
        with pytest.raises(ValueError, match=complaint):
            await hosts.add(email, "Anna", password, municipality)
        return await hosts.by_email(email)

    assert _run(database_url, body) is None


def test_a_second_account_with_the_same_email_in_other_case_is_refused(database_url: str) -> None:
    email = _email()

    async def body(hosts: HostStore, store: Store) -> Any:
        first = await hosts.add(email, "Anna", PASSWORD, "boden")
        with pytest.raises(ValueError, match="exists already"):
            await hosts.add(email.upper(), "Other Anna", PASSWORD + "2", "lulea")
        return first, await hosts.by_email(email)

    first, found = _run(database_url, body)
    assert found == first and found.municipality == "boden"


def test_the_stored_hash_is_argon2id_and_not_the_password(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff.hosts, "_hasher", REAL_HASHER)
    email = _email()

    async def body(hosts: HostStore, store: Store) -> str:
        await hosts.add(email, "Anna", PASSWORD, "boden")
        async with store.engine.connect() as connection:
            return (await connection.execute(
                select(hosts_table.c.password_hash).where(hosts_table.c.email == email))).scalar_one()

    stored = _run(database_url, body)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert REAL_HASHER.verify(stored, PASSWORD)


def test_email_is_case_insensitive_for_login_and_lookup(database_url: str) -> None:
    email = _email()

    async def body(hosts: HostStore, store: Store) -> tuple[Any, Any, Any]:
        added = await hosts.add(f"  {email.upper()} ", "Anna", PASSWORD, "boden")
        return added, await hosts.authenticate(email.title(), PASSWORD), await hosts.by_email(email)

    added, logged_in, found = _run(database_url, body)
    assert added.email == email
    assert logged_in == added == found


def test_online_lists_only_the_municipalitys_hosts_seen_within_the_window(database_url: str) -> None:
    async def body(hosts: HostStore, store: Store) -> tuple[set[int], set[int], list[Any]]:
        touched = await hosts.add(_email(), "Anna", PASSWORD, "boden")
        never = await hosts.add(_email(), "Bert", PASSWORD, "boden")
        long_ago = await hosts.add(_email(), "Cecilia", PASSWORD, "boden")
        elsewhere = await hosts.add(_email("jokkmokk"), "Dan", PASSWORD, "jokkmokk")
        editor = await hosts.add(_email(), "Erik", PASSWORD, "boden", Role.EDITOR)  # takes no conversations
        for host in (touched, long_ago, elsewhere, editor):
            await hosts.touch(host.id)
        stale = dt.datetime.now(dt.UTC) - ONLINE_WINDOW - dt.timedelta(seconds=5)
        async with store.engine.begin() as connection:
            await connection.execute(update(hosts_table).where(hosts_table.c.id == long_ago.id)
                                     .values(last_seen_at=stale))
        online = {h.id for h in await hosts.online("boden")}
        ours = {touched.id, never.id, long_ago.id, elsewhere.id, editor.id}
        return online & ours, {h.id for h in await hosts.online("jokkmokk")} & ours, [touched, elsewhere]

    boden, jokkmokk, (touched, elsewhere) = _run(database_url, body)
    assert boden == {touched.id}
    assert jokkmokk == {elsewhere.id}


def test_addresses_are_the_municipalitys_hosts_only(database_url: str) -> None:
    boden_hosts, other, admin, editor = [_email(), _email()], _email("jokkmokk"), _email("region"), _email()

    async def body(hosts: HostStore, store: Store) -> list[str]:
        for email in boden_hosts:
            await hosts.add(email, "Anna", PASSWORD, "boden")
        await hosts.add(other, "Dan", PASSWORD, "jokkmokk")
        await hosts.add(admin, "Lea", PASSWORD, "boden", Role.ADMIN)  # an admin works for no one municipality
        await hosts.add(editor, "Erik", PASSWORD, "boden", Role.EDITOR)
        return await hosts.addresses("boden")

    addresses = _run(database_url, body)
    assert set(boden_hosts) <= set(addresses)
    assert other not in addresses
    assert admin not in addresses
    assert editor not in addresses


def test_a_host_added_with_languages_speaks_them_in_the_assistants_order(database_url: str) -> None:
    async def body(hosts: HostStore, store: Store) -> tuple[Any, Any, list[Any]]:
        added = await hosts.add(_email(), "Olena", PASSWORD, "boden", languages=["uk", " PL", "sv", "uk", ""])
        await hosts.touch(added.id)
        online = [h for h in await hosts.online("boden") if h.id == added.id]
        return added, await hosts.get(added.id), online

    added, found, online = _run(database_url, body)
    assert added.languages == found.languages == ("sv", "pl", "uk")
    assert online == [found] and found.speaks("uk") and not found.speaks("en")
    assert found.meeting_link is None


def test_an_account_with_an_unknown_language_is_refused(database_url: str) -> None:
    email = _email()

    async def body(hosts: HostStore, store: Store) -> Any:
        with pytest.raises(InvalidProfile) as refused:
            await hosts.add(email, "Anna", PASSWORD, "boden", languages=["sv", "klingon"])
        assert refused.value.problems == {"languages": "unknown_language"}
        return await hosts.by_email(email)

    assert _run(database_url, body) is None


def test_a_host_sets_languages_and_a_meeting_link_and_an_empty_link_removes_it(database_url: str) -> None:
    async def body(hosts: HostStore, store: Store) -> tuple[Any, Any, Any]:
        anna = await hosts.add(_email(), "Anna", PASSWORD, "boden", languages=["sv"])
        first = await hosts.set_profile(anna.id, ["en", "de", "sv"], "  https://meet.example.se/boden-anna ")
        stored = await hosts.get(anna.id)
        cleared = await hosts.set_profile(anna.id, [], "")
        return first, stored, cleared

    first, stored, cleared = _run(database_url, body)
    assert first == stored
    assert (stored.languages, stored.meeting_link) == (("sv", "en", "de"), "https://meet.example.se/boden-anna")
    assert (cleared.languages, cleared.meeting_link) == ((), None)


@pytest.mark.parametrize(("link", "problem"), [
    ("javascript:alert(document.cookie)", "not_https"),
    ("JavaScript://meet.example.se/%0aalert(1)", "not_https"),
    ("data:text/html,<script>alert(1)</script>", "not_https"),
    ("http://meet.example.se/anna", "not_https"),
    ("meet.example.se/anna", "not_https"),
    ("https://", "not_a_link"),
    ("https://meet example.se/", "not_a_link"),
    ("https://meet.example.se/\nanna", "not_a_link"),
    ("https://localhost/anna", "no_host_name"),
    ("https://192.168.1.10/anna", "no_host_name"),
    ("https://[::1]/anna", "no_host_name"),
    ("https://anna@evil.example/", "no_host_name"),
    ("https://meet.example.se/" + "a" * 500, "too_long"),
])
def test_a_meeting_link_must_be_https_to_a_named_site_and_not_too_long(
        database_url: str, link: str, problem: str) -> None:
    async def body(hosts: HostStore, store: Store) -> tuple[dict[str, str], Any]:
        anna = await hosts.add(_email(), "Anna", PASSWORD, "boden", languages=["sv"])
        with pytest.raises(InvalidProfile) as refused:
            await hosts.set_profile(anna.id, ["sv", "pl"], link)
        return refused.value.problems, await hosts.get(anna.id)

    problems, unchanged = _run(database_url, body)
    assert problems == {"meeting_link": problem}
    assert (unchanged.languages, unchanged.meeting_link) == (("sv",), None)  # nothing stored


def test_every_field_at_fault_is_named_at_once(database_url: str) -> None:
    async def body(hosts: HostStore, store: Store) -> dict[str, str]:
        anna = await hosts.add(_email(), "Anna", PASSWORD, "boden")
        with pytest.raises(InvalidProfile) as refused:
            await hosts.set_profile(anna.id, ["sv", "xx"], "ftp://files.example.se/")
        return refused.value.problems

    assert _run(database_url, body) == {"languages": "unknown_language", "meeting_link": "not_https"}
