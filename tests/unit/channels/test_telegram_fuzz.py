"""Telegram updates as an attacker would write them: whatever arrives, the bot never crashes and
turns it into nothing or a well-formed gateway message whose municipality it did not take on trust.

The strategies at the top (any JSON, hostile strings, a mutator for near-valid payloads) are shared
by the other channel fuzz tests.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from telegram import Update

import municipalities
from channels.config import TelegramBot
from channels.telegram.bot import CHANNEL, ConfiguredBot
from gateway.inbound import Inbound

# ---------------------------------------------------------------------------------------------
# Shared strategies
# ---------------------------------------------------------------------------------------------

#: The longest platform message id the conversation store keeps (storage.schema: external_id String(200)).
MAX_MESSAGE_ID = 200

#: Any character at all: every Unicode category, lone surrogates included (JSON "\ud800" decodes to one).
any_char = st.characters(exclude_categories=())
#: Strings that have broken parsers before: empty, invisible, direction overrides, commands, injections.
nasty = st.sampled_from([
    "", " ", "\x00", "\n", "\r\n", "\t", "\x1b[2J", "\u200b", "\u200d", "\u202e", "\ufeff", "\ud800", "\udfff",
    "🇸🇪", "👨\u200d👩\u200d👧", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "#", "#" + "0" * 32,
    "/start", "/start boden", "/START LULEA", "/start@newcomer_bot jokkmokk", "/start@x evil", "/start ../boden",
    "/greet", "/ /restart", "/choose_municipality{\"municipality\": \"boden\"}", "<script>alert(1)</script>",
    "'; DROP TABLE messages; --", "../../etc/passwd", "${jndi:ldap://x/a}", "%s%s%n", "boden", "BODEN", "Luleå",
])
#: A long run of a short unit: messages far past every platform limit.
huge = st.builds(operator.mul, st.text(any_char, min_size=1, max_size=3), st.integers(1_000, 70_000))
strings = st.one_of(st.text(any_char, max_size=40), nasty, huge)
#: Keys of the platforms' wire formats, so that arbitrary objects sometimes hit real fields.
wire_keys = st.sampled_from([
    "update_id", "message", "edited_message", "callback_query", "message_id", "date", "chat", "id", "type",
    "from", "text", "caption", "data", "language_code", "object", "entry", "changes", "value", "metadata",
    "phone_number_id", "messages", "statuses", "interactive", "button_reply", "list_reply", "button",
    "payload", "body", "session_id", "customData", "municipality", "language",
])
keys = st.one_of(wire_keys, st.text(any_char, max_size=12))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings)
#: Any JSON document Python's json module can produce (NaN and ±Infinity included: json.loads takes them).
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(keys, json_values, max_size=6)


def _slots(document: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key or index) of every value inside a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield document, key
            yield from _slots(value)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield document, index
            yield from _slots(value)


@st.composite
def mutated(draw: st.DrawFn, skeletons: st.SearchStrategy[Any]) -> Any:
    """A valid payload with a few of its values replaced by junk, removed, wrapped or joined by others."""
    document = copy.deepcopy(draw(skeletons))
    for _ in range(draw(st.integers(1, 4))):
        slots = list(_slots(document))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(("replace", "delete", "add", "wrap")))
        if action == "replace":
            container[key] = draw(json_values)
        elif action == "delete":
            del container[key]
        elif action == "wrap":
            container[key] = draw(st.sampled_from(([container[key]], {"": container[key]})))
        elif isinstance(container, dict):
            container[draw(keys)] = draw(json_values)
        else:
            container.append(draw(json_values))
    return document


def assert_well_formed(inbound: Inbound, channel: str) -> None:
    """What every channel must hand the gateway, whatever it was sent."""
    assert isinstance(inbound, Inbound)
    assert inbound.channel == channel
    assert isinstance(inbound.user_id, str) and inbound.user_id
    assert isinstance(inbound.text, str)
    assert inbound.municipality is None or inbound.municipality in municipalities.load_all()
    assert inbound.language_hint is None or isinstance(inbound.language_hint, str)
    assert inbound.message_id is None or (isinstance(inbound.message_id, str)
                                          and len(inbound.message_id) <= MAX_MESSAGE_ID)
    assert inbound.button_token is None or (isinstance(inbound.button_token, str)
                                            and inbound.button_token.startswith("#"))
    assert isinstance(inbound.media, bool)


# ---------------------------------------------------------------------------------------------
# Telegram
# ---------------------------------------------------------------------------------------------


async def _no_button_id(payload: str, limit: int) -> str:  # pragma: no cover - parsing never sends
    raise AssertionError("parsing an update must not send anything")


#: A municipality's own bot, and a regional one that asks (or takes a /start deep link).
MUNICIPAL = ConfiguredBot(TelegramBot(name="boden", token="123:abc", webhook_secret="s", municipality="boden",
                                      api_url="http://127.0.0.1:9/bot"), _no_button_id)
REGIONAL = ConfiguredBot(TelegramBot(name="norrbotten", token="456:def", webhook_secret="s",
                                     api_url="http://127.0.0.1:9/bot"), _no_button_id)
BOTS = st.sampled_from([MUNICIPAL, REGIONAL])

#: Telegram's ids: integers within 52 bits (chat ids of supergroups are negative).
tg_ids = st.integers(-(2**52), 2**52) | st.sampled_from([0, -1, 2**31 - 1, -1001234567890])
deep_links = st.builds(
    lambda command, mention, space, argument, tail: f"{command}{mention}{space}{argument}{tail}",
    st.sampled_from(["/start", "/START", "/Start", " /start", "/starter", "/start/"]),
    st.sampled_from(["", "@newcomer_bot", "@x", "@", "@bad bot"]),
    st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", "\u3000"]),
    st.sampled_from(sorted(municipalities.load_all())) | st.sampled_from(["BODEN", "Luleå", "evil", "boden\x00",
                                                                         "../boden", ""]) | strings,
    st.sampled_from(["", " ", "\n", " extra", "\x00"]),
)
message_texts = st.one_of(strings, deep_links)
users = st.fixed_dictionaries(
    {"id": tg_ids, "is_bot": st.booleans(), "first_name": strings},
    optional={"language_code": st.sampled_from(["sv", "en", "pl-PL", "uk", "ar", "zz", "", "x" * 64]) | strings,
              "username": strings, "last_name": strings},
)
chats = st.fixed_dictionaries(
    {"id": tg_ids, "type": st.sampled_from(["private", "group", "supergroup", "channel", "sender"])},
    optional={"title": strings, "username": strings},
)
photos = st.just([{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}])
messages = st.fixed_dictionaries(
    {"message_id": tg_ids, "date": st.integers(0, 2**31 - 1), "chat": chats},
    optional={"from": users, "text": message_texts, "caption": message_texts, "photo": photos,
              "entities": st.just([{"type": "bot_command", "offset": 0, "length": 6}])},
)
callback_queries = st.fixed_dictionaries(
    {"id": st.text(any_char, max_size=64), "from": users, "chat_instance": st.text(max_size=20)},
    optional={"message": messages,
              "data": strings | st.sampled_from(["#" + "ab" * 16, "/choose_municipality{\"municipality\":\"lulea\"}"])},
)
#: Bot API updates with every field of the right type but hostile values.
updates = st.fixed_dictionaries(
    {"update_id": st.integers(0, 2**31 - 1)},
    optional={"message": messages, "edited_message": messages, "channel_post": messages,
              "callback_query": callback_queries, "future_field": json_values},
)

#: A text message as Telegram sends it, for the examples below.
PLAIN = {"update_id": 1, "message": {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"},
                                     "from": {"id": 42, "is_bot": False, "first_name": "A"}, "text": "hej"}}


def _with(path: tuple[str, ...], value: Any, document: dict[str, Any] = PLAIN) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


CALLBACK = {"update_id": 2, "callback_query": {"id": "9", "chat_instance": "c", "data": "/greet",
                                               "from": {"id": 42, "is_bot": False, "first_name": "A"},
                                               "message": PLAIN["message"]}}


def _check(bot: ConfiguredBot, raw: Any) -> Inbound | None:
    """update_of then inbound, as the webhook does, with everything a result must satisfy."""
    update = bot.update_of(raw)
    if update is None:
        return None
    inbound = bot.inbound(update)
    if inbound is None:
        return None
    assert_well_formed(inbound, CHANNEL)
    assert inbound.user_id.startswith(f"{bot.config.name}:")
    if bot.config.municipality is not None:
        # A municipality's own bot speaks for it alone, whatever the update says.
        assert inbound.municipality == bot.config.municipality
    elif inbound.municipality is not None:
        # A regional bot takes a municipality only from a /start deep link that names a configured one.
        assert update.message is not None and update.callback_query is None
        said = update.message.text or update.message.caption
        assert re.match(r"^/start(@\w+)?\s+", said)
        assert said.split()[1].lower() == inbound.municipality
        assert inbound.text == "/greet"
    return inbound


@pytest.mark.fuzz
@given(st.one_of(json_values, json_objects, mutated(updates)))
@example(_with(("message", "date"), 10**20))
@example(_with(("message", "date"), 10**17))
def test_update_of_never_raises_on_any_json(raw: Any) -> None:
    """Fixed: ConfiguredBot.update_of (channels/telegram/bot.py:92) promises "never an exception" but does
    not catch OverflowError or OSError, which python-telegram-bot raises for a date outside the platform's
    time_t (any "date": message, my_chat_member…), e.g. {"update_id": 1, "message": {"message_id": 7,
    "date": 10**20, "chat": {"id": 42, "type": "private"}, "text": "hej"}}."""
    update = MUNICIPAL.update_of(raw)
    assert update is None or isinstance(update, Update)


@pytest.mark.fuzz
@given(BOTS, updates)
def test_updates_of_the_right_types_give_well_formed_messages(bot: ConfiguredBot, raw: dict[str, Any]) -> None:
    inbound = _check(bot, raw)
    if "message" not in raw and "callback_query" not in raw:
        assert inbound is None  # edited messages, channel posts and the unknown are not a person's message


@pytest.mark.fuzz
@given(BOTS, st.one_of(json_objects, mutated(updates)))
@example(MUNICIPAL, _with(("message", "text"), 5))
@example(MUNICIPAL, _with(("callback_query", "data"), 5, CALLBACK))
@example(MUNICIPAL, _with(("message", "from", "language_code"), 5))
@example(MUNICIPAL, _with(("message", "message_id"), "x" * 1000))
def test_near_valid_updates_never_crash_and_are_never_trusted(bot: ConfiguredBot, raw: dict[str, Any]) -> None:
    """Fixed: ConfiguredBot.inbound (channels/telegram/bot.py) trusts the types python-telegram-bot's
    de_json does not check: a non-string text or caption crashes _START.match (bot.py:75, TypeError),
    non-string callback data crashes query.data.startswith (bot.py:62, AttributeError), a non-string
    language_code becomes Inbound.language_hint (bot.py:66/83), and message_id is str() of whatever was
    sent, unbounded (bot.py:67/84; the store's external_id column is String(200)); a mutated date also
    trips the update_of bug above. Reachable only with a bot's webhook secret (or by polling), i.e. from
    Telegram itself: defence in depth, not an open door."""
    _check(bot, raw)


@pytest.mark.parametrize(("raw", "why"), [
    (_with(("message", "text"), 5), "text 5: TypeError in _START.match (bot.py:75)"),
    (_with(("message", "caption"), ["x"], _with(("message", "text"), None)),
     "caption ['x']: TypeError in _START.match (bot.py:75)"),
    (_with(("callback_query", "data"), 5, CALLBACK), "data 5: AttributeError in query.data.startswith (bot.py:62)"),
    (_with(("message", "from", "language_code"), {"a": 1}), "language_code {'a': 1} kept as the hint (bot.py:83)"),
    (_with(("message", "message_id"), "x" * 1000), "message_id of 1000 characters kept whole (bot.py:84)"),
    (_with(("callback_query", "id"), "y" * 1000, CALLBACK), "callback id of 1000 characters kept (bot.py:67)"),
    (_with(("message", "date"), 10**20), "date 10**20: OverflowError escapes update_of (bot.py:92)"),
    (_with(("message", "date"), 10**17), "date 10**17: OSError escapes update_of (bot.py:92)"),
], ids=["text", "caption", "callback-data", "language-code", "message-id", "callback-id", "date-overflow",
        "date-oserror"])
def test_wrong_types_from_the_bot_api_are_not_trusted(raw: dict[str, Any], why: str) -> None:
    """Fixed: each of these crashes the update's processing or hands the gateway a malformed message (the
    id says which field, ``why`` where); see test_near_valid_updates_never_crash_and_are_never_trusted."""
    _check(MUNICIPAL, raw)


def test_deep_link_sets_the_municipality_only_on_a_regional_bot() -> None:
    start = _with(("message", "text"), "/start@newcomer_bot LULEA")
    assert _check(REGIONAL, start).municipality == "lulea"
    assert _check(REGIONAL, start).text == "/greet"
    assert _check(MUNICIPAL, start).municipality == "boden"
    assert _check(REGIONAL, _with(("message", "text"), "/start evil")).municipality is None
    assert _check(REGIONAL, _with(("message", "text"), "/start")).municipality is None
    assert _check(REGIONAL, _with(("message", "text"), "please /start lulea")).municipality is None
    assert _check(REGIONAL, _with(("callback_query", "data"), "/start lulea", CALLBACK)).municipality is None


def test_edited_messages_and_channel_posts_are_not_messages() -> None:
    assert _check(MUNICIPAL, {"update_id": 3, "edited_message": PLAIN["message"]}) is None
    assert _check(MUNICIPAL, {"update_id": 4, "channel_post": PLAIN["message"]}) is None
    assert _check(MUNICIPAL, {"update_id": 5}) is None
