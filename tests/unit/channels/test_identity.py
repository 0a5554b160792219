"""Conversation tokens: only a token this server issued names a conversation, and nothing close to one."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from channels.identity import ConversationTokens

SECRET = "a-secret-of-at-least-sixteen-characters"
TOKENS = ConversationTokens(SECRET)
KEY, TOKEN = TOKENS.issue()
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_an_issued_token_verifies_to_its_key() -> None:
    key, token = TOKENS.issue()
    assert TOKENS.verify(token) == key
    assert token.startswith(key + ".")
    # Another process with the same secret checks it without any shared state.
    assert ConversationTokens(SECRET).verify(token) == key


def test_keys_are_128_random_bits_and_never_repeat() -> None:
    keys = [TOKENS.issue()[0] for _ in range(2000)]
    assert len(set(keys)) == len(keys)
    for key in keys[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)
        assert len(base64.urlsafe_b64decode(key + "==")) == 16  # 22 urlsafe characters hold 128 bits
    # Every position varies: no fixed prefix or counter hides in the key.
    assert all(len({key[i] for key in keys}) > 16 for i in range(21))


def test_a_token_of_another_secret_is_refused() -> None:
    other = ConversationTokens("another-secret-of-sixteen-chars")
    _, token = other.issue()
    assert TOKENS.verify(token) is None
    assert other.verify(TOKEN) is None


def test_a_secret_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="too short"):
        ConversationTokens("short")


@pytest.mark.parametrize("forged", [
    KEY, KEY + ".", "." + TOKEN.split(".")[1], f"{KEY}.{'A' * 32}", f"{KEY}.{TOKEN.split('.')[1][:31]}",
    f"{KEY}.{TOKEN.split('.')[1][::-1]}", f"{KEY[::-1]}.{TOKEN.split('.')[1]}", TOKEN.upper(), TOKEN.lower(),
    TOKEN.replace(".", ":"), TOKEN.replace(".", ".."), f"{KEY}={TOKEN.split('.')[1]}", "", ".", "a" * 55,
    f"{'A' * 22}.{'A' * 32}",
], ids=["key", "key-dot", "signature", "zero-signature", "short-signature", "reversed-signature", "reversed-key",
        "upper", "lower", "colon", "two-dots", "equals", "empty", "dot", "no-dot", "all-a"])
def test_a_key_alone_or_with_a_forged_signature_is_refused(forged: str) -> None:
    assert TOKENS.verify(forged) is None


@pytest.mark.parametrize("extra", [" ", "x", ".", "=", "\x00", "\t", "\r", "\u00a0", "é", TOKEN],
                         ids=["space", "x", "dot", "equals", "nul", "tab", "cr", "nbsp", "e-acute", "token"])
def test_a_token_with_extra_characters_is_refused(extra: str) -> None:
    assert TOKENS.verify(TOKEN + extra) is None
    assert TOKENS.verify(extra + TOKEN) is None
    assert TOKENS.verify(TOKEN[:23] + extra + TOKEN[23:]) is None


def test_a_token_with_a_trailing_newline_is_refused() -> None:
    """Fixed: ConversationTokens.verify (channels/identity.py:20/42) anchors its pattern with "$", which also
    matches before a final "\\n", so TOKEN + "\\n" verifies to TOKEN's key (and the web channel then
    echoes the altered token back in session_confirm). Only the token's holder can do it, but a token
    with extra characters must not verify; use re.fullmatch or "\\Z"."""
    assert TOKENS.verify(TOKEN + "\n") is None


@pytest.mark.parametrize("value", [None, 0, 1, 3.5, True, b"", TOKEN.encode(), bytearray(TOKEN.encode()),
                                   [TOKEN], (TOKEN,), {TOKEN: TOKEN}, {"token": TOKEN}, object()],
                         ids=["none", "zero", "one", "float", "true", "empty-bytes", "bytes", "bytearray", "list",
                              "tuple", "dict", "object-with-token", "object"])
def test_anything_but_a_string_is_refused(value: Any) -> None:
    assert TOKENS.verify(value) is None


@pytest.mark.fuzz
@given(st.integers(0, len(TOKEN) - 1), st.sampled_from(URLSAFE) | st.characters(exclude_categories=()))
def test_a_token_with_any_one_character_changed_is_refused(at: int, other: str) -> None:
    assume(other != TOKEN[at])
    assert TOKENS.verify(TOKEN[:at] + other + TOKEN[at + 1:]) is None


@pytest.mark.fuzz
@given(st.integers(0, len(TOKEN)), st.text(st.characters(exclude_categories=()), min_size=1, max_size=4))
@example(len(TOKEN), "\n")
def test_a_token_with_any_characters_inserted_is_refused(at: int, extra: str) -> None:
    """Fixed: see test_a_token_with_a_trailing_newline_is_refused (TOKEN + "\\n" verifies)."""
    assert TOKENS.verify(TOKEN[:at] + extra + TOKEN[at:]) is None


@pytest.mark.fuzz
@given(st.text(st.characters(exclude_categories=()), max_size=80)
       | st.from_regex(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{32}", fullmatch=True))
def test_made_up_tokens_are_refused(made_up: str) -> None:
    assume(made_up != TOKEN)
    assert TOKENS.verify(made_up) is None
