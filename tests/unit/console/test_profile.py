"""The profile page and the language-matched queue, through the assembled app (not started: nothing is
loaded) on SQLite and PostgreSQL: a host ticks the languages they speak and sets a meeting link;
problems are shown at their field; the queue names the person's language and who online speaks it, and
puts a conversation offered to this host first at the top; another host's claim gets the desk's reason."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

import handoff.hosts
from app.server import create_app
from app.settings import Settings
from base.definitions import LANGUAGES
from base.messages import HandoffReason
from console.auth import COOKIE, Sessions
from handoff.hosts import Host, HostStore
from handoff.records import ContactMethod, Handoff, HandoffStore, Status
from handoff.texts import host_texts
from storage.store import Store

PASSWORD = "correct horse battery"
SITE = "https://console.test"
SV = host_texts("sv")
#: The queue test's municipality: no other test keeps hosts online or conversations waiting there.
PLACE = "gallivare"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff.hosts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class Console:
    """The test's own view of the app's database (accounts, sessions, handoffs) and a browser on the app."""

    store: Store
    client: httpx.AsyncClient

    @property
    def hosts(self) -> HostStore:
        return HostStore(self.store)

    async def host(self, name: str, languages: tuple[str, ...] = (), municipality: str = "boden") -> Host:
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@{municipality}.example"
        return await self.hosts.add(email, name, PASSWORD, municipality, languages=languages)

    async def log_in(self, host: Host) -> str:
        """Opens a session as the login route does; the cookie goes on the client. Returns the CSRF token."""
        token, csrf = await Sessions(self.store, self.hosts).open(host)
        self.client.cookies.set(COOKIE, token)
        return csrf

    async def waiting(self, language: str, queued_at: dt.datetime) -> Handoff:
        conversation_id = f"test:{uuid.uuid4().hex}"
        handoffs = HandoffStore(self.store)
        await self.store.record_inbound(conversation_id, "web", "u", PLACE, "hej", None)
        started = await handoffs.start(conversation_id, PLACE, "web", language, HandoffReason.ASKED)
        return await handoffs.change(started.id, status=Status.WAITING, step=None, consent=True,
                                     contact_method=ContactMethod.CHAT, queued_at=queued_at)


def _run(database_url: str, tmp_path: Path, body: Callable[[Console], Awaitable[Any]]) -> Any:
    """The whole app as the server assembles it, on the test's database, without its lifespan (no models)."""
    app = create_app(Settings(var_dir=tmp_path, channels_file=tmp_path / "channels.yml", database_url=database_url))

    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SITE) as client:
                return await body(Console(store, client))
        finally:
            await store.close()

    return asyncio.run(main())


def _checked(page: str) -> set[str]:
    return set(re.findall(r'name="languages" value="(\w+)" checked', page))


