"""The queue in a real browser changes by itself when the clock changes it: a conversation offered first
to a host who speaks the person's language becomes everyone's when that window closes, with no event
and no click; a claim before then is refused in the host's language (Norsjö: no other live test hands
over there)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Browser, expect

from app.stack import Stack
from base.messages import HandoffReason
from handoff.desk import OFFER_FIRST
from handoff.records import ContactMethod, HandoffStore, Status
from handoff.texts import host_texts
from storage.store import Store
from tests.integration.conftest import PASSWORD, Console, add_host, own_address

PLACE = "norsjo"
SV = host_texts("sv")


def _waiting(stack: Stack, need: str, queued_at: dt.datetime) -> None:
    """A Ukrainian speaker's conversation in the queue, written into the running stack's database."""
    async def run() -> None:
        store = Store(stack.settings.database)
        try:
            conversation_id = f"web:{uuid.uuid4().hex}"
            await store.record_inbound(conversation_id, "web", "u", PLACE, "Привіт", None)
            handoffs = HandoffStore(store)
            started = await handoffs.start(conversation_id, PLACE, "web", "uk", HandoffReason.ASKED)
            await handoffs.change(started.id, status=Status.WAITING, step=None, consent=True, need=need,
                                  contact_method=ContactMethod.CHAT, queued_at=queued_at)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        pool.submit(asyncio.run, run()).result()


def test_a_conversation_offered_to_a_speaker_first_becomes_everyones_on_an_open_queue_page(
        stack: Stack, browser: Browser) -> None:
    suffix = uuid.uuid4().hex[:6]
    olena, bert = f"olena.{suffix}@norsjo.example", f"bert.{suffix}@norsjo.example"
    add_host(stack, olena, "Olena", PLACE)
    add_host(stack, bert, "Bert", PLACE)
    speaker = Console(stack.app_url, olena)  # logged in: online for the next 90 seconds
    saved = speaker.client.post("/console/profile", data={"csrf": speaker.csrf, "languages": ["uk", "sv"],
                                                          "meeting_link": ""})
    assert saved.status_code in (200, 303), saved.text
    need = f"Шукаю житло для сім'ї {suffix}"
    _waiting(stack, need, dt.datetime.now(dt.UTC) - OFFER_FIRST + dt.timedelta(seconds=25))

    context = browser.new_context(locale="sv-SE", extra_http_headers={"X-Forwarded-For": own_address()})
    console = context.new_page()
    console.goto(f"{stack.app_url}/console/login")
    console.get_by_label("E-postadress").fill(bert)
    console.get_by_label("Lösenord").fill(PASSWORD)
    console.get_by_role("button", name="Logga in").click()
    row = console.get_by_role("row").filter(has_text=suffix)
    expect(row).to_contain_text(SV["offered_to_speakers"])
    expect(row).to_contain_text("Olena")
    # Claiming it now is refused, with the reason in Swedish on the conversation's page.
    row.get_by_role("link", name=SV["open"]).click()
    console.get_by_role("button", name=SV["claim"]).click()
    expect(console.get_by_role("alert")).to_have_text(SV["refused_offered_first"].format(language=SV["language_uk"]))
    console.goto(f"{stack.app_url}/console")
    # Nobody does anything: the queue page redraws itself when the window closes.
    expect(row).not_to_contain_text(SV["offered_to_speakers"], timeout=60_000)
    row.get_by_role("link", name=SV["open"]).click()
    console.get_by_role("button", name=SV["claim"]).click()
    expect(console.get_by_label("Ditt svar")).to_be_visible()
    context.close()
