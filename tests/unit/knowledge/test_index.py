"""The passage set of one FAQ index: which texts of an entry are embedded."""

from __future__ import annotations

from knowledge.search import index as faq_index


def test_answer_sentences_skip_fragments() -> None:
    text = "Ja. Du får ett personnummer när Skatteverket folkbokför dig! Boka tid: ring 1177 om du är sjuk."
    assert faq_index.answer_sentences(text) == [
        "Du får ett personnummer när Skatteverket folkbokför dig!",
        "ring 1177 om du är sjuk.",
    ]
