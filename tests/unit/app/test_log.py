"""Log scrubbing: configured secrets never reach a log line."""

from __future__ import annotations

import logging

from app.log import RedactSecrets


def test_secrets_are_scrubbed_from_log_records() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s", ("https://x/bot123:abc/send",), None)
    RedactSecrets(["123:abc"]).filter(record)
    assert record.getMessage() == "POST https://x/bot***/send"
