"""The satisfaction question through the gateway: asked after a goodbye or a host's hand-back, once,
never during a handoff, rated by button or typed digit, with an optional comment (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from base.catalog import text as catalog_text
from base.messages import Author, BotMessage, HandoffReason, Meta
from gateway.gateway import Gateway
from gateway.inbound import Inbound
from insight.satisfaction import ASK, ASK_COMMENT, SKIP, THANKS
from storage.schema import ratings
from tests.unit.gateway.test_gateway import _with_gateway


def _rasa(request: httpx.Request) -> httpx.Response:
    """Rasa as far as these tests need it: an FAQ answer to a question, a goodbye to "bye"."""
    said = json.loads(request.content)["message"]
    if said == "bye":
        custom = {"response": "utter_goodbye", "language": "pl"}
    else:
        custom = {"response": "utter_faq_answer", "language": "pl", "topic": "housing", "faq_id": "x.y.z"}
    return httpx.Response(200, json=[{"recipient_id": "x", "text": f"re: {said}", "custom": custom}])


def _person(user: str) -> Any:
    def send(text: str) -> Inbound:
        return Inbound(municipality="boden", channel="test", user_id=user, text=text, language_hint="pl",
                       message_id=uuid.uuid4().hex)
    return send


async def _ratings(gateway: Gateway, conversation_id: str) -> list[Any]:
    async with gateway.store.engine.connect() as connection:
        return (await connection.execute(select(ratings).where(ratings.c.conversation_id == conversation_id)
                                         .order_by(ratings.c.id))).all()


def test_goodbye_after_an_answer_asks_once_and_keeps_the_score_and_the_comment(database_url: str) -> None:
    user = uuid.uuid4().hex
    say = _person(user)

    async def body(gateway: Gateway) -> dict[str, Any]:
        seen: dict[str, Any] = {"silent_bye": await gateway.handle(say("bye"))}  # nothing answered yet
        await gateway.handle(say("Jak znaleźć mieszkanie?"))
        seen["bye"] = await gateway.handle(say("bye"))
        seen["rated"] = await gateway.handle(say("4"))  # typed, not pressed
        seen["comment"] = await gateway.handle(say("Bardzo pomocne, dziękuję"))
        seen["bye_again"] = await gateway.handle(say("bye"))  # nothing new answered since
        await gateway.handle(say("A szkoła?"))
        seen["bye_after_more"] = await gateway.handle(say("bye"))
        seen["pressed"] = await gateway.handle(say("/rate_2"))
        seen["skipped"] = await gateway.handle(say(SKIP))
        seen["rows"] = await _ratings(gateway, f"test:{user}")
        return seen

    seen = _with_gateway(database_url, body, _rasa)
    assert [m.meta.response for m in seen["silent_bye"]] == ["utter_goodbye"]
    goodbye, question = seen["bye"]
    assert goodbye.meta.response == "utter_goodbye" and question.meta.response == ASK
    assert question.text == catalog_text("pl", ASK) and [b.title for b in question.buttons] == list("12345")
    assert [m.meta.response for m in seen["rated"]] == [ASK_COMMENT]
    assert seen["rated"][0].buttons[0].title == catalog_text("pl", "satisfaction_no_comment")
    assert [m.text for m in seen["comment"]] == [catalog_text("pl", THANKS)]
    assert [m.meta.response for m in seen["bye_again"]] == ["utter_goodbye"]  # never twice in a row
    assert [m.meta.response for m in seen["bye_after_more"]] == ["utter_goodbye", ASK]
    assert [m.meta.response for m in seen["skipped"]] == [THANKS]
    first, second = seen["rows"]
    assert (first.score, first.comment, first.topic, first.language, first.trigger, first.municipality) == \
        (4, "Bardzo pomocne, dziękuję", "housing", "pl", "goodbye", "boden")
    assert (second.score, second.comment) == (2, None)


def test_a_question_instead_of_a_rating_or_a_comment_goes_to_the_assistant(database_url: str) -> None:
    user = uuid.uuid4().hex
    say = _person(user)

    async def body(gateway: Gateway) -> tuple[list, list, list, list]:
        await gateway.handle(say("Jak znaleźć mieszkanie?"))
        await gateway.handle(say("bye"))
        instead = await gateway.handle(say("A ile kosztuje przedszkole?"))  # not a score: the question lapses
        await gateway.handle(say("bye"))
        await gateway.handle(say("/rate_5"))
        asked = await gateway.handle(say("Czy mogę jeszcze o coś zapytać?"))  # a question, not a comment
        return instead, asked, await _ratings(gateway, f"test:{user}"), []

    instead, asked, rows, _ = _with_gateway(database_url, body, _rasa)
    assert [m.meta.response for m in instead] == ["utter_faq_answer"]
    assert [m.meta.response for m in asked] == ["utter_faq_answer"]
    assert [(row.score, row.comment) for row in rows] == [(None, None), (5, None)]


def test_a_hand_back_asks_but_not_while_a_handoff_is_open(database_url: str) -> None:
    user = uuid.uuid4().hex
    say = _person(user)
    returned = BotMessage(text="Anna handed you back", meta=Meta(language="pl", response="handoff_returned"))

    async def body(gateway: Gateway) -> tuple[list, list]:
        conversation_id = f"test:{user}"
        await gateway.handle(say("Jak znaleźć mieszkanie?"))
        handoff = await gateway.intake.handoffs.start(conversation_id, "boden", "test", "pl", HandoffReason.ASKED)
        await gateway.push(conversation_id, [returned], Author.GATEWAY)  # still open: no question
        during = [m.message.meta.response for m in await gateway.store.transcript(conversation_id)]
        await gateway.intake.handoffs.change(handoff.id, status="returned")
        await gateway.push(conversation_id, [returned], Author.GATEWAY)
        after = [m.message.meta.response for m in await gateway.store.transcript(conversation_id)]
        return during, after

    during, after = _with_gateway(database_url, body, _rasa)
    assert ASK not in during
    assert after[-2:] == ["handoff_returned", ASK]
