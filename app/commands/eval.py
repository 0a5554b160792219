"""Evaluate how well the assistant understands and answers, per language (`make eval`).

Reads eval/utterances.yml (written independently of the training data) and prints, per language
and per municipality ("region": a conversation with none): intent accuracy (Rasa's NLU, parsed as
the gateway's messages are: with the vector the gateway computes), FAQ top-1 accuracy (the entry the
conversation answered with, or the first button of a close call), how often a confident answer
(an answer given directly, no choices) was a right one, language-of-reply match, and fallback
precision (of the replies that fell back, the share that should have). Languages without
training data (nl, fr) are reported in a separate block. Then the multi-turn conversations of
eval/conversations/ (``app.conversation_eval``): per language, the share of turns answered as
expected, for first questions and for follow-ups.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from app import conversation_eval
from app.measure import UNLIMITED, parse_like_the_gateway
from app.settings import on_free_ports
from app.stack import running
from base.definitions import FALLBACK_LANGUAGE, LANGUAGES
from base.messages import BotMessage
from base.paths import PROJECT_ROOT

EVAL_FILE = PROJECT_ROOT / "eval" / "utterances.yml"
FALLBACK_INTENTS = {"out_of_scope", "nlu_fallback"}
FALLBACK_NOTICES = {"utter_ask_rephrase", "utter_out_of_scope", "utter_offer_human"}


@dataclass
class Tally:
    intents: list[bool] = field(default_factory=list)
    faqs: list[bool] = field(default_factory=list)
    reply_language: list[bool] = field(default_factory=list)
    fallbacks: list[bool] = field(default_factory=list)  # for each fallback: was it expected?
    confident: list[bool] = field(default_factory=list)  # for each direct answer: was it a right one?

    def extend(self, other: Tally) -> None:
        for name in ("intents", "faqs", "reply_language", "fallbacks", "confident"):
            getattr(self, name).extend(getattr(other, name))

    @staticmethod
    def rate(values: list[bool]) -> str:
        return f"{sum(values) / len(values):.3f} ({len(values):>3})" if values else "   -       "


def _reply_outcome(messages: list[dict]) -> tuple[str | None, str | None, bool, bool]:
    """(answered faq id or first choice, language of the last reply, fell back?, answered directly?)."""
    faq_id, language, fell_back, direct = None, None, False, False
    for message in (BotMessage.from_wire(raw) for raw in messages):
        meta = message.meta
        language = meta.language or language
        if faq_id is None:
            faq_id = meta.faq_id or (meta.choices[0] if meta.choices else None)
            direct = meta.faq_id is not None
        fell_back = fell_back or meta.response in FALLBACK_NOTICES or bool(meta.handoff_offered)
    return faq_id, language, fell_back, direct


#: The municipality label of an utterance sent without one (the regional entry point).
REGION = "region"


def evaluate(app_url: str, rasa_url: str, internal_token: str, items: list[dict], misses: list[str] | None = None
             ) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Tallies per language and per municipality (the same utterances counted in both).

    ``misses``, when given, collects one line per wrong intent or wrong FAQ answer, for reading.
    """
    tallies: dict[str, Tally] = defaultdict(Tally)
    places: dict[str, Tally] = defaultdict(Tally)
    with httpx.Client(timeout=120) as client:
        for item in items:
            tally = Tally()
            parsed = parse_like_the_gateway(client, rasa_url, internal_token, item["text"])
            predicted = parsed["intent"]["name"]
            expected_intent = item["intent"]
            tally.intents.append(
                predicted == expected_intent or (expected_intent == "out_of_scope" and predicted in FALLBACK_INTENTS)
            )
            municipality = item.get("municipality", "boden")  # null: a conversation with no municipality
            body = {"message": item["text"], **({"municipality": municipality} if municipality else {})}
            messages = client.post(f"{app_url}/api/chat", json=body).json()["messages"]  # a new conversation each
            faq_id, language, fell_back, direct = _reply_outcome(messages)
            expected_faqs = item.get("faq_ids") or []
            if expected_faqs:
                tally.faqs.append(faq_id in expected_faqs)
            if direct:
                tally.confident.append(faq_id in expected_faqs)
            expected_language = item["language"] if item["language"] in LANGUAGES else FALLBACK_LANGUAGE
            tally.reply_language.append(language == expected_language)
            if fell_back or (faq_id is None and expected_intent in FALLBACK_INTENTS):
                tally.fallbacks.append(not expected_faqs)
            tallies[item["language"]].extend(tally)
            places[municipality or REGION].extend(tally)
            if misses is not None and not (all(tally.intents) and all(tally.faqs)):
                how = "" if direct else " (not direct)"
                misses.append(f"{item['language']} {municipality or REGION}: {item['text']!r}\n"
                              f"    intent {expected_intent} -> {predicted}; "
                              f"FAQ {'/'.join(expected_faqs) or '-'} -> {faq_id or '-'}{how}")
    return tallies, places


def report(tallies: dict[str, Tally], places: dict[str, Tally]) -> None:
    def row(label: str, tally: Tally) -> str:
        return (f"{label:<11} {Tally.rate(tally.intents):<13} {Tally.rate(tally.faqs):<13} "
                f"{Tally.rate(tally.confident):<13} {Tally.rate(tally.reply_language):<13} "
                f"{Tally.rate(tally.fallbacks):<13}")

    def block(title: str, kind: str, groups: dict[str, Tally], labels: list[str]) -> None:
        print(f"\n{title}\n{kind:<11} {'intent acc':<13} {'FAQ top-1':<13} {'confident ok':<13} "
              f"{'reply lang':<13} {'fallback prec':<13}")
        total = Tally()
        for label in labels:
            total.extend(groups[label])
            print(row(label, groups[label]))
        print(row("overall", total))

    trained = [lang for lang in LANGUAGES if lang in tallies]
    untrained = sorted(lang for lang in tallies if lang not in LANGUAGES)
    block("Languages with training data", "language", tallies, trained)
    if untrained:
        block("Languages WITHOUT training data (replies expected in English)", "language", tallies, untrained)
    block("Per municipality (region: no municipality chosen)", "place", places, sorted(places))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app eval", description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="also list every wrong intent, FAQ answer and turn")
    parser.add_argument("--conversations", action="store_true", help="only the multi-turn conversations")
    args = parser.parse_args(argv)
    items = [] if args.conversations else yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))["utterances"]
    conversations = conversation_eval.load()
    misses: list[str] | None = [] if args.misses else None
    turn_misses: list[str] | None = [] if args.misses else None
    with (tempfile.TemporaryDirectory() as tmp,
          running(on_free_ports(Path(tmp), rate_limits=UNLIMITED), log_dir=Path(tmp)) as stack):
        tallies, places = evaluate(stack.app_url, stack.rasa_url, stack.settings.internal_token.get_secret_value(),
                                   items, misses)
        turns = conversation_eval.run(stack.app_url, conversations, turn_misses)
    if items:
        print(f"{len(items)} utterances from {EVAL_FILE.relative_to(PROJECT_ROOT)}")
        report(tallies, places)
    print(f"\n{len(conversations)} conversations, {sum(len(c.turns) for c in conversations)} turns "
          f"from {conversation_eval.CONVERSATIONS_DIR.relative_to(PROJECT_ROOT)}")
    conversation_eval.report(turns)
    if misses:
        print(f"\n{len(misses)} messages with a wrong intent or FAQ answer:\n" + "\n".join(misses))
    if turn_misses:
        print(f"\n{len(turn_misses)} conversation turns answered otherwise than expected:\n" + "\n".join(turn_misses))
    return 0

