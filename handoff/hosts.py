"""Console accounts (hosts, editors, admins): passwords hashed with Argon2id, who is online, whom to e-mail.

Accounts are created by an operator's command (``python -m app hosts add``), never through the web.
What each role may do is ``handoff.roles``'. A host's profile — the languages they speak and a
video-meeting link — is theirs to edit in the console (``set_profile``); the languages decide to
whom a waiting conversation is offered first (``handoff.desk``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import HttpUrl, TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

import municipalities
from base.clock import now
from base.definitions import LANGUAGES
from base.workers import off_loop
from handoff.roles import Role, may_edit, may_host, may_view_figures
from storage.schema import hosts
from storage.store import Store

#: A host counts as online while their console has been in touch within this time.
ONLINE_WINDOW = dt.timedelta(seconds=90)
MIN_PASSWORD = 12
#: The longest meeting link kept (the column's size).
MAX_LINK = 500
_URL = TypeAdapter(HttpUrl)

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
    #: The languages the host speaks, in the order of ``LANGUAGES``.
    languages: tuple[str, ...] = ()
    #: A video-meeting link for booked meetings (https), None when not set.
    meeting_link: str | None = None

    def speaks(self, language: str) -> bool:
        return language in self.languages

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
                role=Role(row["role"]), languages=tuple(row.get("languages") or ()),
                meeting_link=row.get("meeting_link"))


class InvalidProfile(ValueError):
    """What is wrong with a profile, per field (``languages``, ``meeting_link``) as a problem code the
    console shows in the host's language (``profile_problem_<code>`` in the hosts' catalogs)."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {problem.replace('_', ' ')}" for field, problem in problems.items()))


def _languages_problem(languages: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
    """The languages in the assistant's order without repeats, or the problem with them."""
    wanted = {language.strip().lower() for language in languages if language.strip()}
    if wanted - set(LANGUAGES):
        return (), "unknown_language"
    return tuple(language for language in LANGUAGES if language in wanted), None


def _link_problem(raw: str | None) -> tuple[str | None, str | None]:
    """The link as it will be stored, or the problem with it.

    Hosts hand this link to newcomers, so only a plain https address of a named site passes: no
    ``javascript:``/``data:``/``http:``, no bare IP address or single-label host (``localhost``,
    an intranet name a newcomer cannot reach), and no ``user@`` part, which makes a link read as
    another site than the one it opens. Parsing is pydantic's (the WHATWG URL rules), not ours.
    """
    link = (raw or "").strip()
    if not link:
        return None, None
    if len(link) > MAX_LINK:
        return None, "too_long"
    if not link.isprintable():  # the URL rules would silently drop a newline or a tab inside it
        return None, "not_a_link"
    if urlsplit(link).scheme.lower() != "https":
        return None, "not_https"
    try:
        url = _URL.validate_python(link)
    except ValidationError:
        return None, "not_a_link"
    host = url.host or ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None, "no_host_name"
    except ValueError:
        pass
    if "." not in host.strip(".") or url.username or url.password:
        return None, "no_host_name"
    stored = str(url)
    return (stored, None) if len(stored) <= MAX_LINK else (None, "too_long")


class HostStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def add(self, email: str, first_name: str, password: str, municipality: str | None,
                  role: Role = Role.HOST, languages: Iterable[str] = ()) -> Host:
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
        if not role.regional and municipality not in municipalities.load_all():
            raise ValueError(f"unknown municipality {municipality!r}")
        spoken, problem = _languages_problem(languages)
        if problem:
            raise InvalidProfile({"languages": problem})
        try:
            async with self.engine.begin() as connection:
                await connection.execute(hosts.insert().values(
                    email=email.strip().lower(), first_name=first_name.strip(), role=role.value,
                    municipality=None if role.regional else municipality, languages=list(spoken),
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

    async def set_profile(self, host_id: int, languages: Iterable[str], meeting_link: str | None) -> Host:
        """Store what the host speaks and their meeting link, both checked first (``InvalidProfile``
        names every field at fault; nothing is stored then). An empty link removes it."""
        spoken, language_problem = _languages_problem(languages)
        link, link_problem = _link_problem(meeting_link)
        problems = {field: problem for field, problem in (("languages", language_problem),
                                                           ("meeting_link", link_problem)) if problem}
        if problems:
            raise InvalidProfile(problems)
        async with self.engine.begin() as connection:
            result = await connection.execute(update(hosts).where(hosts.c.id == host_id).values(
                languages=list(spoken), meeting_link=link))
        found = await self.get(host_id) if result.rowcount == 1 else None
        if found is None:
            raise LookupError(f"no account {host_id}")
        return found

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
