"""Across municipalities: answers counted by topic and layer, and local answers others lack (real index)."""

from __future__ import annotations

from collections import Counter

import municipalities
from insight.across import has_local_answer, lacking, topics_by_municipality
from knowledge.content.entries import entry_by_id
from knowledge.search.retriever import shared_retriever

OVERVIEW = "skelleftea.housing.finding_a_home"


def test_answers_count_for_their_entrys_layer_and_topic() -> None:
    table = topics_by_municipality(Counter({OVERVIEW: 3, "shared.registration.personnummer": 2, "gone.x.y": 9}))
    assert table == {"housing": Counter({"skelleftea": 3}), "registration": Counter({"shared": 2})}


def test_only_local_answers_are_offered_and_never_to_their_own_municipality() -> None:
    found = lacking(Counter({OVERVIEW: 5, "shared.registration.personnummer": 9}))
    assert [a.entry.id for a in found] == [OVERVIEW]  # the national rule is not local knowledge
    [overview] = found
    assert overview.answered == 5 and "skelleftea" not in overview.lacking
    assert set(overview.lacking) < set(municipalities.load_all())
    entry = entry_by_id(OVERVIEW)
    assert has_local_answer(entry, "skelleftea", shared_retriever())  # asked at home, it answers itself
