"""How well masking does on a labelled set: precision, recall and F1 per kind, on exact spans.

The set (eval/masking.yml) marks each identifier inline, ``[[811228-9874|id_number]]``; the
loader derives the offsets and rejects a malformed file with every problem it found. A found span
counts only if start, end and kind all match a marked one; overall figures are micro-averaged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from base.paths import PROJECT_ROOT
from handoff.privacy.masking import find
from handoff.privacy.recognisers import KINDS, Span

MASKING_SET = PROJECT_ROOT / "eval" / "masking.yml"
LANGUAGES = ("sv", "en", "fi", "pl", "de", "uk", "ar", "es")
#: What the issue asks of masking: recall on these kinds, and precision over all.
RECALL_TARGETS = {"id_number": 0.98, "card": 0.98, "account": 0.98}
PRECISION_TARGET = 0.95
_MARK = re.compile(r"\[\[([^\[\]|\n]+)\|([a-z_]+)\]\]")

Marked = tuple[int, int, str]


class LabelledSetError(ValueError):
    """The labelled set is malformed; the message lists every problem."""


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    spans: tuple[Marked, ...]


def parse(marked: str) -> tuple[str, tuple[Marked, ...]]:
    """The plain text and its spans from a text with inline marks; ValueError if a mark is malformed."""
    pieces, spans, last, length = [], [], 0, 0
    for mark in _MARK.finditer(marked):
        value, kind = mark.groups()
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if value != value.strip():
            raise ValueError(f"space at the edge of {value!r}")
        before = marked[last:mark.start()]
        length += len(before)
        spans.append((length, length + len(value), kind))
        pieces += [before, value]
        length += len(value)
        last = mark.end()
    text = "".join(pieces) + marked[last:]
    if any(token in text for token in ("[[", "]]")):
        raise ValueError("a mark is not closed or not of the form [[value|kind]]")
    return text, tuple(spans)


def load(path: Path = MASKING_SET) -> list[Example]:
    """Every example of the labelled set, validated."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LabelledSetError(f"{path}: not YAML: {error}") from error
    items = raw.get("texts") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise LabelledSetError(f"{path}: expected a mapping with a non-empty list 'texts'")
    examples, problems, seen = [], [], set()
    for index, item in enumerate(items, 1):
        where = f"{path.name} text {index}"
        if not isinstance(item, dict) or set(item) != {"text", "language"}:
            problems.append(f"{where}: expected exactly the keys text and language")
            continue
        if not isinstance(item["text"], str) or not item["text"].strip():
            problems.append(f"{where}: the text is empty or not a string")
            continue
        if item["language"] not in LANGUAGES:
            problems.append(f"{where}: language {item['language']!r} is not one of {', '.join(LANGUAGES)}")
        if item["text"] in seen:
            problems.append(f"{where}: the same text stands earlier in the file")
        seen.add(item["text"])
        try:
            text, spans = parse(item["text"])
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        examples.append(Example(text, item["language"], spans))
    if problems:
        raise LabelledSetError("\n".join(problems))
    return examples


@dataclass
class Tally:
    """Counts of one kind; a ratio with nothing to count (no span found, none marked) is 1.0."""

    support: int = 0  # marked spans
    predicted: int = 0  # found spans
    correct: int = 0  # found spans that match a marked one exactly

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass
class Report:
    examples: list[Example]
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    errors: list[str] = field(default_factory=list)  # one line per missed or wrong span

    @property
    def overall(self) -> Tally:
        return Tally(*(sum(getattr(tally, name) for tally in self.tallies.values())
                       for name in ("support", "predicted", "correct")))

    def targets_met(self) -> bool:
        return (all(self.tallies[kind].recall >= floor for kind, floor in RECALL_TARGETS.items())
                and self.overall.precision >= PRECISION_TARGET)


def evaluate(examples: list[Example], finder: Callable[[str], list[Span]] = find) -> Report:
    """Score finder's spans against the marked ones."""
    report = Report(examples)
    for example in examples:
        marked = set(example.spans)
        found = {(span.start, span.end, span.kind) for span in finder(example.text)}
        for start, end, kind in marked:
            report.tallies[kind].support += 1
            if (start, end, kind) not in found:
                report.errors.append(f"missed  {kind:<11} {example.text[start:end]!r} in {example.text!r}")
        for start, end, kind in found:
            report.tallies[kind].predicted += 1
            if (start, end, kind) in marked:
                report.tallies[kind].correct += 1
            else:
                report.errors.append(f"wrong   {kind:<11} {example.text[start:end]!r} in {example.text!r}")
    return report


def table(report: Report) -> list[str]:
    """The report as lines: per kind support, found, precision, recall, F1, then overall micro figures."""
    languages = sorted({example.language for example in report.examples})
    lines = [f"  {len(report.examples)} texts in {', '.join(languages)}; exact span and kind must match",
             f"  {'kind':<16}{'support':>8}{'found':>8}{'precision':>11}{'recall':>8}{'F1':>8}"]
    for name, tally in [*report.tallies.items(), ("overall (micro)", report.overall)]:
        lines.append(f"  {name:<16}{tally.support:>8}{tally.predicted:>8}{tally.precision:>11.3f}"
                     f"{tally.recall:>8.3f}{tally.f1:>8.3f}")
    targets = ", ".join(f"{kind} recall ≥ {floor}" for kind, floor in RECALL_TARGETS.items())
    verdict = "met" if report.targets_met() else "NOT met"
    lines.append(f"  targets ({targets}, overall precision ≥ {PRECISION_TARGET}): {verdict}")
    return lines
