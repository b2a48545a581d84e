"""Logging set-up: one format, quiet library loggers, and secrets scrubbed from every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.core import scrub

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# discord.py logs request bodies and webhook URLs (which embed interaction tokens) at DEBUG.
_NEVER_DEBUG = ("discord.http", "discord.webhook", "discord.gateway")
_TRACEBACKS = logging.Formatter()



def register_secret(secret: str) -> None:
    """Scrub a secret learnt while the bot runs (a server's own video API key, once it is set or read) from
    every log record from now on, and from everything else bot.core.scrub cleans (short strings are ignored:
    they would mangle text)."""
    scrub.remember(secret)


class RedactSecrets(logging.Filter):
    """Scrub every record, whatever logger or library produced it: its message, its traceback and its stack.

    The traceback is rendered here (into `exc_text`, which every `logging.Formatter` reuses) and scrubbed, and
    `exc_info` is dropped, so that no formatter can render the unscrubbed exception again: an exception's text
    is often a vendor's answer or a URL with a key in it.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)
        scrub.remember(*self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = scrub.scrub(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub.scrub(record.stack_info)
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
