"""The console's texts and how it shows what the person pressed."""

from __future__ import annotations

from handoff.texts import host_texts


def test_console_catalogs_are_complete_in_swedish_and_english() -> None:
    assert set(host_texts("sv")) == set(host_texts("en"))
