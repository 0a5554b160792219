"""Assistant-wide definitions shared by the Rasa side and the app side.

Kept dependency-free so both Python environments can import it.
"""

#: The longest message the assistant reads; a longer one is answered "please shorten it" (a FAQ
#: question is never this long, and every model, search and masking step is bounded by it).
MAX_MESSAGE_CHARS = 2000
#: The longest text the product accepts or stores from anyone (Telegram's and WhatsApp's own limit).
MAX_STORED_CHARS = 4096

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

#: The usual language of a phone number's country (ISO 3166 region → our language code). A weak
#: hint only: a Swede may write Arabic; the text itself decides as soon as it is long enough.
REGION_LANGUAGES: dict[str, str] = {
    "SE": "sv", "AX": "sv",
    "FI": "fi",
    "PL": "pl",
    "DE": "de", "AT": "de", "LI": "de",
    "UA": "uk",
    "ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "PE": "es", "VE": "es", "EC": "es", "BO": "es",
    "UY": "es", "PY": "es", "CU": "es", "DO": "es", "GT": "es", "HN": "es", "SV": "es", "NI": "es", "CR": "es",
    "PA": "es",
    "SY": "ar", "IQ": "ar", "JO": "ar", "LB": "ar", "PS": "ar", "EG": "ar", "SA": "ar", "AE": "ar", "KW": "ar",
    "QA": "ar", "BH": "ar", "OM": "ar", "YE": "ar", "LY": "ar", "TN": "ar", "DZ": "ar", "MA": "ar", "SD": "ar",
    "GB": "en", "IE": "en", "US": "en", "CA": "en", "AU": "en", "NZ": "en",
}
