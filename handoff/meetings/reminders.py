"""The day-before reminder: an e-mail to the person (with the calendar entry again) a day ahead.

Every app process runs the loop; ``mark_reminded`` lets exactly one of them send each reminder.
A meeting booked less than a day ahead gets none: its invitation has just arrived.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from base.clock import now
from handoff.hosts import HostStore
from handoff.meetings.invitation import Kind, Mailer
from handoff.meetings.records import MeetingStore

logger = logging.getLogger(__name__)

AHEAD = dt.timedelta(hours=24)
EVERY = dt.timedelta(minutes=5)


async def remind_due(meetings: MeetingStore, hosts: HostStore, mailer: Mailer,
                     clock: Callable[[], dt.datetime] = now) -> int:
    """Send the reminders now due; how many were sent by this process."""
    at = clock()
    sent = 0
    for meeting in await meetings.due_reminders(at, AHEAD):
        if meeting.booked_at is not None and meeting.starts_at - meeting.booked_at < AHEAD:
            await meetings.mark_reminded(meeting.id, at)  # booked within the day: the invitation is fresh
            continue
        host = await hosts.get(meeting.host_id)
        if host is None or not await meetings.mark_reminded(meeting.id, at):
            continue
        await mailer.send(Kind.REMINDER, meeting, host)
        sent += 1
    return sent


async def run(meetings: MeetingStore, hosts: HostStore, mailer: Mailer) -> None:
    while True:
        try:
            await remind_due(meetings, hosts, mailer)
        except Exception as exc:  # the database is away: the next round tries again
            logger.warning("Could not send meeting reminders: %s", type(exc).__name__)
        await asyncio.sleep(EVERY.total_seconds())
