"""Hybrid retrieval over the fixture FAQ (see fixture_faq.py), the topic boost and decide()."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from knowledge.content.entries import FaqEntry
from knowledge.search import retriever as retriever_module
from knowledge.search.decision import FEATURES, Hit, Judge, Outcome, features
from knowledge.search.index import Components
from knowledge.search.retriever import (
    Fusion,
    Retriever,
    Settings,
    load_settings,
    rank,
    shared_retriever,
)
from tests.unit.knowledge.faq_trees import GOOD_LOCAL
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
    strong = Settings(dataclasses.replace(settings.fusion, topic_boost=0.5), settings.judge)
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
    assert retriever.decide([]).outcome is Outcome.NONE


def test_a_hit_knows_which_signals_it_leads_and_whether_it_speaks_the_language(retriever: Retriever) -> None:
    top, *rest = retriever.search("Hur ställer jag mig i kön för hyreslägenheter?", MUNICIPALITY, "sv")
    assert top.faq_id == "testby.housing.queue"
    assert {"dense", "lexical"} <= top.leads and top.in_language
    assert all(not (hit.leads & top.leads) for hit in rest)  # each signal has one leader


# --------------------------------------------------------------------------- rank(): leaving the right entry out


def _parts(dense: list[float], lexical: list[float], sparse: list[float]) -> Components:
    return Components(np.array(dense, np.float32), np.array(dense, np.float32), np.array(lexical, np.float32),
                      np.array(sparse, np.float32))


def test_rank_without_an_entry_asks_as_if_it_did_not_exist() -> None:
    parts = _parts([0.95, 0.85, 0.80], [0.9, 0.1, 0.5], [0.8, 0.3, 0.2])
    fusion = Fusion(0.25, 0.25, 0.25, 0.25, 0.0)
    keys, topics = ["a", "b", "c"], ["housing", "housing", "work"]
    full = rank(parts, keys, topics, fusion)
    assert [hit.faq_id for hit in full] == ["a", "b", "c"] and full[0].leads == {"dense", "lexical", "sparse"}
    left_out = rank(parts, keys, topics, fusion, without=[0])
    assert [hit.faq_id for hit in left_out] == ["b", "c"]
    assert left_out[0].leads == {"dense", "sparse"} and left_out[1].leads == {"lexical"}  # signals re-led


# --------------------------------------------------------------------------- the judge


def _hits(*scores: float, leads: frozenset[str] = frozenset(), topic: str = "general") -> list[Hit]:
    return [Hit(f"shared.test.e{i}", topic, s, 0.8, 0.0, 0.0, None, leads if i == 0 else frozenset())
            for i, s in enumerate(scores)]


#: A judge that reads only the top score and the margin: p = sigmoid(20 top + 40 margin - 14).
JUDGE = Judge((20.0, 40.0, 0, 0, 0, 0, 0, 0, 0, 0), -14.0, answer_at=0.6, choices_at=0.2, choices_spread=0.1)


def test_the_judge_answers_when_confident_and_clear() -> None:
    decision = JUDGE.decide(_hits(0.75, 0.55, 0.5))
    assert decision.outcome is Outcome.ANSWER and decision.hits == _hits(0.75)[:1]
    assert decision.confidence == pytest.approx(JUDGE.confidence(_hits(0.75, 0.55)))
    assert decision.top is not None and decision.top.faq_id == "shared.test.e0"


def test_the_judge_offers_close_choices_on_a_close_call() -> None:
    close = JUDGE.decide(_hits(0.65, 0.64, 0.58, 0.41))  # no margin; the fourth is far below
    assert close.outcome is Outcome.CHOICES
    assert [h.faq_id for h in close.hits] == ["shared.test.e0", "shared.test.e1", "shared.test.e2"]
    lone = JUDGE.decide(_hits(0.45, 0.33))  # only the top is close: a lone "did you mean" is no choice
    assert lone.outcome is Outcome.CHOICES and len(lone.hits) == 2


def test_a_close_call_between_an_overview_and_its_details_answers_with_the_best_of_them() -> None:
    def entry(faq_id: str, covers: tuple[str, ...] = ()) -> FaqEntry:
        return FaqEntry(**{**GOOD_LOCAL, "id": faq_id, "covers": covers})

    overview = entry("boden.housing.e1", ("boden.housing.e0", "boden.housing.e2"))
    details = [entry("boden.housing.e0"), overview, entry("boden.housing.e2")]
    hits = [dataclasses.replace(hit, faq_id=e.id, entry=e)
            for hit, e in zip(_hits(0.65, 0.64, 0.58), details, strict=True)]
    decision = JUDGE.decide(hits)
    assert decision.outcome is Outcome.ANSWER and [h.faq_id for h in decision.hits] == ["boden.housing.e0"]
    ranked = [dataclasses.replace(hit, faq_id=e.id, entry=e)
              for hit, e in zip(_hits(0.65, 0.64, 0.58), [overview, details[0], details[2]], strict=True)]
    overview_first = JUDGE.decide(ranked)
    assert overview_first.outcome is Outcome.ANSWER and [h.faq_id for h in overview_first.hits] == [overview.id]
    # One candidate the overview does not cover makes it a real choice again.
    stranger = dataclasses.replace(hits[2], faq_id="boden.housing.other", entry=entry("boden.housing.other"))
    assert JUDGE.decide([*hits[:2], stranger]).outcome is Outcome.CHOICES


def test_the_judge_gives_up_when_the_best_is_unlikely_right() -> None:
    decision = JUDGE.decide(_hits(0.5, 0.48))
    assert decision.outcome is Outcome.NONE and decision.hits == [] and decision.confidence < 0.2


def test_agreeing_signals_and_the_nlu_topic_raise_the_judges_confidence() -> None:
    judge = Judge((20.0, 40.0, 0, 0, 0, 1.0, 1.0, 1.0, 1.5, 0), -14.0, answer_at=0.6, choices_at=0.2)
    alone, agreed = _hits(0.6, 0.58), _hits(0.6, 0.58, leads=frozenset({"dense", "lexical", "sparse"}), topic="work")
    assert judge.decide(alone).outcome is Outcome.CHOICES
    assert judge.decide(agreed, topic="work").outcome is Outcome.ANSWER
    assert judge.confidence(agreed, topic="housing") < judge.confidence(agreed)  # the NLU names another topic
    assert list(features(agreed, "work")) == pytest.approx([0.6, 0.02, 0.8, 0, 0, 1, 1, 1, 1, 1])
    assert len(FEATURES) == len(judge.weights)


def test_a_judge_is_checked_when_made() -> None:
    with pytest.raises(ValueError):
        Judge((1.0,), 0.0)
    with pytest.raises(ValueError):
        Judge(answer_at=0.3, choices_at=0.5)


def test_the_calibrated_settings_are_sane() -> None:
    settings = load_settings()
    assert settings.calibrated, "knowledge/search/thresholds.json is missing: run python -m app calibrate"
    judge = settings.judge
    assert 0.0 < judge.choices_at < judge.answer_at < 1.0 and judge.weights[0] > 0  # a higher score is better
    fusion = settings.fusion
    assert sum((fusion.dense_short, fusion.dense_answer, fusion.lexical, fusion.sparse)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        Fusion(0.5, 0.5, 0.5, 0.0)


def test_the_shared_retriever_is_one_per_process() -> None:
    shared = shared_retriever()
    assert isinstance(shared, Retriever) and shared_retriever() is shared
    assert shared.settings == load_settings()


def test_blended_scores_weigh_the_follow_up_and_its_context() -> None:
    ones, zeros = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    fragment = Components(ones, ones, ones, ones, np.array([True, False, True]))
    context = Components(zeros, zeros, zeros, zeros, None)
    blended = fragment.blend(context, 0.25)
    for name in ("dense_short", "dense_answer", "lexical", "sparse"):
        assert np.allclose(getattr(blended, name), 0.25)
    assert blended.in_language is fragment.in_language  # the language is the follow-up's own


def test_a_fragment_read_with_its_context_finds_the_entry_of_that_context(retriever: Retriever) -> None:
    fragment = "how long does it take?"
    assert retriever.search(fragment, MUNICIPALITY, "en")[0].faq_id == "shared.healthcare.advice"
    in_context = retriever.search(fragment, MUNICIPALITY, "en", context="We need a preschool place for our son")
    assert in_context[0].faq_id == "shared.schools.preschool"
    left_out = retriever.search(fragment, MUNICIPALITY, "en", context="We need a preschool place for our son",
                                without={"shared.schools.preschool"})
    assert "shared.schools.preschool" not in [hit.faq_id for hit in left_out]



def test_a_published_entry_is_found_without_a_restart(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process publishes (writes the file, rebuilds the index): this retriever notices it."""
    from knowledge.content.authoring import write
    from knowledge.search.store import build
    from tests.unit.knowledge.fixture_faq import SOURCE, _in_every_language

    root = write_faq(tmp_path / "faq")
    embedder, sparse = encoders()
    running = Retriever(root, tmp_path / "index", embedder, sparse)
    question = "Where can I go ice fishing in Testby?"
    assert running.search(question, MUNICIPALITY, "en")[0].faq_id != "testby.leisure.ice_fishing"
    monkeypatch.setattr(retriever_module, "RECHECK_SECONDS", 0.2)
    entry = {**_in_every_language({
        "id": "testby.leisure.ice_fishing", "topic": "leisure",
        "questions": {"en": ["Where can I go ice fishing in Testby?", "Is there ice fishing?"],
                      "sv": ["Var kan man pimpla i Testby?", "Finns det isfiske?"]},
        "answer": {"en": "On the lake when the ice is thick enough.", "sv": "På sjön när isen bär."}}),
        "sources": SOURCE, "verified": "2026-11-01"}
    write(MUNICIPALITY, entry, root)
    build(MUNICIPALITY, root, tmp_path / "index", embedder, sparse)
    time.sleep(0.3)  # the next look at the disk
    assert running.search(question, MUNICIPALITY, "en")[0].faq_id == "testby.leisure.ice_fishing"
