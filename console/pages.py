"""How the console renders: Jinja2 templates (autoescaped) in the host's language, with a strict CSP.

Identifiers in what the person wrote are masked for hosts (handoff.privacy), except the contact
details given for this very handoff; the person's pressed buttons read as their labels.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from base.catalog import plural_form, text
from base.clock import now
from handoff.desk import Offer
from handoff.hosts import Host
from handoff.intake import CANCEL, NO, PAYLOAD, YES
from handoff.privacy import labels, mask
from handoff.records import ContactMethod, Handoff
from handoff.texts import HOST_LANGUAGES, host_texts
from storage.store import aware

#: The cookie that keeps a host's choice of console language.
LANGUAGE_COOKIE = "console_lang"
#: The intake's button payloads, and the catalog text of the button the person pressed.
_BUTTONS = {**{f"{PAYLOAD}{m}": f"handoff_method_{m}" for m in ContactMethod},
            CANCEL: "handoff_cancel", YES: "handoff_yes", NO: "handoff_no"}


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def host_language(request: Request) -> str:
    wanted = request.cookies.get(LANGUAGE_COOKIE, HOST_LANGUAGES[0])
    return wanted if wanted in HOST_LANGUAGES else HOST_LANGUAGES[0]


def counted(texts: dict[str, Any], language: str, key: str, n: int) -> str:
    """A host text that counts: its CLDR plural form for n ("1 kommun", "2 kommuner")."""
    forms = texts[key]
    return (plural_form(forms, language, n) if isinstance(forms, dict) else str(forms)).format(n=n)


def page(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    language = host_language(request)
    texts = host_texts(language)
    html = _templates().get_template(template).render(
        t=texts, lang=language, count=lambda key, n: counted(texts, language, key, n), **values)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def masker(language: str, handoff: Handoff) -> Callable[[str | None], str]:
    """Masks identifiers in what a host sees, except the contact details given for this handoff."""
    keep = (handoff.contact_value or "",)
    return lambda raw: mask(raw or "", labels(language), keep)


def minutes_since(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    return int((now() - aware(moment)).total_seconds() // 60)


def button_label(raw: str | None, language: str) -> str:
    """A pressed button as the host would read it: "[Here in the chat]" rather than its payload."""
    if raw in _BUTTONS:
        return f"[{text(language, _BUTTONS[raw])}]"
    return raw or ""


def offered_first(host: Host, waiting: list[Handoff], offers: Mapping[int, Offer]) -> list[Handoff]:
    """The queue as this host sees it: conversations offered to them first (they speak the person's
    language) at the top, each part in its own order."""
    return sorted(waiting, key=lambda h: not offers[h.id].for_host(host, h.language))


#: The longest a queue page stays as drawn while someone waits: its "minutes waiting" count by the minute.
QUEUE_REFRESH = 60


def refresh_in(offers: Mapping[int, Offer], moment: dt.datetime) -> int | None:
    """Seconds until the queue page would look different without any event: an offer-first window
    closes (the conversation becomes everyone's to claim) or a minute passes; None with nobody waiting
    (``offers`` holds one offer per waiting conversation).

    The console's websocket only announces changes someone made; these two come from the clock.
    """
    if not offers:
        return None
    ends = [offer.until for offer in offers.values() if offer.until is not None]
    return min([QUEUE_REFRESH] + [max(1, math.ceil((end - moment).total_seconds())) for end in ends])
