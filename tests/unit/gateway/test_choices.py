"""A typed reply to a list of buttons: its number or a piece of one title picks it; anything else does not."""

from __future__ import annotations

import pytest

from base.messages import Button
from gateway.choices import picked

CHOICES = (
    Button("How much does preschool cost in Luleå?", "How much does preschool cost in Luleå?"),
    Button("How do I apply for a preschool place?", "How do I apply for a preschool place?"),
    Button("How many hours a week is preschool free?", "How many hours a week is preschool free?"),
)


@pytest.mark.parametrize(("typed", "position"), [
    ("2", 1), (" 3. ", 2), ("1)", 0), ("nr 2", 1), ("#3", 2),  # the number of a choice
    ("preschool cost", 0), ("PRESCHOOL PLACE", 1), ("hours a week", 2), ("apply for a preschool place?", 1),
    ("How much does preschool cost in Lulea", 0),  # the whole title, without its accent
])
def test_a_number_or_a_piece_of_one_title_picks_that_button(typed: str, position: int) -> None:
    assert picked(typed, CHOICES) == CHOICES[position]


@pytest.mark.parametrize("typed", [
    "4", "0", "12",  # no such choice
    "preschool",  # in every title: which one is meant is not clear
    "how",  # too short a piece to mean anything
    "Is there a swimming pool in Luleå?",  # a new question
    "preschool costs too much for us",  # words of a title, but a sentence of its own
])
def test_anything_else_is_a_new_message(typed: str) -> None:
    assert picked(typed, CHOICES) is None


def test_without_buttons_nothing_is_picked() -> None:
    assert picked("1", ()) is None
