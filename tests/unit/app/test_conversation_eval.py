"""The multi-turn evaluation: its conversations stay valid and independent, and turns are judged as a person would."""

from __future__ import annotations

from app.conversation_eval import KINDS, Turn, judge_turn, load
from base.definitions import LANGUAGES
from knowledge.content.entries import SHARED_LAYER, entries_for
from tests.unit.app.test_eval_set import question_key, training_and_phrasings

RESPONSES = {"utter_thanks", "utter_goodbye", "utter_anything_else", "utter_how_can_i_help", "utter_ask_municipality"}


def test_every_turn_expects_entries_of_the_municipality_then_in_force_or_a_conversational_reply() -> None:
    conversations = load()
    assert len(conversations) >= 60 and {c.language for c in conversations} == set(LANGUAGES)
    for conversation in conversations:
        assert 3 <= len(conversation.turns) <= 6, conversation.name
        for turn in conversation.turns:
            assert turn.kind in KINDS and bool(turn.faq_ids) != bool(turn.responses), turn.text
            assert set(turn.responses) <= RESPONSES, turn.text
            known = {entry.id for entry in entries_for(turn.municipality or SHARED_LAYER)}
            assert set(turn.faq_ids) <= known, f"{conversation.name}: {turn.text}"


def test_no_question_of_a_conversation_is_trained_on_or_written_as_a_phrasing() -> None:
    # "Und in Jokkmokk?", "Boden", "thanks": a place or a closing is the same few words everywhere
    questions = {turn.text for conversation in load() for turn in conversation.turns
                 if turn.kind in ("question", "ellipsis")}
    assert not {question_key(text) for text in questions} & training_and_phrasings()


def _answer(faq_id: str, municipality: str) -> dict:
    return {"text": "…", "custom": {"response": "utter_faq_answer", "faq_id": faq_id, "municipality": municipality}}


def test_a_turn_is_right_with_an_expected_entry_for_the_expected_municipality_only() -> None:
    turn = Turn("and in Luleå?", "municipality", "lulea", faq_ids=("lulea.housing.lulebo_queue",))
    confirm = {"text": "…", "custom": {"response": "utter_municipality_set", "municipality": "lulea"}}
    assert judge_turn(turn, [confirm, _answer("lulea.housing.lulebo_queue", "lulea")])[0]
    assert not judge_turn(turn, [_answer("lulea.housing.lulebo_queue", "boden")])[0]  # for the wrong place
    assert not judge_turn(turn, [confirm])[0]  # the question was not answered again
    choices = {"text": "…", "custom": {"response": "utter_faq_choices", "municipality": "lulea",
                                       "choices": ["lulea.housing.lulebo_queue", "shared.housing.sublets"]}}
    assert judge_turn(turn, [choices])[0]  # the first of a close call's buttons counts, as in make eval


def test_a_closing_turn_is_right_with_one_of_its_responses() -> None:
    turn = Turn("no thanks", "closing", "boden", responses=("utter_anything_else", "utter_goodbye"))
    assert judge_turn(turn, [{"text": "…", "custom": {"response": "utter_goodbye"}}])[0]
    assert not judge_turn(turn, [{"text": "…", "custom": {"response": "utter_ask_rephrase"}}])[0]
