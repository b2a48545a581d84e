"""Pure: one text stream of a transcript cut into lines, and which of them are inside a fenced block.

A line ends at a line break, or, outside a fenced block, where " >" runs the next status onto the same line
(" > ID: … > 排队中... > 生成中."). A fence opens or closes only at a real line start: a piece that begins
after " >" is part of a sentence, not a fence, and a fenced block is never cut at " >". Together with the
masking of the member's quoted words (provenance.py), that keeps the ```json echo one block whatever the
prompt inside it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .provenance import Masker

__all__ = ["Channel", "Line"]

LINE_MAX = 64 * 1024  # longer lines keep only their head for parsing (content still keeps everything)
# A line break, or the boundary before the ">" of " >".
_BOUNDARY = re.compile(r"\r\n|\r|\n|(?<=[ \t])(?=>)")
_OPEN = re.compile(r"^[>\s]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)")
_CLOSE = re.compile(r"^[>\s]*(?P<fence>`{3,}|~{3,})[ \t]*$")


@dataclass(frozen=True, slots=True)
class Line:
    """A complete line; `code` is the info string of the fenced block it is in ("html", "json", ""), or None."""

    text: str
    soft: bool = False  # it began after " >", not at a line start
    code: str | None = None


class Channel:
    """Line state for one text stream (`content` or `reasoning_content`); `feed` returns the complete lines.

    The unfinished last line is kept in `parts` for the parser's cheap look ahead (`peek_done`,
    `progress_mode` and `carry` are the parser's notes about it).
    """

    __slots__ = (
        "_fence", "_info", "_masker", "_soft", "carry", "ends_blank", "fresh", "last_bold", "length", "parts",
        "peek_done", "progress_mode",
    )

    def __init__(self, masker: Masker | None = None) -> None:
        self._masker = masker
        self._fence: str | None = None  # the open fence's marker ("```", "~~~~"), None outside a block
        self._info = ""
        self._soft = False
        self.parts: list[str] = []
        self.fresh = ""  # what the last feed added to the unfinished line
        self.length = 0
        self.peek_done = False
        self.progress_mode = False
        self.carry = ""
        self.ends_blank = False  # the line so far ends in a space: a ">" next starts a collapsed status
        self.last_bold: str | None = None  # the previous line, when it was one bold span

    @property
    def in_code(self) -> bool:
        return self._fence is not None

    @property
    def unfinished(self) -> str:
        """The last line so far (joined once, then kept joined)."""
        line = "".join(self.parts)
        self.parts = [line] if line else []
        return line

    def feed(self, delta: str) -> list[Line]:
        """Take one delta (after masking the member's words); return the lines it completed."""
        text = self._masker.feed(delta) if self._masker else delta
        return self._split(text)

    def flush(self) -> list[Line]:
        """End of stream: the held-back text and the unfinished line."""
        lines = self._split(self._masker.flush()) if self._masker else []
        if self.parts:
            lines.extend(self._end(soft_next=False))
        return lines

    def _split(self, text: str) -> list[Line]:
        lines: list[Line] = []
        self.fresh = ""
        if not text:
            return lines
        if self.ends_blank and text.startswith(">") and self.parts and not self.in_code:
            lines.extend(self._end(soft_next=True))  # " >" split across two deltas
        pos = 0
        for m in _BOUNDARY.finditer(text):
            soft = not m.group()
            if soft and (self.in_code or (m.start() == pos and not self.parts)):
                continue  # inside a block " >" is text; and a line is never empty because of it
            self._add(text[pos : m.start()])
            lines.extend(self._end(soft_next=soft))
            pos = m.end()
        rest = text[pos:]
        if rest:
            self._add(rest)
            self.fresh = rest
            self.ends_blank = rest[-1] in " \t"
        return lines

    def _add(self, text: str) -> None:
        room = LINE_MAX - self.length
        if room > 0 and text:
            self.parts.append(text if len(text) <= room else text[:room])
        self.length += len(text)

    def _end(self, *, soft_next: bool) -> list[Line]:
        """Finish the current line; fence lines open or close a block and are not returned."""
        line = "".join(self.parts)
        soft, self._soft = self._soft, soft_next
        self.parts = []
        self.length = 0
        self.peek_done = False
        self.progress_mode = False
        self.carry = ""
        self.ends_blank = False
        if not soft:
            if self._fence is None and (m := _OPEN.match(line)):
                self._fence, self._info = m.group("fence"), m.group("info").lower()
                return []
            if self._fence is not None and (m := _CLOSE.match(line)):
                fence = m.group("fence")
                if fence[0] == self._fence[0] and len(fence) >= len(self._fence):
                    self._fence = None
                    return []
        return [Line(line, soft, self._info if self._fence is not None else None)]
