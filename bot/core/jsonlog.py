"""LOG_FORMAT=json: one JSON object per line, for a log collector, with the IDs bound to the job at hand
(bot/core/logcontext.py). Plain text stays the default, for a person at a terminal.

The handler's filters (the secret scrubber, bot/core/logs.py) run before any formatter, on the message and on
a traceback's text (`exc_text`); this formatter writes what they left, never the raw exception again.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot.core.logcontext import bound


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", job_id?, guild_id?, shard_id?, task_id?, "exception"?}` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **bound(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter_for(log_format: str, plain: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT: JSON lines, or `plain` (a %-style format) for text."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(plain)
