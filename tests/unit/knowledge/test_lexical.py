"""The lexical signal: folding, analysis (lemmas, compounds, stop words) and coverage-normalised BM25."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.search.lexical import LexicalIndex, analyzer, fold


def test_folding_is_unicode_safe() -> None:
    assert fold("ＳＦＩ") == "sfi"  # NFKC
    assert fold("مَدْرَسَة") == fold("مدرسة")  # Arabic harakat dropped
    assert fold("ПЕРСОНАЛЬНИЙ") == "персональний"


def test_analyzer_lemmatises_splits_compounds_and_drops_stop_words() -> None:
    terms = analyzer("sv").terms("Hur ansöker jag om förskoleplatser?")
    assert {"ansöka", "plats", "förskola"} <= set(terms)  # lemma of the verb, parts of the compound
    assert "jag" not in terms and "hur" not in terms
    assert analyzer("uk").words("Як отримати персональний номер у Швеції?") == [
        "отримати", "персональний", "номер", "швеції",
    ]
    assert "رقم" in analyzer("ar").words("كيف أحصل على رقم شخصي؟")


def test_lexical_index_scores_coverage_in_unit_range(tmp_path: Path) -> None:
    docs = [("Ansök om förskoleplats hos kommunen.", "sv"), ("Ring 1177 för sjukvårdsrådgivning.", "sv"),
            ("Персональний номер видає Skatteverket.", "uk")]
    built = LexicalIndex.build(docs)
    built.save(tmp_path / "lex")
    index = LexicalIndex.load(tmp_path / "lex")
    scores = index.scores("Hur söker jag plats i förskolan?", "sv")
    assert np.argmax(scores) == 0 and 0.0 < scores[0] <= 1.0 and scores[1] == 0.0
    assert np.argmax(index.scores("персональний номер", "uk")) == 2
    assert index.scores("helt okända ord", "sv").max() == 0.0
    # the stored query-side lemma map gives the same terms as the full table for indexed lemmas
    assert set(index.query_terms("förskoleplatser", "sv")) <= set(analyzer("sv").terms("förskoleplatser"))
