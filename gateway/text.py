"""What the gateway does to a person's raw text before anyone reads it.

Control characters are dropped (a terminal escape or a zero-width character must not reach the
NLU or a host's screen), typed commands (``/lang pl``) become Rasa payloads, and anything else that
merely starts with "/" is sent as text, so nobody can trigger an intent Rasa's buttons do not offer.
"""

from __future__ import annotations

import json
import re
import unicodedata

from assistant.language import normalise_code
from base.definitions import MAX_MESSAGE_CHARS, MAX_STORED_CHARS

#: Longer messages are not questions a FAQ can answer; the person is asked to shorten them.
MAX_CHARS = MAX_MESSAGE_CHARS
#: Button payloads the gateway lets through to Rasa; any other leading "/" is plain text.
PAYLOAD_INTENTS = ("choose_municipality", "change_language", "greet")
_PAYLOAD = re.compile(r"^/(" + "|".join(PAYLOAD_INTENTS) + r")(\{.*\})?$", re.DOTALL)
#: Slashes and spaces before the text: "/ /ask_human" must not become a payload once stripped.
_LEADING = re.compile(r"^[\s/]+")
_LANG_COMMAND = re.compile(r"^/(?:lang|language|språk|sprak)(?:\s+([A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?))?\s*$", re.I)


def clean_text(raw: str) -> str:
    """Drop control and format characters (keeping line breaks), trim whitespace, and cap the length.

    Whatever the channel let through, nothing longer than MAX_STORED_CHARS is stored or processed
    (the person is asked to shorten anything over MAX_CHARS anyway). Characters are dropped before
    the text is composed (NFC), so cleaning twice gives the same text.
    """
    kept = "".join(ch for ch in raw[: MAX_STORED_CHARS * 4]
                   if ch in "\n\t" or unicodedata.category(ch)[0] != "C" or ch == "\u200d")
    return unicodedata.normalize("NFC", kept).strip()[:MAX_STORED_CHARS].rstrip()


def is_empty(cleaned: str) -> bool:
    """Nothing a person could mean: no letter, digit or symbol (emoji count as meaning)."""
    return not any(ch.isalnum() or unicodedata.category(ch).startswith("S") for ch in cleaned)


def to_rasa_text(cleaned: str) -> str:
    """Typed commands become payloads; anything else that starts with '/' is sent as text."""
    command = _LANG_COMMAND.match(cleaned)
    if command:
        if command.group(1) is None:  # "/lang" alone: the bot offers the languages as buttons
            return "/change_language"
        code = normalise_code(command.group(1))
        return "/change_language" + json.dumps({"language": code})
    payload = _PAYLOAD.match(cleaned)
    if payload:
        try:
            json.loads(payload.group(2) or "{}")
            return cleaned
        except json.JSONDecodeError:
            pass
    return _LEADING.sub("", cleaned)
