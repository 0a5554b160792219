"""The web channel without a server: the socket.io message shape and the widget's language."""

from __future__ import annotations

from base.messages import BotMessage
from channels.web.channel import to_socketio
from channels.web.pages import widget_language


def test_web_messages_have_exactly_the_keys_rasa_webchat_renders() -> None:
    assert to_socketio(BotMessage.from_wire({"text": "Hej", "custom": {"faq_id": "x"}})) == {"text": "Hej"}
    message = to_socketio(BotMessage.from_wire(
        {"text": "Välj", "buttons": [{"title": "Boden", "payload": "/x"}], "custom": {}}))
    assert message == {"text": "Välj", "quick_replies": [{"content_type": "text", "title": "Boden", "payload": "/x"}]}


def test_widget_language_follows_the_browser() -> None:
    assert widget_language("pl-PL,pl,en-US") == "pl"
    assert widget_language("zh-CN,de-DE") == "de"
    assert widget_language("zh-CN") == "en"
    assert widget_language(None) == "en"
