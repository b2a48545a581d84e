"""Pure: the service's reading of a request, from the ```json block that opens its chat answer.

The chat flow takes no option fields; the service works the orientation and length out of the prompt (or
the model ID) and says what it understood before anything else:

    ```json
    {"prompt": "…", "orientation": "portrait", "duration": 15}
    ```

That block is the only way to learn that a request was read differently from how it was meant.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["Echo", "read_echo"]

_BLOCK = re.compile(r"```(?:json)?[ \t]*\r?\n(?P<body>.*?)\r?\n[ \t]*```", re.DOTALL | re.IGNORECASE)
_ORIENTATION = re.compile(r'"orientation"\s*:\s*"(?P<value>[a-z]+)"', re.IGNORECASE)
_DURATION = re.compile(r'"duration"\s*:\s*"?(?P<value>[0-9]{1,3})')
_SEARCH_LIMIT = 16 * 1024  # the block comes first; a long answer is not scanned end to end


@dataclass(frozen=True, slots=True)
class Echo:
    """What the service says it will make; None where it did not say."""

    orientation: str | None = None
    duration: int | None = None


def read_echo(content: str) -> Echo | None:
    """The echo at the start of an assistant answer, or None when there is none."""
    m = _BLOCK.search(content[:_SEARCH_LIMIT])
    if m is None:
        return None
    body = m.group("body")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        orientation = data.get("orientation")
        duration = data.get("duration")
        return Echo(
            orientation.strip().lower() if isinstance(orientation, str) and orientation.strip() else None,
            _seconds(duration),
        )
    # Prompts with unescaped quotes make the block invalid JSON; the two fields can still be read.
    o, d = _ORIENTATION.search(body), _DURATION.search(body)
    if o is None and d is None:
        return None
    return Echo(o.group("value").lower() if o else None, int(d.group("value")) if d else None)


def _seconds(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().rstrip("s").isdigit():
        return int(value.strip().rstrip("s"))
    return None
