"""Console events: each subscriber gets only its municipalities' events (an admin all), an unsubscribed
console gets nothing, a console that stopped reading loses its oldest events, and the wire format
console.js reads."""

from __future__ import annotations

import asyncio
import json

from handoff.events import Event, EventKind, Events


def _drain(queue: asyncio.Queue[Event]) -> list[Event]:
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found


def test_a_hosts_console_gets_its_municipalitys_events_and_an_admins_gets_all() -> None:
    boden = Event(EventKind.WAITING, "boden", 1, "web:a")
    jokkmokk = Event(EventKind.TICKET, "jokkmokk", 2)

    async def main() -> tuple[list[Event], list[Event], list[Event]]:
        events = Events()
        host, two_places, admin = events.subscribe({"boden"}), events.subscribe({"boden", "lulea"}), \
            events.subscribe(None)
        await events.publish(boden)
        await events.publish(jokkmokk)
        return _drain(host), _drain(two_places), _drain(admin)

    host, two_places, admin = asyncio.run(main())
    assert host == [boden]
    assert two_places == [boden]
    assert admin == [boden, jokkmokk]


def test_an_unsubscribed_console_gets_nothing_and_the_others_still_do() -> None:
    async def main() -> tuple[list[Event], list[Event]]:
        events = Events()
        gone, staying = events.subscribe({"boden"}), events.subscribe({"boden"})
        events.unsubscribe(gone)
        await events.publish(Event(EventKind.MESSAGE, "boden", 7, "web:b"))
        return _drain(gone), _drain(staying)

    gone, staying = asyncio.run(main())
    assert gone == []
    assert [e.handoff_id for e in staying] == [7]


def test_a_full_queue_drops_its_oldest_event_and_keeps_the_newest() -> None:
    async def main() -> tuple[int, list[int]]:
        events = Events()
        stalled = events.subscribe(None)
        for handoff_id in range(stalled.maxsize + 2):
            await events.publish(Event(EventKind.MESSAGE, "boden", handoff_id))
        return stalled.maxsize, [e.handoff_id for e in _drain(stalled)]

    size, kept = asyncio.run(main())
    assert size == 1000
    assert kept == list(range(2, size + 2))


def test_a_full_queue_does_not_hold_up_the_other_consoles() -> None:
    async def main() -> list[int]:
        events = Events()
        stalled, reading = events.subscribe(None), events.subscribe({"lulea"})
        for handoff_id in range(stalled.maxsize + 1):
            await events.publish(Event(EventKind.WAITING, "boden", handoff_id))
        await events.publish(Event(EventKind.WAITING, "lulea", -1))
        assert stalled.full()
        return [e.handoff_id for e in _drain(reading)]

    assert asyncio.run(main()) == [-1]


def test_the_wire_format_has_type_handoff_id_and_municipality() -> None:
    def sent(event: Event) -> dict:
        return json.loads(json.dumps(event.to_wire()))  # what the websocket carries

    assert sent(Event(EventKind.CLAIMED, "boden", 12)) == {"type": "claimed", "handoff_id": 12, "municipality": "boden"}
    assert sent(Event(EventKind.MESSAGE, "lulea", 3, "telegram:9")) == {
        "type": "message", "handoff_id": 3, "municipality": "lulea", "conversation_id": "telegram:9"}
