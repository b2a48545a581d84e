"""Pure: the percentages of a progress line ("36..47..", "进度：5.9%"), also when they arrive in pieces."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import patterns as p

__all__ = ["scan_progress", "to_percent"]

_DIGITS = "0123456789０１２３４５６７８９"
_POINTS = ".．"
_POINT = re.compile("[.．]")


def to_percent(number: str) -> int:
    """A progress number as whole percent, rounded down (5.9 → 5: a video is never shown done early).
    int() reads full-width digits too."""
    return int(_POINT.split(number, 1)[0])


def scan_progress(carry: str, text: str, take: Callable[[int], None]) -> str:
    """Pass the finished numbers of `carry + text` to `take`; return what to carry into the next piece.

    A number is finished once a character follows it that cannot continue it: "3" of "3" may become "36",
    and "5." may become "5.9", so those wait for the next piece (with two characters before them, which
    NUM's look-behind needs).
    """
    s = carry + text
    n = len(s)
    keep = max(0, n - 2)
    for m in p.NUM.finditer(s):
        end = m.end()
        if end == n or (end == n - 1 and s[end] in _POINTS):
            keep = max(0, m.start() - 2)
            return s[keep:]
        take(to_percent(m.group()))
    return s[keep:].lstrip(_DIGITS)
