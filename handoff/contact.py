"""Contact details a person types: a phone number or an e-mail address, found in free text.

Shared by the handoff intake and the meeting booking, which both ask for one and must accept it
the way people write it ("ring mig på 070-123 45 67", "my mail is anna@example.org, thanks").
"""

from __future__ import annotations

import phonenumbers

from base.definitions import MAX_MESSAGE_CHARS
from handoff.privacy import find


def find_phone(raw: str) -> str | None:
    """A phone number in the text, in E.164; Swedish numbers may be written without +46."""
    for match in phonenumbers.PhoneNumberMatcher(raw, "SE"):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def find_email(raw: str) -> str | None:
    """An e-mail address in the text, in any script (the masking recognises the same, so the contact
    a person gives for the handoff is the one kept visible for the host)."""
    return next((raw[span.start:span.end] for span in find(raw[:MAX_MESSAGE_CHARS]) if span.kind == "email"), None)
