"""Booking a meeting in the chat, on SQLite and PostgreSQL, with a fixed clock and a real SMTP server.

What a person notices: free times as buttons in their language, the questions, a confirmation with
the date, the host's first name and how to join, a calendar invitation in their mailbox (and the
host's), cancelling and rebooking, a slot that someone else just took.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.message
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import delete

from base.catalog import text
from base.messages import Author, BotMessage
from handoff.hosts import Host, HostStore
from handoff.meetings.availability import Availability
from handoff.meetings.flow import CANCEL, PICK, REBOOK, START, STOP, Booking
from handoff.meetings.invitation import Mailer
from handoff.meetings.records import MeetingStatus, MeetingStore
from handoff.notify import SmtpSettings
from storage.schema import hosts as hosts_table
from storage.schema import meeting_hours
from storage.store import Store
from tests.conftest import Mailbox

SWEDEN = ZoneInfo("Europe/Stockholm")
#: Monday 7 December 2026, 09:00 in Sweden.
MONDAY = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
#: The first Tuesday slot: 8 December 2026 10:00 in Sweden.
TUESDAY_10 = dt.datetime(2026, 12, 8, 10, 0, tzinfo=SWEDEN)
LINK = "https://video.example.org/sara"


class Pushed:
    """The gateway's side of a host's cancellation: what reached the person's conversation."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[BotMessage]]] = []

    async def push(self, conversation_id: str, messages: list[BotMessage], author: Author) -> bool:
        self.sent.append((conversation_id, messages))
        return True


def _run(database_url: str, mailbox: tuple[Mailbox, int], body: Callable[..., Awaitable[Any]],
         link: str | None = LINK) -> Any:
    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        async with store.engine.begin() as connection:  # only this test's host holds meetings in Boden
            await connection.execute(delete(meeting_hours))
        hosts = HostStore(store)
        tag = uuid.uuid4().hex[:8]
        host = await hosts.add(f"sara-{tag}@boden.example", "Sara", "a long password 123", "boden")
        await hosts.set_profile(host.id, ["sv", "pl"], link or "")
        host = await hosts.get(host.id)
        availability = Availability(store)
        await availability.add_weekly(host.id, 1, "10:00", 45)  # Tuesdays
        await availability.add_weekly(host.id, 1, "13:00", 45)
        mailer = Mailer(SmtpSettings("127.0.0.1", mailbox[1], "assistant@region.example"), "https://chat.example")
        booking = Booking(MeetingStore(store), availability, hosts, mailer, clock=lambda: MONDAY)
        try:
            return await body(booking, host, store)
        finally:
            await booking.drain()
            async with store.engine.begin() as connection:  # the session's PostgreSQL is shared: no other Boden hosts
                await connection.execute(delete(hosts_table).where(hosts_table.c.id == host.id))
            await store.close()

    return asyncio.run(main())


async def _conversation(store: Store) -> str:
    conversation_id = f"test:{uuid.uuid4().hex}"
    await store.record_inbound(conversation_id, "test", "u", "boden", "hej", None)
    return conversation_id


async def _say(booking: Booking, conversation_id: str, said: str, language: str = "pl") -> list[BotMessage]:
    replies = await booking.step(conversation_id, "boden", language, said)
    assert replies is not None, said
    return replies


async def _pick(booking: Booking, conversation_id: str, choice: int = 0) -> BotMessage:
    """Ask for a meeting and press the ``choice``-th free time; the offer that was shown."""
    offer = (await _say(booking, conversation_id, START))[0]
    await _say(booking, conversation_id, offer.buttons[choice].payload)
    return offer


async def _book(booking: Booking, conversation_id: str, address: str) -> tuple[BotMessage, BotMessage]:
    """Book the first free time with this address; the offer that was shown and the confirmation."""
    offer = await _pick(booking, conversation_id)
    await _say(booking, conversation_id, address)
    return offer, (await _say(booking, conversation_id, "Praca"))[0]


def _mails_to(mailbox: Mailbox, address: str) -> list[email.message.EmailMessage]:
    return [m for m in mailbox.messages if m["To"] == address]


