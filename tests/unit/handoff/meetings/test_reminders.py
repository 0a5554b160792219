"""The day-before reminder: sent once, a day ahead, even with several processes looking."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import delete

from handoff.hosts import HostStore
from handoff.meetings.invitation import Mailer
from handoff.meetings.records import MeetingStore, Step
from handoff.meetings.reminders import remind_due
from handoff.notify import SmtpSettings
from storage.schema import hosts as hosts_table
from storage.store import Store
from tests.conftest import Mailbox

BOOKED = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
STARTS = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)


def test_the_reminder_goes_out_once_the_day_before(database_url: str, mailbox: tuple[Mailbox, int]) -> None:
    person = f"r-{uuid.uuid4().hex[:6]}@example.com"

    async def main() -> list[int]:
        store, other = Store(database_url), Store(database_url)
        await store.create_schema()
        hosts = HostStore(store)
        host = await hosts.add(f"h-{uuid.uuid4().hex[:8]}@boden.example", "Sara", "a long password 123", "boden")
        conversation_id = f"test:{uuid.uuid4().hex}"
        await store.record_inbound(conversation_id, "test", "u", "boden", "hej", None)
        meetings = MeetingStore(store)
        held = await meetings.hold(conversation_id, "boden", host.id, "de", STARTS, 45, Step.EMAIL, BOOKED)
        await meetings.change(held.id, email=person)
        await meetings.book(held.id, "hash", BOOKED)
        mailer = Mailer(SmtpSettings("127.0.0.1", mailbox[1], "assistant@region.example"), "https://chat.example")
        try:
            sent = [await remind_due(meetings, hosts, mailer, clock=lambda: STARTS - dt.timedelta(hours=25))]
            day_before = STARTS - dt.timedelta(hours=23)
            both = await asyncio.gather(remind_due(meetings, hosts, mailer, clock=lambda: day_before),
                                        remind_due(MeetingStore(other), HostStore(other), mailer,
                                                   clock=lambda: day_before))
            sent += [sum(both), await remind_due(meetings, hosts, mailer, clock=lambda: day_before)]
        finally:
            async with store.engine.begin() as connection:
                await connection.execute(delete(hosts_table).where(hosts_table.c.id == host.id))
            await other.close()
            await store.close()
        return sent

    assert asyncio.run(main()) == [0, 1, 0]
    reminders = [m for m in mailbox[0].messages if m["To"] == person]
    assert len(reminders) == 1
    assert reminders[0]["Subject"].startswith("Erinnerung") and "Sara" in reminders[0]["Subject"]
