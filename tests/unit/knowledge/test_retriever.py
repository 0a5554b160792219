"""Hybrid retrieval over the fixture FAQ (see fixture_faq.py), the topic boost and decide()."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from knowledge.search import retriever as retriever_module
from knowledge.search.retriever import (
    Decision,
    Fusion,
    Hit,
    Outcome,
    Retriever,
    Settings,
    Thresholds,
    decide,
    load_settings,
    shared_retriever,
)
from tests.unit.knowledge.fixture_faq import MUNICIPALITY, encoders, write_faq


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    root = write_faq(tmp_path_factory.mktemp("faq"))
    embedder, sparse = encoders()
    return Retriever(root, tmp_path_factory.mktemp("index"), embedder, sparse)


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("Jak mogę dostać szwedzki numer osobowy?", "pl", "shared.registration.personnummer"),
        ("Where can I go for a swim in Testby?", "en", "testby.leisure.swimming"),
        ("Hur ställer jag mig i kön för hyreslägenheter?", "sv", "testby.housing.queue"),
        ("Kiedy dziecko może pójść do przedszkola?", "pl", "shared.schools.preschool"),
        ("Як отримати медичну консультацію вночі?", "uk", "shared.healthcare.advice"),
        ("Hur får jag personnummer?", None, "shared.registration.personnummer"),
    ],
)
def test_query_finds_the_right_entry(retriever: Retriever, query: str, language: str | None, expected: str) -> None:
    hits = retriever.search(query, MUNICIPALITY, language)
    assert hits[0].faq_id == expected
    assert len({hit.faq_id for hit in hits}) == len(hits)  # each entry once
    assert all(0.0 <= hit.score <= 1.0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_hit_carries_components_and_entry(retriever: Retriever) -> None:
    hit = retriever.search("Vilket nummer ringer jag för sjukvårdsrådgivning?", MUNICIPALITY, "sv")[0]
    assert hit.faq_id == "shared.healthcare.advice" and hit.topic == "healthcare"
    assert hit.entry.id == hit.faq_id
    assert 0.7 < hit.dense <= 1.0
    assert hit.lexical > 0.3  # "sjukvårdsrådgivning", "nummer", "ringa" are in the entry
    assert hit.sparse > 0.0


def test_local_entry_overrides_shared_one(retriever: Retriever) -> None:
    ids = [hit.faq_id for hit in retriever.search("How does the housing queue work?", MUNICIPALITY, "en", k=10)]
    assert ids[0] == "testby.housing.queue"
    assert "shared.housing.rental" not in ids


def test_topic_boost_is_soft_and_additive(retriever: Retriever) -> None:
    query = "Jag har en fråga om Testby"
    plain = {hit.faq_id: hit.score for hit in retriever.search(query, MUNICIPALITY, "sv", k=10)}
    boosted = {hit.faq_id: hit.score for hit in retriever.search(query, MUNICIPALITY, "sv", topic="leisure", k=10)}
    boost = retriever.settings.fusion.topic_boost
    assert boost > 0
    assert boosted["testby.leisure.swimming"] == pytest.approx(min(plain["testby.leisure.swimming"] + boost, 1.0))
    for faq_id in plain.keys() - {"testby.leisure.swimming"}:
        assert boosted[faq_id] == pytest.approx(plain[faq_id])
    # soft: a clearly better entry of another topic still wins
    hits = retriever.search("Hur får jag ett personnummer?", MUNICIPALITY, "sv", topic="leisure")
    assert hits[0].faq_id == "shared.registration.personnummer"


def test_a_strong_topic_boost_decides_a_vague_question(retriever: Retriever) -> None:
    settings = retriever.settings
    strong = Settings(dataclasses.replace(settings.fusion, topic_boost=0.5), settings.thresholds)
    vague = Retriever(retriever.root, retriever.index_root, *encoders(), settings=strong)
    assert vague.search("Jag har en fråga om Testby", MUNICIPALITY, "sv", topic="leisure")[0].faq_id == (
        "testby.leisure.swimming"
    )


def test_index_loads_once_per_municipality_across_threads(retriever: Retriever, monkeypatch) -> None:
    calls = []
    real_load = retriever_module.load

    def counting_load(*args, **kwargs):
        calls.append(args[0])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(retriever_module, "load", counting_load)
    fresh = Retriever(retriever.root, retriever.index_root, *encoders())
    results: list[str] = []

    def ask() -> None:
        results.append(fresh.search("Where can I go swimming?", MUNICIPALITY, "en")[0].faq_id)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [MUNICIPALITY]
    assert results == ["testby.leisure.swimming"] * 6


def test_empty_query_finds_nothing(retriever: Retriever) -> None:
    assert retriever.search("   ", MUNICIPALITY, "sv") == []
    assert decide([]).outcome is Outcome.NONE


# --------------------------------------------------------------------------- decide()


def _hits(*scores: float) -> list[Hit]:
    return [Hit(f"shared.test.e{i}", "general", s, 0.8, 0.0, 0.0, entry=None) for i, s in enumerate(scores)]  # type: ignore[arg-type]


LIMITS = Thresholds(answer=0.6, margin=0.05, choices_floor=0.4)


def test_decide_answers_when_confident_and_clear() -> None:
    decision = decide(_hits(0.75, 0.55, 0.5), LIMITS)
    assert decision == Decision(Outcome.ANSWER, _hits(0.75)[:1])
    assert decision.top is not None and decision.top.faq_id == "shared.test.e0"


def test_decide_offers_choices_on_a_close_call() -> None:
    close = decide(_hits(0.7, 0.68, 0.45, 0.41), LIMITS)  # high but no margin
    assert close.outcome is Outcome.CHOICES
    assert [h.faq_id for h in close.hits] == ["shared.test.e0", "shared.test.e1", "shared.test.e2"]
    lukewarm = decide(_hits(0.5, 0.3), LIMITS)  # above the floor, below the answer threshold
    assert lukewarm.outcome is Outcome.CHOICES
    assert len(lukewarm.hits) == 2  # a lone "did you mean" is no choice: the runner-up comes along


def test_decide_gives_up_below_the_floor() -> None:
    assert decide(_hits(0.39, 0.2), LIMITS) == Decision(Outcome.NONE, [])


def test_calibrated_thresholds_are_ordered() -> None:
    settings = load_settings()
    assert settings.calibrated, "knowledge/search/thresholds.json is missing: run python -m app swefaq calibrate"
    limits = settings.thresholds
    assert 0.0 < limits.choices_floor < limits.answer < 1.0 and 0.0 <= limits.margin < 0.2
    fusion = settings.fusion
    assert sum((fusion.dense_short, fusion.dense_answer, fusion.lexical, fusion.sparse)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        Fusion(0.5, 0.5, 0.5, 0.0)


def test_the_shared_retriever_is_one_per_process() -> None:
    shared = shared_retriever()
    assert isinstance(shared, Retriever) and shared_retriever() is shared
    assert shared.settings == load_settings()
