"""E-mail to a municipality's hosts when a conversation starts waiting or a ticket is created.

Consumes the same events as the console websocket. Sent with the standard library's SMTP client
in a worker thread; configured by SMTP_HOST (unset: no e-mail), SMTP_PORT, SMTP_FROM,
SMTP_USER/SMTP_PASSWORD and SMTP_STARTTLS. The text is in the hosts' language, identifiers in the
person's words are masked, and the link opens the conversation in the console.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import municipalities
from base.workers import off_loop
from handoff.events import EventKind, Events
from handoff.hosts import HostStore
from handoff.privacy import labels, mask
from handoff.records import HandoffStore
from handoff.texts import STORAGE_LANGUAGE, host_texts
from storage.rates import RateLimits

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "no-reply@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False


def send_mail(settings: SmtpSettings, message: EmailMessage) -> None:
    """One e-mail through the configured server (blocking: call it in a worker thread)."""
    with smtplib.SMTP(settings.host, settings.port, timeout=15) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user and settings.password:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message)


class Notifier:
    def __init__(self, settings: SmtpSettings, events: Events, handoffs: HandoffStore, host_store: HostStore,
                 console_url: str, rates: RateLimits) -> None:
        self.rates = rates
        self.settings = settings
        self.handoffs = handoffs
        self.hosts = host_store
        self.console_url = console_url.rstrip("/")
        self.queue = events.subscribe(None, local=True)  # e-mail each event once: where it happened

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            if event.kind not in (EventKind.WAITING, EventKind.TICKET):
                continue
            try:
                await self.notify(event.handoff_id, event.kind)
            except Exception as exc:  # one failed e-mail must not stop the next ones
                logger.warning("Could not e-mail the hosts about handoff %s: %s", event.handoff_id,
                               type(exc).__name__)

    async def notify(self, handoff_id: int, kind: EventKind) -> None:
        """E-mail the municipality's hosts that a conversation started waiting or became a ticket.

        The subject follows the event, not the handoff's status now: a host may have claimed the
        conversation before this e-mail goes out.
        """
        handoff = await self.handoffs.get(handoff_id)
        if handoff is None:
            return
        addresses = await self.hosts.addresses(handoff.municipality)
        if not addresses:
            return
        if not (await self.rates.hit("municipality_mail", handoff.municipality)).allowed:
            # A flood of requests must not flood the hosts' inboxes; the console still lists them all.
            logger.warning("E-mail limit reached for %s; handoff %s is in the console only", handoff.municipality,
                           handoff.id)
            return
        t = host_texts(STORAGE_LANGUAGE)
        place = municipalities.load_all()[handoff.municipality]
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(addresses)
        message["Subject"] = t[f"mail_subject_{kind}"].format(municipality=place.name)
        need = await off_loop(mask, handoff.need or "", labels(STORAGE_LANGUAGE),
                                       (handoff.contact_value or "",))
        message.set_content(t["mail_body"].format(
            reason=t[f"reason_{handoff.reason}"], language=handoff.language, channel=handoff.channel, need=need,
            link=f"{self.console_url}/console/handoffs/{handoff.id}"))
        await asyncio.to_thread(send_mail, self.settings, message)