def test_the_profile_shows_the_eight_languages_by_name_with_the_hosts_own_ticked(
        database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> tuple[int, str]:
        await console.log_in(await console.host("Anna", ("sv", "pl")))
        reply = await console.client.get("/console/profile")
        return reply.status_code, reply.text

    status, page = _run(database_url, tmp_path, body)
    assert status == 200
    assert re.findall(r'name="languages" value="(\w+)"', page) == list(LANGUAGES)
    assert all(SV[f"language_{code}"] in page for code in LANGUAGES)  # "ukrainska", not "uk"
    assert _checked(page) == {"sv", "pl"}
    assert 'href="/console/profile"' in page  # in the navigation


def test_saving_the_profile_stores_languages_and_link(database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> tuple[httpx.Response, Host | None, str]:
        anna = await console.host("Anna", ("sv",))
        csrf = await console.log_in(anna)
        reply = await console.client.post("/console/profile", data={
            "csrf": csrf, "languages": ["sv", "uk", "en"], "meeting_link": "https://meet.example.se/anna"})
        return reply, await console.hosts.get(anna.id), (await console.client.get(reply.headers["location"])).text

    reply, stored, shown = _run(database_url, tmp_path, body)
    assert (reply.status_code, reply.headers["location"]) == (303, "/console/profile?saved=1")
    assert (stored.languages, stored.meeting_link) == (("sv", "en", "uk"), "https://meet.example.se/anna")
    assert SV["profile_saved"] in shown and _checked(shown) == {"sv", "en", "uk"}
    assert 'value="https://meet.example.se/anna"' in shown


def test_a_bad_link_is_shown_at_its_field_and_nothing_is_saved(database_url: str, tmp_path: Path) -> None:
    link = 'javascript:alert("x")//"><script>'

    async def body(console: Console) -> tuple[httpx.Response, Host | None]:
        anna = await console.host("Anna", ("sv",))
        csrf = await console.log_in(anna)
        reply = await console.client.post("/console/profile", data={
            "csrf": csrf, "languages": ["sv", "de"], "meeting_link": link})
        return reply, await console.hosts.get(anna.id)

    reply, stored = _run(database_url, tmp_path, body)
    assert reply.status_code == 422
    problem = re.search(r'<span class="problem" id="problem-meeting_link">([^<]+)</span>', reply.text)
    assert problem and html.unescape(problem.group(1)) == SV["profile_problem_not_https"]
    assert 'aria-invalid="true"' in reply.text and "<script>" not in reply.text  # what was sent, escaped
    assert _checked(reply.text) == {"sv", "de"}  # the form keeps what the host ticked
    assert (stored.languages, stored.meeting_link) == (("sv",), None)


def test_the_profile_needs_a_session_and_its_csrf_token(database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> tuple[int, int, int, Host | None]:
        stranger = (await console.client.get("/console/profile")).status_code
        anna = await console.host("Anna", ("sv",))
        await console.log_in(anna)
        forged = await console.client.post("/console/profile", data={"csrf": "guess", "languages": ["ar"]})
        cross_site = await console.client.post("/console/profile", data={"languages": ["ar"]},
                                               headers={"Origin": "https://evil.example"})
        return stranger, forged.status_code, cross_site.status_code, await console.hosts.get(anna.id)

    stranger, forged, cross_site, stored = _run(database_url, tmp_path, body)
    assert (stranger, forged, cross_site) == (401, 403, 403)
    assert stored.languages == ("sv",)


def test_the_queue_names_the_language_and_its_speakers_and_offers_it_first_to_them(
        database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> tuple[str, str, httpx.Response, int]:
        olena = await console.host("Olena", ("uk", "sv"), PLACE)
        bert = await console.host("Bert", ("sv",), PLACE)
        now = dt.datetime.now(dt.UTC)
        german = await console.waiting("de", now - dt.timedelta(seconds=20))  # earlier, but nobody speaks it
        ukrainian = await console.waiting("uk", now)
        await console.log_in(olena)  # every console request marks its host online
        olenas = (await console.client.get("/console")).text
        bert_csrf = await console.log_in(bert)
        berts = (await console.client.get("/console")).text
        refused = await console.client.post(f"/console/handoffs/{ukrainian.id}/claim", data={"csrf": bert_csrf})
        in_browser = await console.client.post(f"/console/handoffs/{ukrainian.id}/claim", data={"csrf": bert_csrf},
                                               headers={"Accept": "text/html,application/xhtml+xml"})
        assert in_browser.status_code == 303
        told = (await console.client.get(in_browser.headers["location"])).text
        assert SV["refused_offered_first"].format(language=SV["language_uk"]) in html.unescape(told)
        forged = (await console.client.get(f"/console/handoffs/{ukrainian.id}?refused=__class__")).text
        assert 'id="refused"' not in forged  # only the refusals' own keys are shown
        german_first = berts.index(f"/console/handoffs/{german.id}") < berts.index(f"/console/handoffs/{ukrainian.id}")
        assert german_first  # for Bert the queue keeps its order
        return olenas, berts, refused, ukrainian.id

    olenas, berts, refused, ukrainian = _run(database_url, tmp_path, body)
    rows = [row for row in re.findall(r"<tr( class=\"yours\" data-yours)?>(.*?)</tr>", olenas, re.S)
            if "/console/handoffs/" in row[1]]
    yours, later = rows[0], rows[1]
    assert yours[0] and f"/console/handoffs/{ukrainian}" in yours[1]  # marked as hers and first
    assert SV["language_uk"] in yours[1] and SV["speaks_your_language"] in yours[1]
    assert SV["language_de"] in later[1] and not later[0]
    assert SV["speaks_your_language"] not in berts and SV["offered_to_speakers"] in berts
    speakers = re.findall(r"<td data-speakers>\s*([^<]*?)\s*(?:<|\n)", berts)
    assert speakers == ["–", "Olena"]  # in queue order: German (nobody online speaks it), then Ukrainian
    assert refused.status_code == 409
    assert refused.json()["detail"] == "this conversation is offered first to hosts who speak Ukrainian"
