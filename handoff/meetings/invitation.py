"""The meeting's e-mails: an iCalendar invitation to the person and to the host, its updates
(another time, a cancellation) and the day-before reminder.

Calendar programs match an update to the invitation by its UID and take the one with the higher
SEQUENCE, so a moved or cancelled meeting replaces the entry instead of adding a second one. The
person's e-mail is in their language (base/locales), the host's in the hosts' (handoff/locales),
and the link in the person's e-mail lets them cancel or choose another time without the chat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

import municipalities
from base.catalog import text
from base.clock import now
from base.dates import when
from handoff.hosts import Host
from handoff.meetings.records import Meeting
from handoff.notify import SmtpSettings, send_mail
from handoff.texts import STORAGE_LANGUAGE, host_texts

logger = logging.getLogger(__name__)


class Kind(StrEnum):
    """Which e-mail: the first invitation, a new time, a cancellation, the reminder."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    REMINDER = "reminder"


def local(meeting: Meeting) -> dt.datetime:
    """The meeting's start in the municipality's time zone, where it is held."""
    return meeting.starts_at.astimezone(municipalities.load_all()[meeting.municipality].office_hours.zone)


def join_line(meeting: Meeting, host: Host, language: str) -> str:
    """How to join, in the person's language: the host's video link, or the host calls."""
    if host.meeting_link:
        return text(language, "meeting_join_video", link=host.meeting_link)
    return text(language, "meeting_join_call", host=host.first_name, phone=meeting.phone or "")


def calendar(meeting: Meeting, host: Host, sender: str, domain: str, summary: str, description: str,
             cancelled: bool) -> bytes:
    """The RFC 5545 invitation (METHOD:REQUEST) or its cancellation (METHOD:CANCEL)."""
    cal = Calendar()
    cal.add("prodid", "-//Newcomer assistant//meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{domain}")
    event.add("dtstamp", now())
    event.add("dtstart", meeting.starts_at.astimezone(dt.UTC))
    event.add("dtend", meeting.ends_at.astimezone(dt.UTC))
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", host.meeting_link or text(meeting.language, "meeting_location_phone"))
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(host.first_name)
    event["organizer"] = organizer
    for address in (meeting.email, host.email):
        if address:
            attendee = vCalAddress(f"mailto:{address}")
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    return cal.to_ical()


@dataclass(frozen=True)
class Mailer:
    """Sends the meeting's e-mails; without SMTP settings there is none and the chat says nothing of e-mail."""

    settings: SmtpSettings
    base_url: str

    def link(self, token: str) -> str:
        return f"{self.base_url}/meetings/{token}"

    def _message(self, to: str, subject: str, body: str, ics: bytes, cancelled: bool) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        method = "CANCEL" if cancelled else "REQUEST"
        message.add_attachment(ics, maintype="text", subtype="calendar", filename="meeting.ics",
                               params={"method": method})
        return message

    async def send(self, kind: Kind, meeting: Meeting, host: Host, token: str | None = None) -> None:
        """The e-mail of this kind to the person (in their language) and, except reminders, to the host."""
        place = municipalities.load_all()[meeting.municipality]
        lang = meeting.language
        moment = when(local(meeting), lang)
        cancelled = kind is Kind.CANCELLED
        values = {"host": host.first_name, "municipality_name": place.name, "when": moment,
                  "length": text(lang, "meeting_length", count=meeting.minutes), "join": join_line(meeting, host, lang),
                  "link": self.link(token) if token else ""}
        domain = urlsplit(self.base_url).hostname or "localhost"
        body = text(lang, f"meeting_mail_{kind}", **values)
        summary = text(lang, "meeting_mail_summary", **values)
        messages = []
        if meeting.email:
            ics = calendar(meeting, host, self.settings.sender, domain, summary, body, cancelled)
            messages.append(self._message(meeting.email, text(lang, f"meeting_mail_subject_{kind}", **values), body,
                                          ics, cancelled))
        if kind is not Kind.REMINDER:
            t = host_texts(STORAGE_LANGUAGE)
            host_values = {"when": when(local(meeting), STORAGE_LANGUAGE), "municipality": place.name,
                           "language": t[f"language_{meeting.language}"],
                           "email": meeting.email or "", "phone": meeting.phone or "-",
                           "topic": meeting.topic or "", "link": f"{self.base_url}/console/meetings"}
            host_body = t[f"mail_meeting_{kind}"].format(**host_values)
            host_summary = t["mail_meeting_summary"].format(**host_values)
            ics = calendar(meeting, host, self.settings.sender, domain, host_summary, host_body, cancelled)
            messages.append(self._message(host.email, t[f"mail_meeting_subject_{kind}"].format(**host_values),
                                          host_body, ics, cancelled))
        for message in messages:
            try:
                await asyncio.to_thread(send_mail, self.settings, message)
            except (OSError, ValueError) as exc:  # the chat has told the person already; the console lists it
                logger.warning("Could not e-mail meeting %s (%s): %s", meeting.id, kind, type(exc).__name__)
