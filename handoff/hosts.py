"""Relocation hosts' accounts: passwords hashed with Argon2id, login throttling, who is online.

Accounts are created by an operator's command (``python -m app hosts add``), never through the
web. Throttling is kept in the database so that it holds across app processes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

import municipalities
from base.clock import now
from storage.schema import hosts, login_failures
from storage.store import Store

#: A host counts as online while their console has been in touch within this time.
ONLINE_WINDOW = dt.timedelta(seconds=90)
#: Failed logins per account (or address) within the window before logins are refused for a while.
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class Host:
    id: int
    email: str
    first_name: str
    municipality: str | None
    is_admin: bool

    def may_see(self, municipality: str) -> bool:
        return self.is_admin or self.municipality == municipality


def _host(row: dict) -> Host:
    return Host(id=row["id"], email=row["email"], first_name=row["first_name"], municipality=row["municipality"],
                is_admin=row["is_admin"])


class HostStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def add(self, email: str, first_name: str, password: str, municipality: str | None,
                  is_admin: bool = False) -> Host:
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
        if not is_admin and municipality not in municipalities.load_all():
            raise ValueError(f"unknown municipality {municipality!r}")
        try:
            async with self.engine.begin() as connection:
                await connection.execute(hosts.insert().values(
                    email=email.strip().lower(), first_name=first_name.strip(), is_admin=is_admin,
                    municipality=None if is_admin else municipality, password_hash=_hasher.hash(password),
                    created_at=now()))
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

    async def throttled(self, *keys: str) -> bool:
        since = now() - FAILURE_WINDOW
        async with self.engine.connect() as connection:
            for key in keys:
                count = (await connection.execute(select(func.count()).select_from(login_failures).where(
                    login_failures.c.key == key, login_failures.c.at >= since))).scalar_one()
                if count >= MAX_FAILURES:
                    return True
        return False

    async def authenticate(self, email: str, password: str, address: str) -> Host | None:
        """The host for correct credentials; None otherwise (and the failure counts towards throttling)."""
        keys = (f"email:{email.strip().lower()}", f"ip:{address}")
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(hosts).where(hosts.c.email == email.strip().lower()))).mappings().first()
        stored = row["password_hash"] if row else _hasher.hash("timing-equaliser")
        try:
            _hasher.verify(stored, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        async with self.engine.begin() as connection:
            if not ok:
                for key in keys:
                    await connection.execute(login_failures.insert().values(key=key, at=now()))
                return None
            await connection.execute(delete(login_failures).where(login_failures.c.key == keys[0]))
        return _host(dict(row))

    async def touch(self, host_id: int) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(update(hosts).where(hosts.c.id == host_id).values(last_seen_at=now()))

    async def online(self, municipality: str) -> list[Host]:
        """The municipality's hosts whose console is open right now."""
        since = now() - ONLINE_WINDOW
        query = select(hosts).where(hosts.c.municipality == municipality, hosts.c.last_seen_at >= since)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_host(dict(row)) for row in rows]

    async def addresses(self, municipality: str) -> list[str]:
        """The e-mail addresses of the municipality's hosts (admins are not notified)."""
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(hosts.c.email).where(hosts.c.municipality == municipality))).all()
        return [row[0] for row in rows]