def _body(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _calendar(message: email.message.EmailMessage) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_a_polish_speaker_books_gets_an_invitation_and_cancels(database_url: str,
                                                               mailbox: tuple[Mailbox, int]) -> None:
    person = f"anna-{uuid.uuid4().hex[:6]}@example.com"

    async def body(booking: Booking, host: Host, store: Store) -> None:
        conversation_id = await _conversation(store)
        offer = (await _say(booking, conversation_id, START))[0]
        assert offer.meta.response == "meeting_choose" and offer.text == text("pl", "meeting_choose")
        assert [b.title for b in offer.buttons[:2]] == ["wt., 8 gru 10:00", "wt., 8 gru 13:00"]
        assert offer.buttons[-1].payload == STOP

        asked = (await _say(booking, conversation_id, offer.buttons[0].payload))[0]
        assert "Sara" in asked.text and "8 grudnia" in asked.text
        invalid = (await _say(booking, conversation_id, "anna at example"))[0]
        assert invalid.meta.response == "meeting_invalid_email"
        topic = (await _say(booking, conversation_id, f"mój adres to {person}"))[0]
        assert topic.meta.response == "meeting_ask_topic"  # the host has a video link: no phone number asked
        confirmed = (await _say(booking, conversation_id, "Szkoła dla dzieci, personnummer 811228-9874"))[0]
        assert confirmed.meta.response == "meeting_booked"
        assert "wtorek, 8 grudnia 10:00" in confirmed.text and "Sara" in confirmed.text and LINK in confirmed.text
        assert person in confirmed.text
        assert [b.payload.split(" ")[0] for b in confirmed.buttons] == [REBOOK.strip(), CANCEL.strip()]
        await booking.drain()

        invitation = _mails_to(mailbox[0], person)[-1]
        assert "Sara" in invitation["Subject"]
        event = _calendar(invitation).walk("VEVENT")[0]
        assert _calendar(invitation)["METHOD"] == "REQUEST"
        assert event.decoded("DTSTART") == TUESDAY_10 and event.decoded("DTEND") == TUESDAY_10 + dt.timedelta(
            minutes=45)
        assert {str(a) for a in event.get("ATTENDEE")} == {f"mailto:{person}", f"mailto:{host.email}"}
        assert str(event["LOCATION"]) == LINK
        link = re.search(r"https://chat\.example/meetings/(\S+)", _body(invitation)).group(1)
        assert (await booking.by_token(link)).conversation_id == conversation_id
        to_host = _mails_to(mailbox[0], host.email)[-1]
        assert "polska" in _body(to_host) and "811228-9874" not in _body(to_host)
        assert _calendar(to_host).walk("VEVENT")[0]["UID"] == event["UID"]

        other = await _conversation(store)
        times = [b.title for b in (await _say(booking, other, START, "sv"))[0].buttons]
        assert "tis 8 dec. 10:00" not in times and "tis 8 dec. 13:00" in times

        cancelled = (await _say(booking, conversation_id, confirmed.buttons[1].payload))[0]
        assert cancelled.meta.response == "meeting_cancelled"
        await booking.drain()
        notice = _calendar(_mails_to(mailbox[0], person)[-1])
        assert notice["METHOD"] == "CANCEL" and notice.walk("VEVENT")[0]["SEQUENCE"] == 1
        times = [b.title for b in (await _say(booking, other, START, "sv"))[0].buttons]
        assert "tis 8 dec. 10:00" in times  # free again
        again = (await _say(booking, conversation_id, confirmed.buttons[1].payload))[0]
        assert again.meta.response == "meeting_gone"  # cancelled once only

    _run(database_url, mailbox, body)


def test_the_second_person_to_pick_a_time_is_told_and_offered_the_others(database_url: str,
                                                                        mailbox: tuple[Mailbox, int]) -> None:
    async def body(booking: Booking, host: Host, store: Store) -> None:
        first, second = await _conversation(store), await _conversation(store)
        pick = (await _say(booking, first, START))[0].buttons[0].payload
        assert (await _say(booking, second, START))[0].buttons[0].payload == pick
        assert (await _say(booking, first, pick))[0].meta.response == "meeting_ask_email"
        taken = (await _say(booking, second, pick, "sv"))[0]
        assert taken.meta.response == "meeting_taken" and pick not in [b.payload for b in taken.buttons]
        assert (await _say(booking, first, STOP))[0].meta.response == "meeting_stopped"
        assert pick in [b.payload for b in (await _say(booking, second, START))[0].buttons]

    _run(database_url, mailbox, body)


def test_without_a_video_link_the_host_calls_and_the_person_gives_a_number(database_url: str,
                                                                           mailbox: tuple[Mailbox, int]) -> None:
    async def body(booking: Booking, host: Host, store: Store) -> None:
        conversation_id = await _conversation(store)
        pick = (await _say(booking, conversation_id, START, "sv"))[0].buttons[0].payload
        await _say(booking, conversation_id, pick, "sv")
        assert (await _say(booking, conversation_id, "per@example.se"))[0].meta.response == "meeting_ask_phone"
        assert (await _say(booking, conversation_id, "inget nummer"))[0].meta.response == "meeting_invalid_phone"
        await _say(booking, conversation_id, "070-123 45 67")
        confirmed = (await _say(booking, conversation_id, "Bostad"))[0]  # the booking keeps the language it began in
        assert "Sara ringer dig på +46701234567" in confirmed.text

    _run(database_url, mailbox, body, link=None)


def test_rebooking_moves_the_meeting_and_a_host_cancellation_reaches_the_person(
        database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    person = f"jan-{uuid.uuid4().hex[:6]}@example.com"

    async def body(booking: Booking, host: Host, store: Store) -> None:
        conversation_id = await _conversation(store)
        _, confirmed = await _book(booking, conversation_id, person)
        choices = (await _say(booking, conversation_id, confirmed.buttons[0].payload))[0]
        assert choices.buttons[0].title == "wt., 8 gru 13:00"  # its own time is not offered back
        moved = (await _say(booking, conversation_id, choices.buttons[0].payload))[0]
        assert moved.meta.response == "meeting_moved" and "13:00" in moved.text
        meeting = (await booking.meetings.upcoming(host_id=host.id, since=MONDAY))[0]
        assert meeting.starts_at == dt.datetime(2026, 12, 8, 13, 0, tzinfo=SWEDEN) and meeting.sequence == 1

        outbox = Pushed()
        assert await booking.cancel_by_host(meeting.id, host, outbox) is not None
        (pushed_to, [note]), = outbox.sent
        assert pushed_to == conversation_id and note.meta.response == "meeting_cancelled_by_host"
        assert note.text.startswith("Niestety") and "Sara" in note.text
        assert (await booking.meetings.get(meeting.id)).status == MeetingStatus.CANCELLED
        assert await booking.cancel_by_host(meeting.id, host, outbox) is None

    _run(database_url, mailbox, body)


@pytest.mark.parametrize("forged", [f"{PICK}not-a-time", f"{PICK}20261208T0700Z", f"{CANCEL}999999",
                                    f"{REBOOK}abc", "/meeting_whatever"])
def test_forged_or_stale_buttons_get_a_polite_answer(database_url: str, mailbox: tuple[Mailbox, int],
                                                     forged: str) -> None:
    async def body(booking: Booking, host: Host, store: Store) -> None:
        replies = await _say(booking, await _conversation(store), forged)
        assert replies[0].meta.response in ("meeting_gone", "meeting_choose", "meeting_taken")
        assert replies[0].text

    _run(database_url, mailbox, body)


def test_when_two_hosts_are_free_the_one_who_speaks_the_persons_language_gets_the_meeting(
        database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    async def body(booking: Booking, sara: Host, store: Store) -> tuple[list[str], list[str]]:
        olle = await booking.hosts.add(f"olle-{uuid.uuid4().hex[:6]}@boden.example", "Olle", "a long password 123",
                                       "boden", languages=("sv", "uk"))
        try:
            await booking.availability.add_weekly(olle.id, 1, "10:00", 45)  # the same Tuesday time as Sara
            names, firsts = {}, []
            for language in ("uk", "pl"):  # both take the first time: two hosts are free then
                conversation_id = await _conversation(store)
                offer = (await _say(booking, conversation_id, START, language))[0]
                firsts.append(offer.buttons[0].payload)
                asked = (await _say(booking, conversation_id, offer.buttons[0].payload, language))[0]
                names[language] = "Olle" if "Olle" in asked.text else "Sara"
            return [names["uk"], names["pl"]], firsts
        finally:
            async with store.engine.begin() as connection:
                await connection.execute(delete(hosts_table).where(hosts_table.c.id == olle.id))

    names, firsts = _run(database_url, mailbox, body)
    assert firsts[0] == firsts[1]
    assert names == ["Olle", "Sara"]  # Olle speaks Ukrainian, Sara Polish


def test_a_conversation_holds_one_upcoming_meeting_and_asking_again_shows_it(database_url: str,
                                                                            mailbox: tuple[Mailbox, int]) -> None:
    async def body(booking: Booking, host: Host, store: Store) -> tuple[BotMessage, BotMessage, int]:
        conversation_id = await _conversation(store)
        offer, _ = await _book(booking, conversation_id, "ewa@example.com")
        again = (await _say(booking, conversation_id, START))[0]
        second_pick = (await _say(booking, conversation_id, offer.buttons[1].payload))[0]
        return again, second_pick, len(await booking.meetings.upcoming(conversation_id=conversation_id,
                                                                       since=MONDAY))

    again, second_pick, booked = _run(database_url, mailbox, body)
    assert again.meta.response == second_pick.meta.response == "meeting_booked"
    assert "wtorek, 8 grudnia 10:00" in again.text and booked == 1


def test_a_deleted_conversation_cancels_its_meeting_and_the_host_gets_the_cancellation(
        database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    async def body(booking: Booking, host: Host, store: Store) -> tuple[int, int, str]:
        conversation_id = await _conversation(store)
        await _book(booking, conversation_id, "kasia@example.com")
        cancelled = await booking.cancel_all(conversation_id)
        await booking.drain()
        return cancelled, await booking.cancel_all(conversation_id), host.email

    cancelled, again, host_email = _run(database_url, mailbox, body)
    assert (cancelled, again) == (1, 0)
    to_host = _mails_to(mailbox[0], host_email)
    assert [_calendar(m)["METHOD"] for m in to_host] == ["REQUEST", "CANCEL"]


def test_a_second_chat_cannot_book_another_meeting_for_an_address_that_has_one(
        database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    """A new chat is one click away, so the limit follows the e-mail address too: the second chat is told
    (without the time, which whoever typed the address should not learn) and its picked time is free again."""
    async def body(booking: Booking, host: Host, store: Store) -> tuple[BotMessage, list[str], list[str]]:
        first, second = await _conversation(store), await _conversation(store)
        await _book(booking, first, "Ola.Nowak@Example.com")
        offer = await _pick(booking, second)
        refused = (await _say(booking, second, "ola.nowak@example.com"))[0]
        after = (await _say(booking, second, START))[0]
        return refused, [b.title for b in offer.buttons], [b.title for b in after.buttons]

    refused, offered, after = _run(database_url, mailbox, body)
    assert refused.meta.response == "meeting_email_booked_already"
    assert refused.text == text("pl", "meeting_email_booked_already") and "13:00" not in refused.text
    assert after == offered, "the time the second chat picked is offered again"


def test_two_chats_giving_the_same_address_at_once_book_one_meeting(database_url: str,
                                                                    mailbox: tuple[Mailbox, int]) -> None:
    """Both passed the address question before either had booked: the second to finish is refused."""
    async def body(booking: Booking, host: Host, store: Store) -> tuple[BotMessage, BotMessage, int]:
        first, second = await _conversation(store), await _conversation(store)
        for conversation_id, choice in ((first, 0), (second, 1)):
            await _pick(booking, conversation_id, choice)
            await _say(booking, conversation_id, "jan.kowalski@example.com")
        booked = (await _say(booking, first, "Praca"))[0]
        refused = (await _say(booking, second, "Mieszkanie"))[0]
        return booked, refused, len(await booking.meetings.upcoming(email="JAN.KOWALSKI@example.com",
                                                                    since=MONDAY))

    booked, refused, meetings = _run(database_url, mailbox, body)
    assert (booked.meta.response, refused.meta.response) == ("meeting_booked", "meeting_email_booked_already")
    assert meetings == 1
