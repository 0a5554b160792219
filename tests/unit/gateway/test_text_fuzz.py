"""What a person types, before anyone reads it: clean_text never raises and leaves no control or
format character, nothing over the stored limit, nothing it would change again; and no typed text
reaches Rasa as an intent other than the few payloads buttons and commands may send."""

from __future__ import annotations

import json
import operator
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from base.definitions import MAX_STORED_CHARS
from gateway.text import MAX_CHARS, PAYLOAD_INTENTS, clean_text, is_empty, to_rasa_text

#: Any character: every Unicode category, lone surrogates included (JSON "\ud800" decodes to one).
any_char = st.characters(exclude_categories=())
#: Pieces of commands and payloads, the characters that separate them and the ones that hide them.
pieces = st.sampled_from([
    "/", "//", " ", "\t", "\n", "\r", "\u00a0", "\u2028", "\u3000", "\x00", "\x1b", "\x85", "\u200b", "\u200d",
    "\u202e", "\ufeff", "\u0301", "e", "greet", "restart", "delete_conversation", "ask_human", "emergency",
    "choose_municipality", "change_language", "lang", "language", "språk", "sprak", "LANG", "ſprak", "pl", "sv-SE",
    "K", "@0.99", "{", "}", "{}", '{"municipality": "boden"}', '{"language": "pl"}', '{"a": [1, {"b": null}]}',
    '"', ":", ",", "NaN", "[1]", "x",
])
commandish = st.lists(st.one_of(pieces, st.text(any_char, max_size=3)), max_size=12).map("".join)
#: Text around the stored limit, where truncation meets stripping.
near_limit = st.builds(lambda fill, at, tail: "a" * fill + at + tail, st.integers(MAX_STORED_CHARS - 3,
                                                                                   MAX_STORED_CHARS + 1),
                       st.sampled_from([" ", "\n", "\t", "\u3000", "\x00", "é", "e\u0301"]), st.text(any_char,
                                                                                                    max_size=5))
huge = st.builds(operator.mul, st.text(any_char, min_size=1, max_size=3), st.integers(1_000, 20_000))
texts = st.one_of(st.text(any_char), commandish, near_limit, huge)

ALLOWED_IN_OUTPUT = {"\n", "\t", "\u200d"}
_ALLOWED_PAYLOAD = re.compile(r"/(" + "|".join(map(re.escape, PAYLOAD_INTENTS)) + r")(\{.*\})?", re.DOTALL)


@pytest.mark.fuzz
@given(texts)
def test_clean_text_leaves_no_control_or_format_characters(raw: str) -> None:
    cleaned = clean_text(raw)
    assert isinstance(cleaned, str)
    assert len(cleaned) <= MAX_STORED_CHARS
    assert all(ch in ALLOWED_IN_OUTPUT or unicodedata.category(ch)[0] != "C" for ch in cleaned)
    assert isinstance(is_empty(cleaned), bool)


@pytest.mark.fuzz
@given(texts)
@example("a" * (MAX_STORED_CHARS - 1) + " b")
def test_clean_text_is_stripped(raw: str) -> None:
    """Fixed: clean_text (gateway/text.py:36) strips before it truncates, so text whose
    MAX_STORED_CHARS-th character is whitespace comes out with trailing whitespace:
    "a" * 4095 + " b" → "a" * 4095 + " "."""
    cleaned = clean_text(raw)
    assert cleaned == cleaned.strip()


@pytest.mark.fuzz
@given(texts)
@example("e\x00\u0301")
@example("Lule\u200ba\u030a")
def test_clean_text_is_idempotent(raw: str) -> None:
    """Fixed: clean_text (gateway/text.py:31-36) normalises to NFC before it drops control and format
    characters, so dropping one can leave a sequence that is not NFC and a second pass changes it:
    "e\\x00\\u0301" → "e\\u0301" → "é" (and "Lule\\u200ba\\u030a" → "Lulea\\u030a" → "Luleå"). The stored
    text is then not in normal form, and the trailing-whitespace truncation above breaks it too."""
    once = clean_text(raw)
    assert clean_text(once) == once


@pytest.mark.fuzz
@given(st.one_of(texts, commandish.map(lambda text: "/" + text)))
@example("/ /delete_conversation")
@example("/\t/ask_human")
@example('/\u3000/emergency{"municipality": "lulea"}')
def test_typed_text_reaches_rasa_only_as_an_allowed_payload(raw: str) -> None:
    """Fixed: to_rasa_text (gateway/text.py:59) strips whitespace *after* removing the leading slashes, so
    "/ /delete_conversation" becomes "/delete_conversation" and Rasa runs that intent (any intent, with any
    entities: "/ /ask_human", "/\\t/emergency", "/ /affirm"…): typing can trigger intents no button offers."""
    sent = to_rasa_text(clean_text(raw))
    assert isinstance(sent, str)
    rasa_reads = sent.strip()  # Rasa strips the text before it looks for "/intent{entities}"
    if not rasa_reads.startswith("/") or set(rasa_reads) == {"/"}:
        return  # plain text; slashes alone name no intent (Rasa's pattern needs a name after the "/")
    payload = _ALLOWED_PAYLOAD.fullmatch(rasa_reads)
    assert payload is not None, f"{raw!r} reaches Rasa as {sent!r}"
    assert sent == rasa_reads
    if payload.group(2):
        assert isinstance(json.loads(payload.group(2)), dict)


entities = st.dictionaries(st.sampled_from(["municipality", "language"]),
                           st.one_of(st.text(any_char.filter(lambda ch: unicodedata.category(ch) != "Cs")),
                                     st.integers()), max_size=2)


@pytest.mark.fuzz
@given(st.sampled_from(PAYLOAD_INTENTS), st.none() | entities)
def test_button_payloads_pass_unchanged(intent: str, values: dict | None) -> None:
    payload = f"/{intent}" + (json.dumps(values) if values is not None else "")
    assert to_rasa_text(clean_text(payload)) == payload


@pytest.mark.parametrize(("typed", "sent"), [
    ("/lang", "/change_language"),
    ("/lang pl", '/change_language{"language": "pl"}'),
    ("/språk SV-se", '/change_language{"language": "sv"}'),
    ("/language uk_UA", '/change_language{"language": "uk"}'),
    ("/restart", "restart"),
    ("/greet@0.99", "greet@0.99"),
    ('/greet{"a": 1} trailing', 'greet{"a": 1} trailing'),
    ("/greet{not json}", "greet{not json}"),
    ("//", ""),  # nothing left to send (the gateway answers such a message itself: it is empty)
])
def test_commands_and_lookalikes(typed: str, sent: str) -> None:
    assert to_rasa_text(clean_text(typed)) == sent


def test_limits() -> None:
    assert MAX_CHARS <= MAX_STORED_CHARS
    assert len(clean_text("x" * (MAX_STORED_CHARS * 10))) == MAX_STORED_CHARS
    assert clean_text("\u202ehej\x1b[2J\u200b") == "hej[2J"
    assert clean_text("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"
    assert is_empty(clean_text("\u200b\x00 \n")) and not is_empty("🙂")
