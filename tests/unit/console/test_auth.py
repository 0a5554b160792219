"""Host console sessions on SQLite and PostgreSQL (found by token, stored only as a SHA-256, expired or
closed ones gone), and the same-origin and CSRF checks of state-changing requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import HTTPException
from sqlalchemy import select, update
from starlette.requests import Request

import handoff.hosts
from console.auth import SESSION_LIFETIME, Session, Sessions, check_csrf, same_origin
from handoff.hosts import Host, HostStore
from handoff.roles import Role
from storage.schema import host_sessions
from storage.store import Store, aware

SITE = "https://console.boden.example"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff.hosts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _run(database_url: str, body: Callable[[Sessions, Host, Store], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        hosts = HostStore(store)
        host = await hosts.add(f"host-{uuid.uuid4().hex[:10]}@boden.example", "Anna", "correct horse battery",
                               "boden")
        try:
            return await body(Sessions(store, hosts), host, store)
        finally:
            await store.close()

    return asyncio.run(main())


def test_an_opened_session_is_found_by_its_token(database_url: str) -> None:
    async def body(sessions: Sessions, host: Host, store: Store) -> tuple[Host, str, Any, Any, Any]:
        token, csrf = await sessions.open(host)
        return host, csrf, await sessions.find(token), await sessions.find(token + "x"), await sessions.find(None)

    host, csrf, found, wrong, missing = _run(database_url, body)
    assert found == Session(host=host, csrf=csrf)
    assert wrong is None and missing is None


def test_the_database_holds_only_the_tokens_sha256(database_url: str) -> None:
    async def body(sessions: Sessions, host: Host, store: Store) -> tuple[str, str, list[dict]]:
        token, csrf = await sessions.open(host)
        async with store.engine.connect() as connection:
            rows = (await connection.execute(
                select(host_sessions).where(host_sessions.c.host_id == host.id))).mappings().all()
        return token, csrf, [dict(row) for row in rows]

    token, csrf, [row] = _run(database_url, body)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in [str(value) for value in row.values()]
    assert row["csrf"] == csrf and csrf != token
    lifetime = aware(row["expires_at"]) - dt.datetime.now(dt.UTC)
    assert SESSION_LIFETIME - dt.timedelta(minutes=1) < lifetime <= SESSION_LIFETIME


def test_an_expired_session_is_not_found(database_url: str) -> None:
    async def body(sessions: Sessions, host: Host, store: Store) -> Any:
        token, _ = await sessions.open(host)
        async with store.engine.begin() as connection:
            await connection.execute(update(host_sessions).where(host_sessions.c.host_id == host.id)
                                     .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        return await sessions.find(token)

    assert _run(database_url, body) is None


def test_a_closed_session_is_not_found_and_the_hosts_other_sessions_stay(database_url: str) -> None:
    async def body(sessions: Sessions, host: Host, store: Store) -> tuple[Any, Any]:
        token, _ = await sessions.open(host)
        other, _ = await sessions.open(host)  # the same host on another computer
        await sessions.close(token)
        return await sessions.find(token), await sessions.find(other)

    closed, other = _run(database_url, body)
    assert closed is None
    assert other is not None


def _request(origin: str | None = SITE, referer: str | None = None, csrf_header: str | None = None) -> Request:
    headers = [(b"host", b"console.boden.example")]
    for name, value in (("origin", origin), ("referer", referer), ("x-csrf-token", csrf_header)):
        if value is not None:
            headers.append((name.encode(), value.encode()))
    return Request({"type": "http", "method": "POST", "scheme": "https", "server": ("console.boden.example", 443),
                    "path": "/console/handoffs/1/claim", "query_string": b"", "headers": headers})


SESSION = Session(host=Host(id=1, email="anna@boden.example", first_name="Anna", municipality="boden",
                            role=Role.HOST), csrf="the-sessions-csrf-token")


def test_the_right_origin_and_token_pass() -> None:
    check_csrf(_request(), SESSION, SESSION.csrf)
    check_csrf(_request(csrf_header=SESSION.csrf), SESSION, None)
    check_csrf(_request(origin=None, referer=f"{SITE}/console/handoffs/1"), SESSION, SESSION.csrf)


def test_no_origin_at_all_passes_on_the_token_alone() -> None:
    assert same_origin(_request(origin=None))
    check_csrf(_request(origin=None), SESSION, SESSION.csrf)
    with pytest.raises(HTTPException) as refused:
        check_csrf(_request(origin=None), SESSION, "guess")
    assert refused.value.status_code == 403


@pytest.mark.parametrize("origin", ["https://evil.example", "http://console.boden.example",
                                    "https://console.boden.example.evil.example", "null"])
def test_another_origin_is_refused_even_with_the_right_token(origin: str) -> None:
    assert not same_origin(_request(origin=origin))
    with pytest.raises(HTTPException) as refused:
        check_csrf(_request(origin=origin), SESSION, SESSION.csrf)
    assert refused.value.status_code == 403


def test_a_referer_from_another_site_is_refused() -> None:
    assert not same_origin(_request(origin=None, referer="https://evil.example/console.boden.example/"))


@pytest.mark.parametrize(("submitted", "header"), [("wrong", None), (None, None), ("", "wrong"),
                                                   (SESSION.csrf[:-1], None)])
def test_a_wrong_or_missing_token_is_refused(submitted: str | None, header: str | None) -> None:
    with pytest.raises(HTTPException) as refused:
        check_csrf(_request(csrf_header=header), SESSION, submitted)
    assert refused.value.status_code == 403
