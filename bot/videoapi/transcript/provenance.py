"""Pure: which parts of a vendor's answer are the member's own words, so that they are read as data.

The vendor quotes the prompt it was sent: inside its ```json block (JSON-escaped, or raw when the prompt's
quotes break the JSON), or in a sentence of its own ("…a prompt in Chinese: "<prompt>".***"). Whatever a
member wrote can imitate any status line, task ID or link, so the reader must never take one from there.
Two rules make that so, whatever the dialect and however the stream is chunked:

* every verbatim quote of a member's message (in each form a vendor writes it) is masked out of the text
  before lines are split, so its " > " and fences cannot cut the vendor's text into lines;
* a line, task ID, sid or link that the member's words contain says nothing (a vendor's real task ID, sid and
  links are new, so the member cannot have written them).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["MASK", "Masker", "MemberWords", "member_words"]

MASK = "\ufffc"  # OBJECT REPLACEMENT CHARACTER: a symbol, so it reads as decoration, never as words
_MIN_QUOTE = 12  # shorter texts are not masked: "a cat" would mask every "a cat" the vendor writes
_MIN_CONTAINED = 3  # a shorter line ("OK") says too little to be the member's


def member_words(messages: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The text of every user message of a chat request (string content, or its text parts)."""
    words: list[str] = []
    for message in messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            words.append(content)
        elif isinstance(content, list):
            words += [part["text"] for part in content
                      if isinstance(part, Mapping) and isinstance(part.get("text"), str)]
    return tuple(words)


class MemberWords:
    """The member's messages in a conversation, in every form a vendor may quote them."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        raw = tuple(t for t in (str(x) for x in texts) if t.strip())
        forms: set[str] = set()
        for text in raw:
            for form in _quoted_forms(text):
                if len(form) >= _MIN_QUOTE:
                    forms.add(form)
        self._raw = raw
        self._haystack = tuple({*raw, *forms})
        self.quotes = tuple(sorted(forms, key=len, reverse=True))  # longest first: masked before their parts

    def __bool__(self) -> bool:
        return bool(self._raw)

    def wrote(self, text: str) -> bool:
        """Whether `text` (a line's words, a URL, an ID) is found in what the member wrote."""
        text = text.strip()
        return len(text) >= _MIN_CONTAINED and any(text in said for said in self._haystack)

    def masker(self) -> Masker:
        """A fresh streaming masker for one text channel."""
        return Masker(self.quotes)


class Masker:
    """Replace every quote of the member's words in a stream with MASK, however the stream is chunked.

    The tail of the text that could be the start of a quote is held back until the next piece shows whether
    it is one (`flush` releases it at the end).
    """

    __slots__ = ("_by_first", "_held", "_quotes")

    def __init__(self, quotes: tuple[str, ...]) -> None:
        self._quotes = quotes
        # Quotes grouped by their first character, with the longest one's length: one scan per group.
        by_first: dict[str, list[str]] = {}
        for quote in quotes:
            by_first.setdefault(quote[0], []).append(quote)
        self._by_first = tuple((first, tuple(sorted(qs)), max(map(len, qs))) for first, qs in by_first.items())
        self._held = ""

    def feed(self, text: str) -> str:
        if not self._quotes:
            return text
        s = self._held + text
        for quote in self._quotes:
            if quote in s:
                s = s.replace(quote, MASK)
        keep = self._partial_tail(s)
        self._held = s[len(s) - keep :] if keep else ""
        return s[: len(s) - keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

    def _partial_tail(self, s: str) -> int:
        """The length of the longest end of `s` that is a proper beginning of a quote."""
        n = len(s)
        best = 0
        for first, quotes, longest in self._by_first:
            i = s.find(first, max(0, n - longest + 1))
            while i != -1 and n - i > best:
                tail = s[i:]
                # In sorted order the quotes beginning with `tail` come right where `tail` would go.
                j = bisect.bisect_left(quotes, tail)
                if j < len(quotes) and quotes[j].startswith(tail):
                    best = n - i
                    break
                i = s.find(first, i + 1)
        return best


def _quoted_forms(text: str) -> set[str]:
    """A message as vendors quote it: verbatim, JSON-escaped (with and without \\u escapes, with "\\/"),
    whitespace-collapsed, and each of its lines."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    forms = {
        text.strip(),
        escaped,
        json.dumps(text)[1:-1],
        escaped.replace("/", "\\/"),
        " ".join(text.split()),
    }
    forms.update(line.strip() for line in text.splitlines())
    return {f for f in forms if f}
