"""The console's texts and how it shows what the person pressed."""

from __future__ import annotations

from handoff.texts import host_texts


def test_console_catalogs_are_complete_in_swedish_and_english() -> None:
    assert set(host_texts("sv")) == set(host_texts("en"))


def test_counted_texts_take_the_plural_form_of_their_language() -> None:
    from console.pages import counted

    sv, en = host_texts("sv"), host_texts("en")
    assert [counted(sv, "sv", "gaps_in_municipalities", n) for n in (1, 2)] == ["1 kommun", "2 kommuner"]
    assert [counted(en, "en", "analytics_of_chats", n) for n in (1, 0)] == ["of 1 claimed chat", "of 0 claimed chats"]
