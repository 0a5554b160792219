"""Whole conversations, turn by turn: does the assistant keep the thread? (part of `make eval`).

Single questions (eval/utterances.yml) cannot show whether "and in Luleå?", "is it expensive
there?" or "no, that's all" are understood: they mean something only after what came before.
eval/conversations/<language>.yml holds conversations written independently of the training data
and the FAQ phrasings; each turn says what a person expects of the reply — the FAQ entries that
answer it for the municipality then in force, or the conversational responses that fit — and is
sent through ``POST /api/chat`` in one conversation, as a web client would. A turn is right when
the reply's first FAQ entry (an answer, or the first of a close call's choices) is one of those
entries *for that municipality*, or one of the expected responses is among the replies.

Turns are counted per language, and separately by kind: a first, self-contained question, and the
three kinds of follow-up (a municipality named, an elliptical fragment, a closing yes/no/thanks).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from base.definitions import LANGUAGES
from base.messages import BotMessage
from base.paths import PROJECT_ROOT

CONVERSATIONS_DIR = PROJECT_ROOT / "eval" / "conversations"
#: A turn's kind: a self-contained question, or one of the follow-ups.
KINDS = ("question", "municipality", "ellipsis", "closing")


@dataclass(frozen=True)
class Turn:
    text: str
    kind: str
    municipality: str | None
    faq_ids: tuple[str, ...] = ()
    responses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    name: str
    language: str
    municipality: str | None
    turns: tuple[Turn, ...]


def load(directory: Path = CONVERSATIONS_DIR) -> list[Conversation]:
    conversations = []
    for path in sorted(directory.glob("*.yml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            turns = tuple(
                Turn(turn["text"], turn.get("follow_up") or "question", turn.get("municipality"),
                     tuple(turn.get("faq_ids") or ()), tuple(turn.get("responses") or ()))
                for turn in raw["turns"])
            conversations.append(Conversation(raw["name"], raw["language"], raw.get("municipality"), turns))
    return conversations


def judge_turn(turn: Turn, messages: list[dict]) -> tuple[bool, str]:
    """Was the reply what the person expected? And a short description of what came, for misses."""
    replies = [BotMessage.from_wire(raw).meta for raw in messages]
    if turn.responses:
        said = [meta.response for meta in replies if meta.response]
        return any(response in turn.responses for response in said), "/".join(said) or "-"
    for meta in replies:
        entry = meta.faq_id or (meta.choices[0] if meta.choices else None)
        if entry is not None:
            how = "" if meta.faq_id else " (choices)"
            right = entry in turn.faq_ids and meta.municipality == turn.municipality
            return right, f"{entry} for {meta.municipality or 'the region'}{how}"
    return False, "/".join(meta.response or "?" for meta in replies) or "-"


@dataclass
class Tally:
    turns: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, right: bool) -> None:
        self.turns[kind].append(right)

    def rate(self, kinds: tuple[str, ...]) -> str:
        values = [right for kind in kinds for right in self.turns.get(kind, [])]
        return f"{sum(values) / len(values):.3f} ({len(values):>3})" if values else "   -       "


def run(app_url: str, conversations: list[Conversation], misses: list[str] | None = None) -> dict[str, Tally]:
    """Send every conversation through the HTTP channel; tallies per language."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    with httpx.Client(timeout=120) as client:
        for conversation in conversations:
            token: str | None = None
            for number, turn in enumerate(conversation.turns, 1):
                body = {"message": turn.text}
                if token is None and conversation.municipality:
                    body["municipality"] = conversation.municipality
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                reply = client.post(f"{app_url}/api/chat", json=body, headers=headers)
                reply.raise_for_status()
                token = reply.json()["conversation"]
                right, got = judge_turn(turn, reply.json()["messages"])
                tallies[conversation.language].add(turn.kind, right)
                if misses is not None and not right:
                    expected = "/".join(turn.faq_ids or turn.responses)
                    misses.append(f"{conversation.language} {conversation.name!r} turn {number} ({turn.kind}): "
                                  f"{turn.text!r}\n    expected {expected} for {turn.municipality or 'the region'}"
                                  f" -> {got}")
    return tallies


def report(tallies: dict[str, Tally]) -> None:
    columns = {"all turns": KINDS, "first questions": ("question",), "follow-ups": KINDS[1:],
               "municipality": ("municipality",), "ellipsis": ("ellipsis",), "closing": ("closing",)}
    print("\nMulti-turn conversations (eval/conversations): share of turns answered as expected\n"
          f"{'language':<10}" + "".join(f"{title:<17}" for title in columns))
    total = Tally()
    for language in [lang for lang in LANGUAGES if lang in tallies]:
        for kind, values in tallies[language].turns.items():
            total.turns[kind].extend(values)
        print(f"{language:<10}" + "".join(f"{tallies[language].rate(kinds):<17}" for kinds in columns.values()))
    print(f"{'overall':<10}" + "".join(f"{total.rate(kinds):<17}" for kinds in columns.values()))
