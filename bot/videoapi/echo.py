"""Pure: the service's reading of a request, from the ```json block that opens its chat answer.

The chat flow takes no option fields; the service works the orientation out of the prompt (the length follows
the model) and says what it understood before anything else, in one of several spellings:

    ```json
    {"prompt": "…", "orientation": "portrait", "duration": 15}
    {"prompt": "…", "mode": "横屏模式"}
    {"prompt": "…", "ratio": "9:16", "n": 1}
    ```

That block is the only way to learn that a request was read differently from how it was meant, so every
spelling seen is read: `orientation`, `mode` (横屏模式 / 竖屏模式), `aspect_ratio` / `ratio`; `duration` /
`seconds` ("15", 15, "15s", "15秒").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["Echo", "orientation_word", "read_echo"]

_BLOCK = re.compile(r"```(?:json)?[ \t]*\r?\n(?P<body>.*?)\r?\n[ \t]*```", re.DOTALL | re.IGNORECASE)
_ORIENTATION_KEYS = ("orientation", "mode", "aspect_ratio", "ratio")
_DURATION_KEYS = ("duration", "seconds")
# For a block that is not valid JSON (prompts with unescaped quotes): the same keys, read one by one.
_FIELD = re.compile(
    r'"(?P<key>orientation|mode|aspect_ratio|ratio|duration|seconds)"\s*:\s*"?(?P<value>[^",\n}]{1,40})',
    re.IGNORECASE,
)
_LANDSCAPE = re.compile(r"landscape|horizontal|横屏|橫屏|^\s*16\s*[:：]\s*9\s*$|^\s*3\s*[:：]\s*2\s*$", re.IGNORECASE)
_PORTRAIT = re.compile(r"portrait|vertical|竖屏|豎屏|^\s*9\s*[:：]\s*16\s*$|^\s*2\s*[:：]\s*3\s*$", re.IGNORECASE)
_SECONDS = re.compile(r"^\s*(?P<n>[0-9]{1,3})\s*(?:s|sec|secs|seconds?|秒)?\s*$", re.IGNORECASE)
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
    if not isinstance(data, dict):
        data = {f.group("key").lower(): f.group("value") for f in _FIELD.finditer(body)}
        if not data:
            return None
    orientation = next((o for k in _ORIENTATION_KEYS if (o := orientation_word(data.get(k)))), None)
    duration = next((d for k in _DURATION_KEYS if (d := _seconds(data.get(k))) is not None), None)
    return Echo(orientation, duration)


def orientation_word(value: object) -> str | None:
    """portrait or landscape for any spelling of one ("横屏模式", "16:9", "Landscape"), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    if _LANDSCAPE.search(value):
        return "landscape"
    if _PORTRAIT.search(value):
        return "portrait"
    return None


def _seconds(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and (m := _SECONDS.match(value)):
        return int(m.group("n"))
    return None
