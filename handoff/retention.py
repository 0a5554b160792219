"""Deletes conversations, their messages and handoffs after each municipality's retention period.

    python -m app retention            # run it daily (cron, a systemd timer, a k8s CronJob)

A conversation is kept for its municipality's ``retention_days`` after its last message; one with
no municipality (the person never said which) for the shortest period any municipality sets.
A conversation with a booked meeting still to come is kept until the meeting has begun: deleting it
would take the meeting, the person's e-mail link and the host's calendar entry's counterpart with it,
and nobody would be told.
The Rasa tracker store's events of those conversations are deleted too (SQLite or PostgreSQL), so
nothing of what the person wrote remains, and expired console sessions go with them. The same
deletion serves a person who asks the bot to forget them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, or_, select, update

import municipalities
from base.clock import now
from handoff.meetings.records import MeetingStatus
from storage.schema import conversations, handoffs, host_sessions, meetings, messages, ratings
from storage.store import Store
from storage.tracker import TrackerEvents


async def forget(store: Store, conversation_ids: list[str], tracker: TrackerEvents | None) -> int:
    """Delete these conversations everywhere this product keeps them; how many were deleted."""
    if not conversation_ids:
        return 0
    async with store.engine.begin() as connection:
        # Explicit child deletes: SQLite connections without the foreign-key pragma would not cascade.
        await connection.execute(delete(handoffs).where(handoffs.c.conversation_id.in_(conversation_ids)))
        await connection.execute(delete(messages).where(messages.c.conversation_id.in_(conversation_ids)))
        await connection.execute(delete(meetings).where(meetings.c.conversation_id.in_(conversation_ids)))
        # A rating keeps its score for the analytics, and loses the link and the person's own words.
        await connection.execute(update(ratings).where(ratings.c.conversation_id.in_(conversation_ids))
                                 .values(conversation_id=None, comment=None))
        result = await connection.execute(delete(conversations).where(conversations.c.id.in_(conversation_ids)))
    if tracker is not None:
        await tracker.forget(conversation_ids)
    return int(result.rowcount or 0)


async def expired(store: Store, moment: dt.datetime) -> list[str]:
    """Ids of conversations past their municipality's retention period at this moment."""
    places = municipalities.load_all()
    shortest = min((m.retention_days for m in places.values()), default=90)
    conditions = [(conversations.c.municipality == mid) & (conversations.c.updated_at < moment
                                                          - dt.timedelta(days=m.retention_days))
                  for mid, m in places.items()]
    conditions.append(conversations.c.municipality.is_(None)
                      & (conversations.c.updated_at < moment - dt.timedelta(days=shortest)))
    upcoming = exists().where(meetings.c.conversation_id == conversations.c.id,
                              meetings.c.status == MeetingStatus.BOOKED, meetings.c.starts_at > moment)
    async with store.engine.connect() as connection:
        rows = (await connection.execute(select(conversations.c.id).where(or_(*conditions), ~upcoming))).all()
    return [row[0] for row in rows]


async def purge_sessions(store: Store, moment: dt.datetime) -> int:
    """Expired console sessions are of no use and name a host: deleted with the rest."""
    async with store.engine.begin() as connection:
        result = await connection.execute(delete(host_sessions).where(host_sessions.c.expires_at < moment))
    return int(result.rowcount or 0)


async def run(store: Store, tracker: TrackerEvents | None, moment: dt.datetime | None = None) -> int:
    """Delete what is past its retention period; how many conversations were deleted."""
    moment = moment or now()
    await purge_sessions(store, moment)
    return await forget(store, await expired(store, moment), tracker)
