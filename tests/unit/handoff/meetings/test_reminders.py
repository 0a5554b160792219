"""The day-before reminder: sent once, a day ahead, even with several processes looking; in the chat
(with buttons to move or cancel) while the channel may send text, and by e-mail."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import delete

from base.catalog import text
from base.messages import Author, BotMessage
from handoff.desk import Reach
from handoff.hosts import HostStore
from handoff.meetings.flow import CANCEL, REBOOK
from handoff.meetings.invitation import Mailer
from handoff.meetings.records import MeetingStore, Step
from handoff.meetings.reminders import remind_due
from handoff.notify import SmtpSettings
from storage.schema import hosts as hosts_table
from storage.store import Store
from tests.conftest import Mailbox

BOOKED = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
STARTS = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)


class Chat:
    """The gateway's side: what reached the person's conversation, and whether free text may go now."""

    def __init__(self, can_send_text: bool = True) -> None:
        self.can_send_text = can_send_text
        self.sent: list[tuple[str, BotMessage, Author]] = []

    async def reach(self, conversation_id: str) -> Reach:
        return Reach(can_send_text=self.can_send_text)

    async def push(self, conversation_id: str, messages: list[BotMessage], author: Author) -> bool:
        self.sent += [(conversation_id, message, author) for message in messages]
        return True


async def _booked(store: Store, person: str, language: str) -> tuple[int, str, int]:
    """A meeting on Thursday 10 December, booked on the Monday; (host id, conversation id, meeting id)."""
    host = await HostStore(store).add(f"h-{uuid.uuid4().hex[:8]}@boden.example", "Sara", "a long password 123",
                                      "boden")
    conversation_id = f"test:{uuid.uuid4().hex}"
    await store.record_inbound(conversation_id, "test", "u", "boden", "hej", None)
    meetings = MeetingStore(store)
    held = await meetings.hold(conversation_id, "boden", host.id, language, STARTS, 45, Step.EMAIL, BOOKED)
    await meetings.change(held.id, email=person)
    await meetings.book(held.id, uuid.uuid4().hex, BOOKED)
    return host.id, conversation_id, held.id


async def _forget_host(store: Store, host_id: int) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(delete(hosts_table).where(hosts_table.c.id == host_id))


def test_the_reminder_goes_out_once_the_day_before(database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    person = f"r-{uuid.uuid4().hex[:6]}@example.com"
    chat = Chat()

    async def main() -> tuple[list[int], str, int]:
        store, other = Store(database_url), Store(database_url)
        await store.create_schema()
        host_id, conversation_id, meeting_id = await _booked(store, person, "de")
        meetings, hosts = MeetingStore(store), HostStore(store)
        mailer = Mailer(SmtpSettings("127.0.0.1", mailbox[1], "assistant@region.example"), "https://chat.example")
        try:
            sent = [await remind_due(meetings, hosts, mailer, chat, clock=lambda: STARTS - dt.timedelta(hours=25))]
            day_before = STARTS - dt.timedelta(hours=23)
            both = await asyncio.gather(remind_due(meetings, hosts, mailer, chat, clock=lambda: day_before),
                                        remind_due(MeetingStore(other), HostStore(other), mailer, chat,
                                                   clock=lambda: day_before))
            sent += [sum(both), await remind_due(meetings, hosts, mailer, chat, clock=lambda: day_before)]
        finally:
            await _forget_host(store, host_id)
            await other.close()
            await store.close()
        return sent, conversation_id, meeting_id

    sent, conversation_id, meeting_id = asyncio.run(main())
    assert sent == [0, 1, 0]
    reminders = [m for m in mailbox[0].messages if m["To"] == person]
    assert len(reminders) == 1
    assert reminders[0]["Subject"].startswith("Erinnerung") and "Sara" in reminders[0]["Subject"]
    [(to, message, author)] = chat.sent
    assert (to, author, message.meta.response, message.meta.language) == (conversation_id, Author.BOT,
                                                                          "meeting_reminder", "de")
    assert message.text.startswith("Zur Erinnerung") and "Donnerstag, 10. Dezember, 10:00" in message.text
    assert "Sara" in message.text and person not in message.text  # no "invitation sent" line the day before
    assert [b.payload for b in message.buttons] == [f"{REBOOK}{meeting_id}", f"{CANCEL}{meeting_id}"]
    assert [b.title for b in message.buttons] == [text("de", "meeting_rebook_button"),
                                                  text("de", "meeting_cancel_button")]


def test_without_e_mail_the_chat_reminds_and_a_closed_whatsapp_window_leaves_only_the_e_mail(
        database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    person = f"r-{uuid.uuid4().hex[:6]}@example.com"
    open_chat, closed_window = Chat(), Chat(can_send_text=False)
    mailer = Mailer(SmtpSettings("127.0.0.1", mailbox[1], "assistant@region.example"), "https://chat.example")
    day_before = STARTS - dt.timedelta(hours=23)

    async def main() -> list[int]:
        store = Store(database_url)
        await store.create_schema()
        meetings, hosts = MeetingStore(store), HostStore(store)
        counts = []
        try:
            # No SMTP configured: the chat alone reminds.
            host_id, _, _ = await _booked(store, f"x-{person}", "sv")
            counts.append(await remind_due(meetings, hosts, None, open_chat, clock=lambda: day_before))
            await _forget_host(store, host_id)
            # WhatsApp's 24-hour window has closed: the e-mail alone reminds.
            host_id, _, _ = await _booked(store, person, "sv")
            counts.append(await remind_due(meetings, hosts, mailer, closed_window, clock=lambda: day_before))
            await _forget_host(store, host_id)
            return counts
        finally:
            await store.close()

    assert asyncio.run(main()) == [1, 1]
    assert [m.meta.response for _, m, _ in open_chat.sent] == ["meeting_reminder"]
    assert closed_window.sent == []
    assert len([m for m in mailbox[0].messages if m["To"] == person]) == 1
