"""Rasa's response generator: names the response and leaves its words to the app's gateway.

Every text lives in the app's per-language catalogs (``assistant/nlg.py``, with plural rules and
the municipality's facts), which this Python 3.10 environment does not hold. Rasa's callback
generator fetched each response from the app over HTTP, shipping the whole tracker each time; this
generator instead returns what the catalog needs — the response's name, the action's arguments and
the conversation's language and municipality at this point of the turn — and the gateway renders it
when Rasa's answer arrives (``gateway/rasa.py``). One HTTP round trip less per response.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker

#: The key of a bot message's ``custom`` payload that holds what the gateway renders.
RENDER_KEY = "render"
#: The slots a response's words depend on.
SLOTS = ("language", "municipality")
#: Parts of an action's message that are not arguments of the response.
NOT_ARGUMENTS = {"text", "buttons", "elements", "custom", "json_message", "template", "response", "image",
                 "attachment", "quick_replies"}


class DeferredNaturalLanguageGenerator(NaturalLanguageGenerator):
    """Loaded by Rasa from endpoints.yml (``nlg: {type: bot.nlg.DeferredNaturalLanguageGenerator}``)."""

    def __init__(self, endpoint_config: Any = None, domain: Any = None, **_: Any) -> None:
        self.domain = domain

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[Dict[str, Any]]:
        arguments = {key: value for key, value in kwargs.items() if key not in NOT_ARGUMENTS}
        slots = {name: tracker.get_slot(name) for name in SLOTS}
        return {"custom": {RENDER_KEY: {"response": utter_action, "arguments": arguments, "slots": slots}}}
