"""A keyboard mash is told apart from a question, in every language, by the words it uses."""

from __future__ import annotations

import pytest

from assistant.vocabulary import gibberish


@pytest.mark.parametrize("text", ["xqzv blorf wuggle?", "qqqq ppppz", "zkrtw!!"])
def test_a_message_of_unknown_words_is_gibberish(text: str) -> None:
    assert gibberish(text)


@pytest.mark.parametrize("text", [
    "Is it expensive?", "A czy to drogie?", "Onko se kallista?", "Чи це дорого?", "هل هو مكلف؟",
    "Luleå", "xqzv in Boden?",  # one known word is enough
    "12345", "?",  # nothing to judge: not gibberish
])
def test_a_message_with_a_known_word_is_not(text: str) -> None:
    assert not gibberish(text)
