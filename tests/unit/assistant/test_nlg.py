"""The NLG endpoint's rendering: language, notices, sources and metadata."""

import datetime as dt

import pytest

import municipalities
from assistant import nlg
from base.catalog import catalog, text
from base.definitions import LANGUAGES
from knowledge.content.entries import FaqEntry

LOCAL = FaqEntry(
    id="boden.housing.test",
    topic="housing",
    questions={"sv": ["Hyra i Boden?", "Bostadskö?"], "en": ["Rent in Boden?", "Housing queue?"],
               **{lang: [f"Question ({lang})?"] for lang in LANGUAGES if lang not in ("sv", "en")}},
    answer={"sv": "Svenskt svar.", "en": "English answer.",
            **{lang: f"Answer ({lang})." for lang in LANGUAGES if lang not in ("sv", "en")}},
    sources=["https://bodenbo.se/?p=7937"],
    verified=dt.date(2026, 11, 23),
    time_sensitive=True,
    layer="boden",
)


@pytest.fixture
def local_entry(monkeypatch: pytest.MonkeyPatch) -> FaqEntry:
    monkeypatch.setattr(nlg, "entry_by_id", lambda faq_id: LOCAL if faq_id == LOCAL.id else None)
    return LOCAL


def test_every_catalog_has_every_key_and_placeholder() -> None:
    keys = set(catalog("en"))
    for language in LANGUAGES:
        assert set(catalog(language)) == keys, language


def test_answer_carries_metadata_sources_and_time_notice(local_entry: FaqEntry) -> None:
    message = nlg.render("utter_faq_answer", {"faq_id": LOCAL.id, "municipality": "boden", "score": 0.91,
                                              "language": "sv"}, {}).to_wire()
    assert message["text"].startswith("Svenskt svar.")
    assert text("sv", "faq_time_sensitive") in message["text"]
    assert message["text"].endswith(text("sv", "faq_source", sources="https://bodenbo.se/?p=7937"))
    assert message["custom"] == {
        "response": "utter_faq_answer", "faq_id": LOCAL.id, "topic": "housing", "municipality": "boden",
        "language": "sv", "score": 0.91, "sources": ["https://bodenbo.se/?p=7937"],
        "time_sensitive": True, "verified": "2026-11-23",
    }


def test_the_answer_is_in_the_persons_language(local_entry) -> None:
    message = nlg.render("utter_faq_answer", {"faq_id": LOCAL.id, "municipality": "boden"},
                         {"slots": {"language": "pl"}}).to_wire()
    assert message["text"].startswith("Answer (pl).") and message["custom"]["language"] == "pl"


def test_answer_from_another_municipality_says_which(local_entry) -> None:
    message = nlg.render("utter_faq_answer", {"faq_id": LOCAL.id, "municipality": "boden",
                                              "other_municipality": True, "language": "en"}, {}).to_wire()
    assert message["text"].startswith(text("en", "faq_other_municipality", municipality_name="Boden"))


def test_argument_language_wins_over_the_slot_set_in_the_same_turn() -> None:
    message = nlg.render("utter_welcome", {"language": "de", "municipality": "lulea"},
                         {"slots": {"language": "sv", "municipality": "boden"}}).to_wire()
    assert message["text"] == text("de", "utter_welcome", municipality_name="Luleå")


def test_close_call_buttons_use_the_questions_in_the_persons_language(local_entry) -> None:
    message = nlg.render("utter_faq_choices", {"faq_ids": [LOCAL.id], "language": "sv"}, {}).to_wire()
    assert message["buttons"] == [{"title": "Hyra i Boden?", "payload": "Hyra i Boden?"}]


def test_municipality_and_language_buttons() -> None:
    ask = nlg.render("utter_ask_municipality", {"language": "en"}, {}).to_wire()
    assert {b["title"] for b in ask["buttons"]} >= {"Boden", "Luleå", "Skellefteå", "Jokkmokk"}
    assert all(b["payload"].startswith("/choose_municipality{") for b in ask["buttons"])
    languages = nlg.render("utter_ask_language", {"language": "en"}, {}).to_wire()
    assert [b["title"] for b in languages["buttons"]][:2] == ["Svenska", "English"]


def test_human_contact_lists_only_published_contacts() -> None:
    message = nlg.render("utter_human_contact", {"municipality": "skelleftea", "language": "en"}, {}).to_wire()
    assert "0910-73 50 00" in message["text"] and "kundtjanst@skelleftea.se" in message["text"]
    assert message["custom"]["handoff_offered"] is True


def test_unknown_language_slot_falls_back_to_english() -> None:
    message = nlg.render("utter_goodbye", {}, {"slots": {"language": "xx"}}).to_wire()
    assert message["text"] == text("en", "utter_goodbye")


def test_a_national_answer_says_so_and_a_place_not_served_is_named_with_its_county() -> None:
    national = nlg.render("utter_faq_answer", {"faq_id": "shared.registration.personnummer", "national": True},
                          {"slots": {"language": "de"}})
    assert national.text.startswith(text("de", "faq_national")) and national.meta.municipality is None
    served = nlg.render("utter_not_served", {"place": "Vimmerby", "county": "Kalmar län"},
                        {"slots": {"language": "pl"}})
    assert served.text.startswith(text("pl", "utter_not_served", place="Vimmerby", municipality_list="Boden")[:20])
    assert "Kalmar län" in served.text and "Luleå" in served.text
    unknown_county = nlg.render("utter_not_served", {"place": "Pajala", "county": None}, {"slots": {"language": "en"}})
    assert unknown_county.text == text("en", "utter_not_served", place="Pajala", municipality_list=", ".join(
        m.name for m in municipalities.load_all().values()))
