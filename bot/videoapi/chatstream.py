"""ChatStream: the raw bytes of a streamed chat completion in, Transcript snapshots out. Pure, no I/O.

Separate from the network code so framing can be tested by re-chunking a byte string at every boundary.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import RequestRejected, VideoAPIError, stream_error
from .sse import DEFAULT_MAX_LINE, SSEDecoder
from .transcript import Transcript, TranscriptParser

__all__ = ["MAX_CONTENT", "ChatStream", "StreamTooLarge"]

log = logging.getLogger(__name__)

MAX_CONTENT = 4 * 1024 * 1024
_CONTENT_FILTER = "The video service's content filter blocked this request."


class StreamTooLarge(Exception):
    """The assistant text grew past the configured cap."""


class ChatStream:
    """Feed bytes (or decoded chunk objects); `feed()` returns the snapshots whose visible fields changed.

    A final state (completed, failed) is held back until the stream ends, because the links follow the
    completion line.
    """

    def __init__(
        self,
        *,
        trusted_origins: Iterable[str] = (),
        max_line: int = DEFAULT_MAX_LINE,
        max_content: int = MAX_CONTENT,
        secret: str | None = None,
        member_words: Iterable[str] = (),
    ) -> None:
        self._decoder = SSEDecoder(max_line=max_line)
        # The member's messages as sent: the vendor quotes them, and nothing quoted may count as its status.
        self.parser = TranscriptParser(trusted_origins=trusted_origins, member_words=member_words)
        self._max_content = max_content
        self._size = 0
        self._secret = secret
        self._last: tuple[object, ...] = Transcript().visible()
        self.done = False  # [DONE], a finish_reason or an error event was seen
        self.error: VideoAPIError | None = None  # an `{"error": …}` event (a refusal only with a code or a task ID)

    def feed(self, chunk: bytes) -> list[Transcript]:
        """Consume raw bytes; return the new visible, non-final snapshots (at most one per chunk)."""
        for event in self._decoder.feed(chunk):
            if self.done:
                break
            self._event(event.data)
        return self._changes()

    def feed_object(self, obj: Mapping[str, Any]) -> list[Transcript]:
        """Consume one already-decoded chunk object (or a whole non-streamed completion)."""
        self._handle(obj)
        return self._changes()

    def finish(self) -> Transcript:
        """End of input: flush and return the final snapshot (with content)."""
        if not self.done:
            for event in self._decoder.close():
                if self.done:
                    break
                self._event(event.data)
        return self.parser.finish()

    def _changes(self) -> list[Transcript]:
        snap = self.parser.snapshot
        if snap.is_final or snap.visible() == self._last:
            return []
        self._last = snap.visible()
        return [snap]

    def _event(self, data: str) -> None:
        data = data.strip()
        if not data:
            return
        if data == "[DONE]":
            self.done = True
            return
        try:
            obj = json.loads(data)
        except ValueError:
            log.debug("ignoring a non-JSON event of %d characters", len(data))
            return
        if isinstance(obj, dict):
            self._handle(obj)

    def _handle(self, obj: Mapping[str, Any]) -> None:
        if obj.get("error") and not obj.get("choices"):
            err = stream_error(obj, secret=self._secret)
            self.done = True
            if isinstance(err, RequestRejected) and not self.parser.snapshot.task_id and err.code is None:
                self.parser.fail(err.reason or "The video service declined this prompt.")
            else:
                # After the task ID the event is not the task's end (the client has the task asked), and a
                # refusal's code decides how it is told and billed: kept as the error, not as transcript text.
                self.error = err
            return
        choices = obj.get("choices")
        if not isinstance(choices, list) or not choices:
            return  # e.g. the closing usage chunk of some gateways, `"choices": []`
        choice = next((c for c in choices if isinstance(c, dict) and c.get("index", 0) == 0), None)
        if choice is None:
            return
        delta = choice.get("delta") or choice.get("message") or {}
        if isinstance(delta, dict):
            for key, reasoning in (("reasoning_content", True), ("reasoning", True), ("content", False)):
                text = delta.get(key)
                if isinstance(text, str) and text:
                    self._size += len(text)
                    if self._size > self._max_content:
                        raise StreamTooLarge
                    self.parser.feed(text, reasoning=reasoning)
        finish = choice.get("finish_reason")
        if finish:
            self.done = True
            if str(finish).lower() == "content_filter":
                self.parser.fail(_CONTENT_FILTER)
