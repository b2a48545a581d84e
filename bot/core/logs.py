"""Logging set-up: one format, quiet library loggers, and secrets scrubbed from every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# discord.py logs request bodies and webhook URLs (which embed interaction tokens) at DEBUG.
_NEVER_DEBUG = ("discord.http", "discord.webhook", "discord.gateway")

# Secrets learnt while the bot runs (a server's own video API key, once it is set or read), scrubbed like those
# given at start-up by every RedactSecrets filter.
_LEARNT: set[str] = set()


def register_secret(secret: str) -> None:
    """Scrub `secret` from every log record from now on (short strings are ignored: they would mangle logs)."""
    if len(secret) >= 8:
        _LEARNT.add(secret)


class RedactSecrets(logging.Filter):
    """Replace any secret that reaches a log record, whatever logger or library produced it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = (*self._secrets, *_LEARNT)
        if not secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in secrets:
            redacted = redacted.replace(secret, "********")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NEVER_DEBUG:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
