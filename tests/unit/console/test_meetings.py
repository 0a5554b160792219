"""The host's meetings page and the person's e-mail link page, through the assembled app (not started)
on SQLite and PostgreSQL: hours are published and checked, a booked meeting is listed and can be
cancelled by its own host only (the person is told in their language), and the link in the e-mail
shows the meeting in the person's language, moves it and cancels it."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import httpx
from sqlalchemy import delete

from base.catalog import text
from base.clock import now
from handoff.hosts import Host, HostStore
from handoff.meetings.availability import Availability
from handoff.meetings.flow import START, Booking, token_hash
from handoff.meetings.records import MeetingStatus, MeetingStore
from handoff.roles import Role
from handoff.texts import host_texts
from storage.schema import meeting_hours
from storage.store import Store
from tests.unit.console.test_profile import PASSWORD, Console, _run

SV = host_texts("sv")


async def _hours(console: Console, host: Host) -> None:
    """Weekday hours for this host alone (the session's PostgreSQL keeps earlier tests' hosts)."""
    async with console.store.engine.begin() as connection:
        await connection.execute(delete(meeting_hours))
    csrf = await console.log_in(host)
    for weekday in range(5):
        for start in ("10:00", "14:00"):
            reply = await console.client.post("/console/meetings/hours", data={
                "csrf": csrf, "weekday": str(weekday), "start": start, "minutes": "45"})
            assert reply.status_code == 303, reply.text


async def _booked(store: Store, host: Host, language: str = "pl") -> tuple[int, str]:
    """A meeting booked through the chat's flow, and the secret of its e-mail link."""
    booking = Booking(MeetingStore(store), Availability(store), HostStore(store))
    conversation_id = f"test:{uuid.uuid4().hex}"
    await store.record_inbound(conversation_id, "test", "u", "boden", "hej", None)
    offer = await booking.step(conversation_id, "boden", language, START)
    await booking.step(conversation_id, "boden", language, offer[0].buttons[0].payload)
    await booking.step(conversation_id, "boden", language, "ola@example.com")
    await booking.step(conversation_id, "boden", language, "070-123 45 67")  # no video link: the host calls
    await booking.step(conversation_id, "boden", language, "Mieszkanie i szkoła")
    meeting = (await booking.meetings.upcoming(conversation_id=conversation_id, since=now()))[0]
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    await booking.meetings.change(meeting.id, token_hash=token_hash(secret))
    return meeting.id, secret


def test_a_host_publishes_hours_and_sees_the_times_the_chat_offers(database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> tuple[str, httpx.Response, httpx.Response]:
        host = await console.host(f"Sara{uuid.uuid4().hex[:4]}")
        await _hours(console, host)
        page = (await console.client.get("/console/meetings")).text
        csrf = await console.log_in(host)
        wrong = await console.client.post("/console/meetings/hours", data={
            "csrf": csrf, "weekday": "1", "start": "25:99", "minutes": "45"})
        forged = await console.client.post("/console/meetings/hours", data={
            "csrf": "not-the-token", "weekday": "1", "start": "09:00", "minutes": "45"})
        return page, wrong, forged

    page, wrong, forged = _run(database_url, tmp_path, body)
    assert page.count('action="/console/meetings/hours/') == 10  # ten weekly times, each removable
    assert SV["weekday_0"] in page and '<ul id="free">' in page
    assert wrong.status_code == 422 and SV["meetings_bad_time"] in wrong.text
    assert forged.status_code == 403


def test_editors_hold_no_meetings(database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> int:
        editor = await console.hosts.add(f"e-{uuid.uuid4().hex[:6]}@boden.example", "Eva", PASSWORD, "boden",
                                         role=Role.EDITOR)
        await console.log_in(editor)
        return (await console.client.get("/console/meetings")).status_code

    assert _run(database_url, tmp_path, body) == 404


def test_the_host_sees_a_booking_and_cancels_it_and_the_person_is_told_in_polish(
        database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> tuple[str, int, int, MeetingStatus, str]:
        sara = await console.host(f"Sara{uuid.uuid4().hex[:4]}")
        await _hours(console, sara)
        meeting_id, _ = await _booked(console.store, sara)
        page = (await console.client.get("/console/meetings")).text
        olle = await console.host(f"Olle{uuid.uuid4().hex[:4]}")
        csrf = await console.log_in(olle)
        not_his = (await console.client.post(f"/console/meetings/{meeting_id}/cancel", data={"csrf": csrf}))
        csrf = await console.log_in(sara)
        cancelled = await console.client.post(f"/console/meetings/{meeting_id}/cancel", data={"csrf": csrf})
        meeting = await MeetingStore(console.store).get(meeting_id)
        told = (await console.store.last_sent(meeting.conversation_id)).message
        return page, not_his.status_code, cancelled.status_code, meeting.status, told.text

    page, not_his, cancelled, status, told = _run(database_url, tmp_path, body)
    assert "ola@example.com" in page and "Mieszkanie i szkoła" in page and SV["language_pl"] in page
    assert not_his == 404 and cancelled == 303 and status == MeetingStatus.CANCELLED
    assert told.startswith("Niestety")


def test_the_email_link_shows_moves_and_cancels_the_meeting_in_the_persons_language(
        database_url: str, tmp_path: Path) -> None:
    async def body(console: Console) -> dict[str, object]:
        sara = await console.host(f"Sara{uuid.uuid4().hex[:4]}")
        await _hours(console, sara)
        meeting_id, secret = await _booked(console.store, sara)
        meetings = MeetingStore(console.store)
        before = await meetings.get(meeting_id)
        page = await console.client.get(f"/meetings/{secret}")
        slot = page.text.split('name="slot" value="')[1].split('"')[0]
        moved = await console.client.post(f"/meetings/{secret}/move", data={"slot": slot})
        after = await meetings.get(meeting_id)
        bad = await console.client.post(f"/meetings/{secret}/move", data={"slot": "<script>"})
        cancel = await console.client.post(f"/meetings/{secret}/cancel")
        gone = await console.client.get(f"/meetings/{secret}?notice=cancelled")
        return {"page": page, "moved": moved, "before": before.starts_at, "after": after.starts_at,
                "bad": bad, "cancel": cancel, "gone": gone, "status": (await meetings.get(meeting_id)).status,
                "unknown": (await console.client.get("/meetings/" + "x" * 40)).status_code,
                "slot": slot}

    seen = _run(database_url, tmp_path, body)
    page = seen["page"]
    assert page.status_code == 200 and 'lang="pl"' in page.text and text("pl", "meeting_page_title") in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert seen["moved"].status_code == 303 and seen["moved"].headers["location"].endswith("notice=moved")
    assert seen["after"] != seen["before"]
    assert seen["after"] == dt.datetime.strptime(seen["slot"], "%Y%m%dT%H%MZ").replace(tzinfo=dt.UTC)
    assert seen["bad"].status_code == 422 and "<script>" not in seen["bad"].text
    assert seen["cancel"].status_code == 303 and seen["status"] == MeetingStatus.CANCELLED
    assert text("pl", "meeting_page_cancelled") in seen["gone"].text
    assert seen["unknown"] == 404
