"""The gateway: raw input handling, conversation records, retries and ordering (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np

from base.catalog import text as catalog_text
from gateway.channel import Channel
from gateway.gateway import Gateway, Unavailable
from gateway.inbound import Inbound
from gateway.rasa import RasaClient
from gateway.text import MAX_CHARS, clean_text, to_rasa_text
from handoff.events import Events
from handoff.hosts import HostStore
from handoff.intake import Intake
from handoff.records import HandoffStore
from knowledge.model.encoder import shared_encoder
from storage.rates import RateLimits, RateRules
from storage.store import Conversation, Store


def test_control_characters_are_removed_but_line_breaks_kept() -> None:
    assert clean_text("  hej\x00\x07 där\u200b\nnästa rad \x1b[31m ") == "hej där\nnästa rad [31m"


def test_lang_command_becomes_a_payload() -> None:
    assert to_rasa_text("/lang pl") == '/change_language{"language": "pl"}'
    assert to_rasa_text("/lang pl-PL") == '/change_language{"language": "pl"}'
    assert to_rasa_text("/lang") == "/change_language"


def test_button_payloads_pass_and_other_slashes_are_text() -> None:
    assert to_rasa_text('/choose_municipality{"municipality": "lulea"}').startswith("/choose_municipality")
    assert to_rasa_text("/etc/passwd") == "etc/passwd"
    assert to_rasa_text("/restart") == "restart"
    assert to_rasa_text('/choose_municipality{"broken') == 'choose_municipality{"broken'


def _inbound(text: str, hint: str | None = None, user: str = "u1", message_id: str | None = None) -> Inbound:
    return Inbound(municipality="boden", channel="test", user_id=user, text=text, language_hint=hint,
                   message_id=message_id)


def _with_gateway(database_url: str, body: Callable[[Gateway], Awaitable[Any]],
                  handler: Callable[[httpx.Request], Any] | None = None, rates: RateLimits | None = None) -> Any:
    """Run body against a gateway on a fresh schema, with Rasa replaced by handler (or down)."""

    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        if handler is None:
            # Nothing listens on the discard port.
            rasa = RasaClient("http://127.0.0.1:9", "internal-token", timeout=0.5)
        else:
            rasa = RasaClient("http://rasa.test", "internal-token", transport=httpx.MockTransport(handler))
        intake = Intake(HandoffStore(store), HostStore(store))
        gateway = Gateway(store, rasa, intake, Events(), rates or RateLimits())
        try:
            return await body(gateway)
        finally:
            await gateway.close()
            await store.close()

    return asyncio.run(main())


def test_empty_message_gets_a_polite_reply_in_the_hinted_language(database_url: str) -> None:
    replies = _with_gateway(database_url, lambda g: g.handle(_inbound("   \x00 ", hint="sv")))
    assert replies[0].text == "Ditt meddelande verkar vara tomt. Vad vill du veta?"


def test_very_long_message_is_declined_politely_in_its_language(database_url: str) -> None:
    text = ("Jak mogę znaleźć mieszkanie dla mojej rodziny w Boden? " * 400)[: MAX_CHARS * 10]
    replies = _with_gateway(database_url, lambda g: g.handle(_inbound(text)))
    assert replies[0].meta.language == "pl"
    assert replies[0].meta.response == "utter_message_too_long"


def test_rasa_down_apologises_offers_the_host_and_keeps_the_message(database_url: str) -> None:
    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> tuple[list, list]:
        replies = await gateway.handle(_inbound("Wie finde ich eine Wohnung in Boden?", user=user))
        return replies, await gateway.store.transcript(f"test:{user}")

    replies, transcript = _with_gateway(database_url, body)
    assert replies[0].meta.response == "utter_service_unavailable"
    assert replies[0].meta.language == "de"
    assert replies[0].text.startswith(catalog_text("de", "utter_service_unavailable"))
    assert "organiserad-inflyttningsservice" in replies[0].text  # Boden's published relocation service
    assert transcript[0].text == "Wie finde ich eine Wohnung in Boden?"
    assert transcript[0].status == "unanswered"


def test_gateway_forwards_metadata_to_rasa(database_url: str) -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(json.loads(request.content))
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "ok", "custom": {"language": "pl"}}])

    _with_gateway(database_url, lambda g: g.handle(_inbound("Jak znaleźć mieszkanie?", hint="pl-PL")), handler)
    vector = seen["metadata"].pop("e5_vector")
    assert seen["metadata"] == {"municipality": "boden", "language": "pl", "channel": "test", "message_id": None}
    assert seen["sender"] == "test:u1"
    # The message's e5 vector, computed once here so that Rasa runs no model pass of its own.
    decoded = np.frombuffer(base64.b64decode(vector), dtype="<f4")
    np.testing.assert_allclose(decoded, shared_encoder().query_vector("Jak znaleźć mieszkanie?"), atol=1e-6)


def test_a_retried_delivery_is_answered_once(database_url: str) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content)["message"])
        return httpx.Response(200, json=[{"text": "svar", "custom": {"language": "sv"}}])

    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> tuple[list, list, int]:
        first = await gateway.handle(_inbound("Hur hittar jag bostad?", user=user, message_id="m-1"))
        again = await gateway.handle(_inbound("Hur hittar jag bostad?", user=user, message_id="m-1"))
        return first, again, await gateway.store.count_messages(f"test:{user}")

    first, again, stored = _with_gateway(database_url, body, handler)
    assert [m.text for m in first] == ["svar"]
    assert again == []
    assert calls == ["Hur hittar jag bostad?"]
    assert stored == 2  # the question once, the answer once


def test_replies_reach_the_person_in_the_order_they_wrote(database_url: str) -> None:
    async def slow_first(request: httpx.Request) -> httpx.Response:
        message = json.loads(request.content)["message"]
        if message == "first":
            await asyncio.sleep(0.3)  # Rasa takes longer on the first message
        return httpx.Response(200, json=[{"text": f"answer to {message}"}])

    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> tuple[list[str], list[str | None]]:
        delivered: list[str] = []

        async def deliver(replies: list[dict]) -> None:
            delivered.extend(r.text for r in replies)

        await asyncio.gather(*(gateway.handle(_inbound(text, user=user, message_id=text), deliver)
                               for text in ("first", "second", "third")))
        transcript = await gateway.store.transcript(f"test:{user}")
        return delivered, [m.text for m in transcript]

    delivered, transcript = _with_gateway(database_url, body, slow_first)
    assert delivered == ["answer to first", "answer to second", "answer to third"]
    assert transcript == ["first", "answer to first", "second", "answer to second", "third", "answer to third"]


def test_a_long_button_payload_is_stored_behind_a_short_id(database_url: str) -> None:
    payload = "Hur lång är kön till hyresrätt hos det kommunala bostadsbolaget i Boden?"

    async def body(gateway: Gateway) -> tuple[str, str, str | None]:
        short = await gateway.button_id("/greet", 64)
        token = await gateway.button_id(payload, 64)
        return short, token, await gateway.store.payload(token)

    short, token, resolved = _with_gateway(database_url, body)
    assert short == "/greet"
    assert len(token.encode()) <= 64 and token.startswith("#")
    assert resolved == payload


def test_a_slow_rasa_or_a_silent_action_server_still_gets_the_person_an_apology(database_url: str) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("Rasa took too long", request=request)

    def silent(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[])  # what Rasa answers when its action server is down

    for rasa in (slow, silent):
        replies = _with_gateway(database_url, lambda g: g.handle(_inbound("Hur hittar jag en bostad i Boden?",
                                                                          user=uuid.uuid4().hex)), rasa)
        assert replies[0].meta.response == "utter_service_unavailable"
        assert replies[0].meta.language == "sv"
        assert replies[0].meta.handoff_offered is True


def _fixed_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"text": "svar", "custom": {"language": "sv"}}])


def test_a_conversation_over_its_limit_is_kept_and_told_to_wait_once_per_minute(database_url: str) -> None:
    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> tuple[list, list, list[str], int]:
        delivered: list[str] = []

        async def deliver(replies: list) -> None:
            delivered.extend(r.meta.response or "" for r in replies)

        answers = [await gateway.handle(_inbound(f"fråga {i}", user=user, message_id=str(i)), deliver)
                   for i in range(4)]
        return answers[2], answers[3], delivered, await gateway.store.count_messages(f"test:{user}")

    third, fourth, delivered, stored = _with_gateway(database_url, body, _fixed_answer,
                                                     RateLimits(RateRules.from_spec("message=2/minute")))
    assert third[0].meta.response == "utter_rate_limited" and 50 <= third[0].meta.retry_after <= 60
    assert third[0].text.startswith("Du skickar meddelanden snabbare än jag hinner svara.")
    assert fourth[0].meta.response == "utter_rate_limited"  # an HTTP client is told every time…
    assert delivered == ["", "", "utter_rate_limited"]  # …a chat channel once a minute
    assert stored == 4 + 2 + 1  # every question kept for the hosts, two answers, one notice


def _offers_a_host(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"text": "En person kan hjälpa dig.", "custom": {
        "language": "sv", "response": "utter_human_contact", "handoff_offered": True, "handoff_reason": "asked",
        "municipality": "boden"}}])


def test_handoffs_per_municipality_are_limited_and_the_person_gets_the_contact_instead(database_url: str) -> None:
    async def body(gateway: Gateway) -> list[list]:
        return [await gateway.handle(_inbound("Jag vill prata med en människa", user=uuid.uuid4().hex))
                for _ in range(2)]

    first, second = _with_gateway(database_url, body, _offers_a_host,
                                  RateLimits(RateRules.from_spec("municipality_handoff=1/hour")))
    assert first[-1].meta.response == "handoff_ask_method"
    assert second[-1].meta.response == "handoff_busy"
    assert second[-1].text.startswith(catalog_text("sv", "handoff_busy", municipality_name="Boden"))
    assert "organiserad-inflyttningsservice" in second[-1].text  # the published contact, so nobody is left without help


def test_a_typed_deletion_confirmation_without_the_question_deletes_nothing(database_url: str) -> None:
    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> int:
        await gateway.handle(_inbound("Hur hittar jag bostad?", user=user))
        await gateway.handle(_inbound("/delete_confirm", user=user))
        return await gateway.store.count_messages(f"test:{user}")

    assert _with_gateway(database_url, body, _fixed_answer) == 4  # both questions and both answers are kept


class _Recorder(Channel):
    """A channel that records what the gateway pushes to people."""

    name = "test"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, conversation: Conversation, messages: list) -> None:
        self.sent += [m.text for m in messages]


def _echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"text": f"svar på {json.loads(request.content)['message']}"}])


def test_messages_stored_now_are_answered_later_in_the_order_they_came(database_url: str) -> None:
    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> tuple[list[bool], list[str], int]:
        channel = _Recorder()
        gateway.register(channel)
        accepted = [await gateway.accept(_inbound(text, user=user, message_id=text)) for text in ("ett", "två", "tre")]
        accepted.append(await gateway.accept(_inbound("ett", user=user, message_id="ett")))  # delivered again
        await gateway.answer_pending(f"test:{user}")
        await gateway.answer_pending(f"test:{user}")  # nothing is answered twice
        return accepted, channel.sent, await gateway.store.count_messages(f"test:{user}")

    accepted, sent, stored = _with_gateway(database_url, body, _echo)
    assert accepted == [True, True, True, True]  # the repeat is still waiting for its answer: not new, not lost
    assert sent == ["svar på ett", "svar på två", "svar på tre"]
    assert stored == 6


def test_a_message_whose_process_died_is_answered_by_the_next_look(database_url: str) -> None:
    user = uuid.uuid4().hex

    async def body(gateway: Gateway) -> tuple[int, list[str], list, list]:
        channel = _Recorder()
        gateway.register(channel)
        # Stored by a process that died before it could answer:
        await gateway.store.record_inbound(f"test:{user}", "test", user, "boden", "Hur hittar jag bostad?", "m-1")
        recovered = await gateway.recover(dt.timedelta(seconds=0))
        again = await gateway.handle(_inbound("Hur hittar jag bostad?", user=user, message_id="m-1"))
        return recovered, channel.sent, again, await gateway.store.pending(f"test:{user}")

    recovered, sent, again, pending = _with_gateway(database_url, body, _echo)
    assert recovered >= 1
    assert sent == ["svar på Hur hittar jag bostad?"]
    assert again == [] and pending == []  # the platform's late retry finds it answered


def test_without_the_records_nothing_is_promised() -> None:
    async def main() -> str:
        store = Store("postgresql+psycopg://nobody@127.0.0.1:9/none")  # nothing listens there
        gateway = Gateway(store, RasaClient("http://127.0.0.1:9", "t"), Intake(HandoffStore(store), HostStore(store)),
                          Events(), RateLimits())
        try:
            await gateway.handle(_inbound("Hej"))
        except Unavailable as exc:
            return type(exc).__name__
        finally:
            await gateway.close()
            await store.close()
        return "answered"

    assert asyncio.run(main()) == "Unavailable"


def test_a_meeting_request_is_followed_by_the_free_times_and_answered_without_rasa(database_url: str) -> None:
    """Rasa recognises the wish; the gateway offers the times and takes the booking from there."""
    from handoff.meetings.availability import Availability
    from storage.schema import meeting_hours

    calls: list[str] = []
    user = uuid.uuid4().hex

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content)["message"])
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "Umówmy spotkanie.",
                                          "custom": {"response": "utter_book_meeting", "language": "pl",
                                                     "municipality": "boden"}}])

    async def body(gateway: Gateway) -> tuple[list, list]:
        async with gateway.store.engine.begin() as connection:
            await connection.execute(meeting_hours.delete())  # only this test's host offers times
        host = await gateway.intake.hosts.add(f"m-{user[:8]}@boden.example", "Ewa", "a long password 123", "boden")
        for weekday in range(7):
            await Availability(gateway.store).add_weekly(host.id, weekday, "10:00", 30)
        offered = await gateway.handle(_inbound("Chcę umówić spotkanie", user=user))
        picked = await gateway.handle(_inbound("1", user=user))  # typed: the first time
        return offered, picked

    offered, picked = _with_gateway(database_url, body, handler)
    assert [reply.meta.response for reply in offered] == ["utter_book_meeting", "meeting_choose"]
    assert offered[1].buttons and offered[1].meta.language == "pl"
    assert picked[0].meta.response == "meeting_ask_email" and "Ewa" in picked[0].text
    assert picked[0].meta.language == "pl"  # the language of the offer it answers
    assert calls == ["Chcę umówić spotkanie"]  # the pick never reached Rasa
