"""Logging for the app process: our packages at INFO, everything scrubbed of configured secrets.

Client libraries log request URLs (the Telegram Bot API puts the token in the path), so scrubbing
at the handler catches what no call site could.
"""

from __future__ import annotations

import logging

#: The project's own packages, whose INFO lines an operator wants to see.
OUR_PACKAGES = ("app", "gateway", "channels", "console", "handoff", "actions", "assistant", "knowledge", "storage")


class RedactSecrets(logging.Filter):
    """Replaces any configured secret in a log record with ***, whoever logged it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def guard_logs(secrets: list[str]) -> None:
    """Scrub secrets from every log handler and keep HTTP clients from logging request URLs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    redact = RedactSecrets([s for s in secrets if s])
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for ours in OUR_PACKAGES:
            logging.getLogger(ours).setLevel(logging.INFO)
    for handler in root.handlers + logging.getLogger("uvicorn").handlers + logging.getLogger("uvicorn.error").handlers:
        handler.addFilter(redact)
