"""The labelled set loads only when well-formed, is scored on exact spans, and meets the issue's targets."""

from pathlib import Path

import pytest

from handoff.privacy.evaluation import (
    MASKING_SET,
    PRECISION_TARGET,
    RECALL_TARGETS,
    LabelledSetError,
    evaluate,
    load,
    parse,
    table,
)
from handoff.privacy.recognisers import Span


def test_inline_marks_become_offsets() -> None:
    text, spans = parse("pnr [[811228-9874|id_number]], ring [[070-174 06 05|phone]]!")
    assert text == "pnr 811228-9874, ring 070-174 06 05!"
    assert [(text[start:end], kind) for start, end, kind in spans] == [("811228-9874", "id_number"),
                                                                        ("070-174 06 05", "phone")]


@pytest.mark.parametrize(("content", "problem"), [
    ("texts: []", "non-empty list"),
    ("- text: hej\n  language: sv", "non-empty list"),
    ("texts: [: nope", "not YAML"),
    ("texts:\n  - {text: hej}", "exactly the keys"),
    ("texts:\n  - {text: hej, language: sv, spans: []}", "exactly the keys"),
    ("texts:\n  - {text: hej, language: nl}", "language 'nl'"),
    ("texts:\n  - {text: '', language: sv}", "empty"),
    ("texts:\n  - {text: 'pnr [[811228-9874|ssn]]', language: sv}", "unknown kind 'ssn'"),
    ("texts:\n  - {text: 'pnr [[811228-9874|id_number]', language: sv}", "not closed"),
    ("texts:\n  - {text: 'pnr [[811228-9874 id_number]]', language: sv}", "not closed"),
    ("texts:\n  - {text: 'pnr [[ 811228-9874|id_number]]', language: sv}", "space at the edge"),
    ("texts:\n  - {text: hej, language: sv}\n  - {text: hej, language: sv}", "stands earlier"),
])
def test_a_malformed_set_is_rejected_with_its_problem(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "masking.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelledSetError, match=problem):
        load(path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "masking.yml"
    path.write_text("texts:\n  - {text: hej, language: xx}\n  - {text: 'a [[b|c]]', language: sv}", encoding="utf-8")
    with pytest.raises(LabelledSetError) as raised:
        load(path)
    assert "text 1" in str(raised.value) and "text 2" in str(raised.value)


def test_only_an_exact_span_of_the_right_kind_counts(tmp_path: Path) -> None:
    path = tmp_path / "masking.yml"
    path.write_text("texts:\n  - {text: 'a [[bcd|phone]] e [[fg|email]]', language: sv}", encoding="utf-8")

    def finder(text: str) -> list[Span]:  # one exact, one a character short, one of the wrong kind
        return [Span(2, 5, "phone"), Span(8, 9, "email"), Span(0, 1, "card")]

    report = evaluate(load(path), finder)
    assert (report.tallies["phone"].precision, report.tallies["phone"].recall) == (1.0, 1.0)
    assert (report.tallies["email"].precision, report.tallies["email"].recall) == (0.0, 0.0)
    assert (report.overall.support, report.overall.predicted, report.overall.correct) == (2, 3, 1)
    assert len(report.errors) == 3 and not report.targets_met()


def test_the_labelled_set_meets_the_targets() -> None:
    examples = load(MASKING_SET)
    assert len(examples) >= 320
    assert {"sv", "en", "pl", "de", "uk", "ar"} <= {example.language for example in examples}
    report = evaluate(examples)
    for kind, floor in RECALL_TARGETS.items():
        assert report.tallies[kind].recall >= floor, (kind, report.errors)
    assert report.overall.precision >= PRECISION_TARGET, report.errors
    assert report.targets_met() and table(report)[-1].endswith(": met")
