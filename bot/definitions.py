"""Assistant-wide definitions shared by the Rasa side and the app side.

Kept dependency-free so both Python environments can import it.
"""

#: Languages the assistant speaks completely (training data, catalogs, shared FAQ answers).
LANGUAGES: tuple[str, ...] = ("sv", "en", "fi", "pl", "de", "uk", "ar", "es")

#: Languages every FAQ entry must answer in; others fall back to English with a notice.
REQUIRED_ANSWER_LANGUAGES: tuple[str, ...] = ("sv", "en")

#: The language used when nothing better is known, and the fallback for missing FAQ text.
FALLBACK_LANGUAGE = "en"

#: Topic intents; each is also an FAQ topic. "general" holds entries no intent owns.
TOPIC_INTENTS: tuple[str, ...] = (
    "housing",
    "schools",
    "work",
    "leisure",
    "healthcare",
    "registration",
    "language_courses",
    "transport",
    "cost_of_living",
    "climate",
)
FAQ_TOPICS: tuple[str, ...] = (*TOPIC_INTENTS, "general")
