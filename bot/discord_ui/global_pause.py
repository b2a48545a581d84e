"""A global rate-limit pause that always ends, however the request that began it ends.

On a global 429, discord.py clears an event that every REST request waits for, sleeps `retry_after` in the
request that met the 429, then sets the event again. If that request's task is cancelled during the sleep (a
stale progress edit withdrawn for its final, a Cancel pressed, a shutdown), nothing sets it again and every
later REST request of the process waits forever. `GlobalPause` takes the event's place: the pause also ends
when the task that began it is done, and in any case after `longest` seconds (Discord's global pauses last
about a second; ending one early costs at most one more 429, never a stuck bot).
"""

from __future__ import annotations

import asyncio
from typing import Final

LONGEST_PAUSE: Final = 10.0  # seconds


class GlobalPause(asyncio.Event):
    """An `asyncio.Event` whose `clear` (a pause beginning) arranges its own `set`."""

    def __init__(self, *, longest: float = LONGEST_PAUSE) -> None:
        super().__init__()
        self._longest = longest
        self._deadline: asyncio.TimerHandle | None = None
        self.set()

    def clear(self) -> None:
        super().clear()
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = asyncio.get_running_loop().call_later(self._longest, self.set)
        pausing = asyncio.current_task()
        if pausing is not None:
            pausing.add_done_callback(lambda _: self.set())

    def set(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().set()

