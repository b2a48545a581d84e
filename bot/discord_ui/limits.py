"""Discord's length limits, and text that respects them by construction (after markdown escaping)."""

from __future__ import annotations

import re
from typing import Final

import discord

CONTENT: Final = 2000
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELD_VALUE: Final = 1024
LINK_BUTTON_URL: Final = 512
ELLIPSIS: Final = "…"


def shortened(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


# After escaping, a "[" preceded by an even run of backslashes (none included) is still live.
_LIVE = re.compile(r"(?<!\\)((?:\\\\)*)(\[)")


def inert(text: str) -> str:
    """`text` as Discord shows it literally: markdown and masked links made inert.

    discord.py's escape_markdown escapes one "[…](…)" span per match, so the second link of
    "[a](x) [b](y)" stays live: every "[" it left live is escaped too. Mentions still render as names, as a
    member's own would, but ping nobody: every message the bot sends disables them.
    """
    return _LIVE.sub(r"\1\\\2", discord.utils.escape_markdown(text))


def escaped(text: str, limit: int) -> str:
    """`text` with its markdown made inert, at most `limit` characters *after* escaping.

    Escaping can double a text's length (a prompt of 1000 "*" becomes 2000 characters), so the source is
    cut, never the escaped result: no escape sequence is ever split in two.
    """
    whole = inert(text)
    if len(whole) <= limit:
        return whole
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose escaped form, with the ellipsis, still fits
        middle = (low + high + 1) // 2
        if len(inert(text[:middle].rstrip())) < limit:
            low = middle
        else:
            high = middle - 1
    return inert(text[:low].rstrip()) + ELLIPSIS
