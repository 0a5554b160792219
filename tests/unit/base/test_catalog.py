"""The text catalogs: plural forms chosen by each language's own rules."""

from __future__ import annotations

import pytest
from babel import Locale

from base.catalog import catalog, text
from base.definitions import LANGUAGES


def test_every_plural_text_has_every_form_its_language_needs() -> None:
    for language in LANGUAGES:
        needed = set(Locale.parse(language).plural_form.tags) | {"other"}
        for key, value in catalog(language).items():
            if isinstance(value, dict):
                assert set(value) == needed, f"{language}: {key} has {sorted(value)}, needs {sorted(needed)}"


@pytest.mark.parametrize(("language", "count", "expected"), [
    ("pl", 1, "około 1 minuty"), ("pl", 3, "około 3 minut"), ("pl", 5, "około 5 minut"),
    ("uk", 1, "близько 1 хвилини"), ("uk", 21, "близько 21 хвилини"), ("uk", 12, "близько 12 хвилин"),
    ("ar", 2, "دقيقتان"), ("ar", 3, "3 دقائق"), ("ar", 11, "11 دقيقة"),
    ("en", 1, "about 1 minute."), ("en", 4, "about 4 minutes."), ("sv", 1, "ungefär 1 minut."),
])
def test_a_count_picks_the_right_form(language: str, count: int, expected: str) -> None:
    assert expected in text(language, "handoff_wait", count=count)


def test_a_plural_text_without_a_count_is_an_error_not_a_wrong_sentence() -> None:
    with pytest.raises(KeyError, match="count"):
        text("pl", "handoff_wait")
