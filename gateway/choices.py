"""A typed answer to a list of buttons: "2", or a piece of one button's title.

Buttons are not always pressed. On WhatsApp a person often types the number of a choice, on a
phone keyboard they type "preschool fees" instead of scrolling back to the list, and some
channels show buttons as a numbered text list. When the last message sent to the person offered
choices (a close call of the FAQ, "which municipality?", "which language?"), such a reply is
taken as pressing that button, on every channel alike; anything else is a new message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from base.messages import Button
from municipalities import fold

#: The bot messages whose buttons a typed reply may pick (others, like "delete everything?", must be pressed).
PICKABLE = frozenset({"utter_faq_choices", "utter_ask_municipality", "utter_ask_language", "meeting_choose",
                      "meeting_taken"})
#: A piece of a title shorter than this picks nothing ("a", "in" would match almost any title).
MIN_PIECE = 4
_NUMBER = re.compile(r"^\s*(?:nr\.?|no\.?|#)?\s*(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def _words(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


def picked(text: str, buttons: Sequence[Button]) -> Button | None:
    """The button this typed reply means, or None when it means none of them (or more than one)."""
    if not buttons:
        return None
    number = _NUMBER.match(text)
    if number:
        position = int(number.group(1))
        return buttons[position - 1] if 1 <= position <= len(buttons) else None
    piece = _words(text)
    if len(piece) < MIN_PIECE:
        return None
    exact = [button for button in buttons if _words(button.title) == piece]
    if exact:
        return exact[0]
    containing = [button for button in buttons if f" {piece} " in f" {_words(button.title)} "]
    return containing[0] if len(containing) == 1 else None
