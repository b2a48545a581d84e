"""FairSlots: a few slots shared by owners (servers) in turn, so that one owner's slow work never holds up another's.

At most `slots` holders at once, and at most `per_owner` of them for one owner. When a slot frees up, the owners
waiting are served round-robin: the one served longest ago goes first, whatever the order their requests came in.
A server that sends ten oversized videos at once gets one encoder; another server's single video takes the next
free one, not the eleventh place in line. What is remembered is bounded by the owners holding or waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Hashable

__all__ = ["FairSlots"]


class FairSlots:
    """Slots handed out fairly between owners; see the module docstring."""

    def __init__(self, slots: int, *, per_owner: int = 1) -> None:
        if slots < 1 or per_owner < 1:
            raise ValueError("at least one slot, and at least one per owner")
        self._slots = slots
        self._per_owner = per_owner
        self._held: Counter[Hashable] = Counter()
        # Owners with someone waiting, in the order they began to wait; each with its waiters in arrival order.
        self._waiting: OrderedDict[Hashable, deque[asyncio.Future[None]]] = OrderedDict()
        # When each owner holding or waiting was last given a slot: the least recently served goes first.
        self._turns = itertools.count()
        self._served: dict[Hashable, int] = {}

    @property
    def busy(self) -> int:
        """Slots held right now."""
        return sum(self._held.values())

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return sum(len(line) for line in self._waiting.values())

    def held_by(self, owner: Hashable) -> int:
        """Slots `owner` holds right now."""
        return self._held[owner]

    @contextlib.asynccontextmanager
    async def hold(self, owner: Hashable) -> AsyncIterator[None]:
        """Hold one slot for `owner` for the block, after waiting for its turn."""
        await self._acquire(owner)
        try:
            yield
        finally:
            self._release(owner)

    async def _acquire(self, owner: Hashable) -> None:
        if not self._waiting and self._may_take(owner):
            self._grant(owner)
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(owner, deque()).append(granted)
        self._dispatch()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release(owner)  # granted in the same moment it was cancelled: give the slot on
            else:
                self._forget(owner, granted)
            raise

    def _grant(self, owner: Hashable) -> None:
        self._held[owner] += 1
        self._served[owner] = next(self._turns)

    def _release(self, owner: Hashable) -> None:
        self._held[owner] -= 1
        if self._held[owner] <= 0:
            del self._held[owner]
            if owner not in self._waiting:
                self._served.pop(owner, None)  # idle: remembered no longer
        self._dispatch()

    def _may_take(self, owner: Hashable) -> bool:
        return self.busy < self._slots and self._held[owner] < self._per_owner

    def _dispatch(self) -> None:
        """Grant free slots to waiting owners in turn: an owner served goes to the back of the line."""
        while self.busy < self._slots:
            eligible = [owner for owner in self._waiting if self._held[owner] < self._per_owner]
            if not eligible:
                return
            owner = min(eligible, key=lambda o: self._served.get(o, -1))  # ties: the one waiting longest
            line = self._waiting[owner]
            granted = line.popleft()
            if not line:
                del self._waiting[owner]
            self._grant(owner)
            granted.set_result(None)

    def _forget(self, owner: Hashable, granted: asyncio.Future[None]) -> None:
        line = self._waiting.get(owner)
        if line is None:
            return
        with contextlib.suppress(ValueError):
            line.remove(granted)
        if not line:
            del self._waiting[owner]
            if not self._held[owner]:
                self._served.pop(owner, None)
        self._dispatch()
