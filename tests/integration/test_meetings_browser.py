"""Booking a first digital meeting in a real browser: a Polish newcomer books in the widget, the host
sees it in the console, the invitation reaches a real SMTP server with a valid iCalendar file, the
person cancels from the chat and the time is free again."""

from __future__ import annotations

import datetime as dt
import email.message
import re
import uuid

import icalendar
from playwright.sync_api import Browser, expect

from app.platforms import wait_for
from app.stack import Stack
from base.catalog import catalog, text
from tests.conftest import Mailbox
from tests.integration.conftest import PASSWORD, Console, add_host
from tests.integration.test_console_browser import _shots
from tests.integration.test_web import _ask, _bot_messages

LINK = "https://video.example.org/ewa"


def _calendar(message: email.message.EmailMessage) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _free(host: Console) -> list[str]:
    return re.findall(r"<li>([^<]+)</li>", host.client.get("/console/meetings").text.split('id="free"')[1])


def test_a_polish_newcomer_books_a_meeting_in_the_widget_the_host_sees_it_and_the_person_cancels(
        stack: Stack, browser: Browser, mailbox: tuple[Mailbox, int]) -> None:
    suffix = uuid.uuid4().hex[:6]
    host_email, person = f"ewa.{suffix}@kiruna.example", f"marta.{suffix}@example.com"
    # Kiruna: no other live test hands over there, so Ewa (online, speaking sv and pl) is offered no one's
    # conversation first, and nobody else's meeting times mix with hers.
    add_host(stack, host_email, "Ewa", "kiruna")
    host = Console(stack.app_url, host_email)
    saved = host.client.post("/console/profile", data={"csrf": host.csrf, "languages": ["sv", "pl"],
                                                       "meeting_link": LINK})
    assert saved.status_code == 303, saved.text
    for weekday in range(5):  # Monday to Friday
        added = host.post("/console/meetings/hours", weekday=str(weekday), start="10:00", minutes="45")
        assert added.status_code == 303
    free_before = _free(host)
    assert free_before

    context = browser.new_context(locale="pl-PL", viewport={"width": 1100, "height": 820})
    page = context.new_page()
    page.goto(f"{stack.app_url}/demo/kiruna")
    page.get_by_role("button", name="Otwórz czat z asystentem dla nowych mieszkańców").click()
    _ask(page, "Chcę umówić spotkanie z opiekunem")
    expect(_bot_messages(page).last).to_have_text(text("pl", "meeting_choose"), timeout=60_000)
    options = page.get_by_role("group", name="Możliwe odpowiedzi")
    slots = options.get_by_role("button")
    expect(slots.first).to_be_visible()
    page.screenshot(path=str(_shots(stack) / "widget-meeting.png"))
    slots.first.click()
    expect(_bot_messages(page).last).to_contain_text("Ewa", timeout=30_000)
    _ask(page, "marta(at)example")
    expect(_bot_messages(page).last).to_have_text(text("pl", "meeting_invalid_email"), timeout=30_000)
    _ask(page, person)
    expect(_bot_messages(page).last).to_have_text(text("pl", "meeting_ask_topic"), timeout=30_000)
    _ask(page, "Szkoła dla syna i mieszkanie")
    confirmation = _bot_messages(page).last
    expect(confirmation).to_contain_text(LINK, timeout=30_000)
    expect(confirmation).to_contain_text("Ewa")
    expect(confirmation).to_contain_text(person)

    console = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900}).new_page()
    console.goto(f"{stack.app_url}/console/login")
    console.get_by_label("E-postadress").fill(host_email)
    console.get_by_label("Lösenord").fill(PASSWORD)
    console.get_by_role("button", name="Logga in").click()
    console.get_by_role("link", name="Möten").click()
    booked = console.locator("#upcoming tr[data-meeting]")
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text(person)
    expect(booked).to_contain_text("Szkoła dla syna i mieszkanie")
    expect(booked).to_contain_text("polska")
    console.screenshot(path=str(_shots(stack) / "console-meetings.png"), full_page=True)
    console.context.close()

    def mails(to: str, method: str) -> list[email.message.EmailMessage]:
        return [m for m in mailbox[0].messages if m["To"] == to and any(
            p.get_content_type() == "text/calendar" and _calendar(m)["METHOD"] == method for p in m.walk())]

    invitation = wait_for(lambda: mails(person, "REQUEST"), what="the invitation to the person")[-1]
    wait_for(lambda: mails(host_email, "REQUEST"), what="the invitation to the host")
    event = _calendar(invitation).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == LINK and event["STATUS"] == "CONFIRMED"
    assert {str(a) for a in event.get("ATTENDEE")} == {f"mailto:{person}", f"mailto:{host_email}"}
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=45)
    assert f"{stack.app_url}/meetings/" in invitation.get_body(("plain",)).get_content()
    assert _free(host) != free_before  # booked: no longer offered

    page.get_by_role("button", name=text("pl", "meeting_cancel_button")).click()
    after_the_date = catalog("pl")["meeting_cancelled"].split("{when}")[1]
    expect(_bot_messages(page).last).to_contain_text(after_the_date, timeout=30_000)
    cancellation = wait_for(lambda: mails(person, "CANCEL"), what="the cancellation")[-1]
    assert _calendar(cancellation).walk("VEVENT")[0]["UID"] == event["UID"]
    assert _free(host) == free_before  # the slot is free again
    context.close()
