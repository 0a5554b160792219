"""Logging for the app process: our packages at INFO, everything scrubbed of configured secrets.

Client libraries log request URLs (the Telegram Bot API puts the token in the path), so scrubbing
at the handler catches what no call site could.
"""

from __future__ import annotations

import datetime as dt
import json
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


class JsonLines(logging.Formatter):
    """One JSON object per line, for log collectors. Our log calls name conversations by their
    pseudonymous id (channel and key, never a token) and never log what a person wrote."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            line["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "exception"
        return json.dumps(line, ensure_ascii=False)


def guard_logs(secrets: list[str], json_lines: bool = False) -> None:
    """Scrub secrets from every log handler and keep HTTP clients from logging request URLs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    redact = RedactSecrets([s for s in secrets if s])
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for ours in OUR_PACKAGES:
            logging.getLogger(ours).setLevel(logging.INFO)
    handlers = root.handlers + logging.getLogger("uvicorn").handlers + logging.getLogger("uvicorn.error").handlers
    for handler in handlers:
        handler.addFilter(redact)
        if json_lines:
            handler.setFormatter(JsonLines())
