"""An emergency is heard in every language, whatever the NLU makes of it; a neighbouring question is not one."""

from __future__ import annotations

import pytest

from assistant.emergency import sounds_like_emergency


@pytest.mark.parametrize("text", [
    "My husband collapsed in the kitchen and he is not breathing!",
    "there is a house on fire next door",
    "Min pappa är medvetslös på golvet",
    "Isä sai sydänkohtauksen, mitä teen?",
    "Mój syn stracił przytomność, co robić?",
    "Mein Kind atmet nicht mehr!",
    "Мій чоловік непритомний",
    "ابني لا يتنفس",
    "Mi madre se ha desmayado y no responde",
])
def test_an_emergency_is_heard(text: str) -> None:
    assert sounds_like_emergency(text)


@pytest.mark.parametrize("text", [
    "Is there a fire station in Kiruna?", "Can I buy a fishing knife?", "How much does preschool cost?",
    "Hur fungerar brandlarm i hyresrätter?", "Gibt es in Boden eine Feuerwehr?",
])
def test_a_question_on_a_neighbouring_subject_is_not_an_emergency(text: str) -> None:
    assert not sounds_like_emergency(text)
