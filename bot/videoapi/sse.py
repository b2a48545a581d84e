"""Incremental, bounded decoder for `text/event-stream` (the WHATWG event-stream rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_LINE", "SSEDecoder", "SSEEvent", "SSEProtocolError"]

DEFAULT_MAX_LINE = 1024 * 1024
_EOL = re.compile(rb"[\r\n]")
_CR, _LF = 0x0D, 0x0A


class SSEProtocolError(ValueError):
    """The stream broke a limit (a line or an event too long) and must not be buffered further."""


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: `data` lines joined with LF."""

    data: str
    event: str = "message"
    id: str | None = None


class SSEDecoder:
    """Feed raw bytes as they arrive; get complete events back.

    Lines end with LF, CRLF or CR, and a CRLF may be split across two chunks. Splitting is done on
    bytes and each complete line is decoded on its own: CR and LF never occur inside a multi-byte
    UTF-8 sequence, so a character split across network chunks is always reassembled first.
    """

    def __init__(self, *, max_line: int = DEFAULT_MAX_LINE, max_event: int | None = None):
        self._max_line = max_line
        self._max_event = max_event if max_event is not None else 4 * max_line
        self._buf = bytearray()
        self._skip_lf = False  # the previous chunk ended with CR; a leading LF belongs to it
        self._first_line = True
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id: str | None = None
        self.comments = 0  # keep-alive comments seen; useful to tests and debugging

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume one network chunk and return the events it completed."""
        events: list[SSEEvent] = []
        if not chunk:
            return events
        pos, end = 0, len(chunk)
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == _LF:
                pos = 1
        while pos < end:
            m = _EOL.search(chunk, pos)
            if m is None:
                self._append(chunk, pos, end)
                break
            eol = m.start()
            self._append(chunk, pos, eol)
            line = bytes(self._buf)
            self._buf.clear()
            pos = eol + 1
            if chunk[eol] == _CR:
                if pos < end:
                    if chunk[pos] == _LF:
                        pos += 1
                else:
                    self._skip_lf = True
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """Flush at end of stream.

        The spec discards an event not closed by a blank line; we dispatch it instead, because servers
        often end with `data: [DONE]` and no blank line. A truncated JSON payload simply fails to parse.
        """
        events: list[SSEEvent] = []
        if self._buf:
            line = bytes(self._buf)
            self._buf.clear()
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._line(b"")
        if event is not None:
            events.append(event)
        return events

    def _append(self, chunk: bytes, start: int, stop: int) -> None:
        if stop <= start:
            return
        if len(self._buf) + (stop - start) > self._max_line:
            self._buf.clear()
            raise SSEProtocolError(f"event-stream line longer than {self._max_line} bytes")
        self._buf += chunk[start:stop]

    def _line(self, raw: bytes) -> SSEEvent | None:
        line = raw.decode("utf-8", "replace")
        if self._first_line:
            self._first_line = False
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line[0] == ":":
            self.comments += 1
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data_size += len(value) + 1
            if self._data_size > self._max_event:
                self._data.clear()
                raise SSEProtocolError(f"event-stream event longer than {self._max_event} characters")
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self._last_id = value
        # "retry" and unknown fields are ignored, as the spec says.
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent(data="\n".join(self._data), event=self._event or "message", id=self._last_id)
        self._data.clear()
        self._data_size = 0
        self._event = ""
        return event
