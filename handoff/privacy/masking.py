"""Find the identifiers in a text, settle overlaps, and replace each by its label.

Of two overlapping candidates the longer wins (an IBAN over the card-like digits inside it, an
e-mail address over a number in its local part); of two equal ones the better supported (a
separator or a context word), then the kind earlier in ``KINDS``. The contact details the person
gave for this very handoff stay visible wherever they recur.
"""

from __future__ import annotations

from handoff.privacy.recognisers import KINDS, Span, candidates
from handoff.texts import host_texts


def _rank(span: Span) -> tuple[int, int, int, int]:
    return -(span.end - span.start), -span.score, KINDS.index(span.kind), span.start


def find(text: str) -> list[Span]:
    """The identifiers in text, in order, none overlapping another."""
    chosen: list[Span] = []
    for span in sorted(candidates(text), key=_rank):
        if all(span.end <= other.start or other.end <= span.start for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda span: span.start)


def mask(text: str, labels: dict[str, str], keep: tuple[str, ...] = ()) -> str:
    """The text with identifiers replaced by labels[kind] (see KINDS), except those in keep.

    keep holds the handoff's own contact: an e-mail address (any case) or a phone number in E.164.
    """
    kept = {item.strip().lower() for item in keep if item and item.strip()}
    pieces, last = [], 0
    for span in find(text):
        if text[span.start:span.end].lower() in kept or span.normal.lower() in kept:
            continue
        pieces += [text[last:span.start], labels[span.kind]]
        last = span.end
    return "".join(pieces) + text[last:]


def labels(language: str) -> dict[str, str]:
    """The replacement labels in a host language (tickets are stored with STORAGE_LANGUAGE's)."""
    texts = host_texts(language)
    return {kind: texts[f"mask_{kind}"] for kind in KINDS}
