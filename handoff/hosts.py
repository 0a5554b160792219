"""Console accounts (hosts, editors, admins): passwords hashed with Argon2id, who is online, whom to e-mail.

Accounts are created by an operator's command (``python -m app hosts add``), never through the web.
What each role may do is ``handoff.roles``'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

import municipalities
from base.clock import now
from base.workers import off_loop
from handoff.roles import Role, may_edit, may_host, may_view_figures
from storage.schema import hosts
from storage.store import Store

#: A host counts as online while their console has been in touch within this time.
ONLINE_WINDOW = dt.timedelta(seconds=90)
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so that it takes as long as a known one."""
    return _hasher.hash("the same time for an unknown account")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Host:
    id: int
    email: str
    first_name: str
    municipality: str | None
    role: Role = Role.HOST

    @property
    def is_admin(self) -> bool:
        """Sees every municipality's conversations."""
        return self.role is Role.ADMIN

    @property
    def scope(self) -> str | None:
        """The one municipality this account works for, None for a regional account."""
        return None if self.role.regional else self.municipality

    def may_see(self, municipality: str) -> bool:
        """May read and answer the municipality's handed-over conversations."""
        return may_host(self.role, self.municipality, municipality)

    def may_view_figures(self, municipality: str) -> bool:
        return may_view_figures(self.role, self.municipality, municipality)

    def may_edit(self, layer: str) -> bool:
        return may_edit(self.role, self.municipality, layer)


def _host(row: dict) -> Host:
    return Host(id=row["id"], email=row["email"], first_name=row["first_name"], municipality=row["municipality"],
                role=Role(row["role"]))


class HostStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def add(self, email: str, first_name: str, password: str, municipality: str | None,
                  role: Role = Role.HOST) -> Host:
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
        if not role.regional and municipality not in municipalities.load_all():
            raise ValueError(f"unknown municipality {municipality!r}")
        try:
            async with self.engine.begin() as connection:
                await connection.execute(hosts.insert().values(
                    email=email.strip().lower(), first_name=first_name.strip(), role=role.value,
                    municipality=None if role.regional else municipality,
                    password_hash=await off_loop(_hasher.hash, password), created_at=now()))
        except IntegrityError:
            raise ValueError(f"a host with e-mail {email} exists already") from None
        found = await self.by_email(email)
        assert found is not None
        return found

    async def by_email(self, email: str) -> Host | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(hosts).where(hosts.c.email == email.strip().lower()))).mappings().first()
        return None if row is None else _host(dict(row))

    async def get(self, host_id: int) -> Host | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(hosts).where(hosts.c.id == host_id))).mappings().first()
        return None if row is None else _host(dict(row))

    async def authenticate(self, email: str, password: str) -> Host | None:
        """The host for correct credentials, else None. Throttling is the console's (console.login).

        Argon2id takes a third of a second of CPU by design, so it runs in a worker thread; an
        unknown e-mail is checked against a dummy hash so that it takes as long as a known one.
        """
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(hosts).where(hosts.c.email == email.strip().lower()))).mappings().first()
        stored = row["password_hash"] if row else await off_loop(_dummy_hash)
        if not await off_loop(_verify, stored, password) or row is None:
            return None
        return _host(dict(row))

    async def touch(self, host_id: int) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(update(hosts).where(hosts.c.id == host_id).values(last_seen_at=now()))

    async def online(self, municipality: str) -> list[Host]:
        """The municipality's hosts whose console is open right now (editors take no conversations)."""
        since = now() - ONLINE_WINDOW
        query = select(hosts).where(hosts.c.municipality == municipality, hosts.c.role == Role.HOST.value,
                                    hosts.c.last_seen_at >= since)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_host(dict(row)) for row in rows]

    async def addresses(self, municipality: str) -> list[str]:
        """The e-mail addresses of the municipality's hosts (admins and editors are not notified)."""
        query = select(hosts.c.email).where(hosts.c.municipality == municipality, hosts.c.role == Role.HOST.value)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [row[0] for row in rows]
