"""The day-before reminder: in the chat the meeting was booked in, and by e-mail (with the calendar
entry again) when e-mail is on.

The chat reminder is what reaches everyone: e-mail may be off, and a Telegram or WhatsApp message is
the one a person notices on their phone. It carries the buttons to move or cancel, so someone who
cannot come frees the time for another. On WhatsApp it goes only while the person's 24-hour window
is open (Meta refuses free text after it); the e-mail still goes.

Every app process runs the loop; ``mark_reminded`` lets exactly one of them send each reminder.
A meeting booked less than a day ahead gets none: its invitation has just arrived.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from base.clock import now
from base.messages import Author
from handoff.desk import Outbox
from handoff.hosts import HostStore
from handoff.meetings.flow import confirmation
from handoff.meetings.invitation import Kind, Mailer
from handoff.meetings.records import MeetingStore

logger = logging.getLogger(__name__)

AHEAD = dt.timedelta(hours=24)
EVERY = dt.timedelta(minutes=5)


async def remind_due(meetings: MeetingStore, hosts: HostStore, mailer: Mailer | None, outbox: Outbox,
                     clock: Callable[[], dt.datetime] = now) -> int:
    """Send the reminders now due; how many meetings this process reminded."""
    at = clock()
    sent = 0
    for meeting in await meetings.due_reminders(at, AHEAD):
        if meeting.booked_at is not None and meeting.starts_at - meeting.booked_at < AHEAD:
            await meetings.mark_reminded(meeting.id, at)  # booked within the day: the invitation is fresh
            continue
        host = await hosts.get(meeting.host_id)
        if host is None or not await meetings.mark_reminded(meeting.id, at):
            continue
        if (await outbox.reach(meeting.conversation_id)).can_send_text:
            await outbox.push(meeting.conversation_id, [confirmation(meeting, host, "meeting_reminder", False)],
                              Author.BOT)
        if mailer is not None:
            await mailer.send(Kind.REMINDER, meeting, host)
        sent += 1
    return sent


async def run(meetings: MeetingStore, hosts: HostStore, mailer: Mailer | None, outbox: Outbox) -> None:
    while True:
        try:
            await remind_due(meetings, hosts, mailer, outbox)
        except Exception as exc:  # the database is away: the next round tries again
            logger.warning("Could not send meeting reminders: %s", type(exc).__name__)
        await asyncio.sleep(EVERY.total_seconds())
