"""ProgressEditor: edits progress messages as fast as Discord allows and no faster.

Per message, the latest state wins and stale ones are dropped, with at least `min_interval` seconds between
edits; all messages together share one token bucket kept under Discord's global 50 requests/s; a final state
is always delivered. The scheduling decisions live in `EditPlan`, a pure object driven by an explicit `now`,
so they are tested without sleeping; `ProgressEditor` only runs the plan on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.core import metrics
from bot.core.tasks import log_crash

log = logging.getLogger(__name__)

T = TypeVar("T")
Apply = Callable[[], Awaitable[None]]
CLOSED_MEMORY = 4096


@dataclass(slots=True)
class _Slot(Generic[T]):
    pending: T | None = None
    pending_since: float = 0.0
    final: bool = False
    in_flight: bool = False
    last_edit: float = -math.inf


@dataclass(slots=True)
class EditPlan(Generic[T]):
    """Which message to edit next, and when. `T` is whatever describes one edit."""

    min_interval: float = 1.0
    rate: float = 25.0  # edits per second, all messages together
    burst: float = 5.0
    _slots: dict[Hashable, _Slot[T]] = field(default_factory=dict)
    # Messages whose final state was shown: a straggling update must not overwrite the end.
    # Bounded, oldest forgotten first: by then nothing is still updating them.
    _closed: dict[Hashable, None] = field(default_factory=dict)
    _tokens: float = 0.0
    _refilled_at: float | None = None

    def offer(self, key: Hashable, item: T, now: float, *, final: bool = False) -> bool:
        """Ask for `key` to show `item`; replaces any pending item. Nothing is accepted after a final one."""
        if key in self._closed:
            return False
        slot = self._slots.setdefault(key, _Slot())
        if slot.final:
            return False
        if slot.pending is None:
            slot.pending_since = now
        slot.pending, slot.final = item, final
        return True

    def take(self, now: float) -> tuple[Hashable, T, bool] | float:
        """The edit to start now as (key, item, final), or how many seconds until one could start.

        A final state goes as soon as the message's edit in flight has ended: members wait for it, and it
        neither waits out the interval between progress edits nor spends their tokens (the global REST
        budget, where it goes first, paces it). Progress edits go round-robin: the message edited longest ago
        first, so that every message's updates come at the same steady interval however many there are.
        """
        self._refill(now)
        due: list[tuple[bool, float, float, Hashable, _Slot[T]]] = []
        wait = math.inf
        for key, slot in self._slots.items():
            if slot.pending is None or slot.in_flight:
                continue
            ready_at = slot.last_edit + (0.0 if slot.final else self.min_interval)
            if ready_at <= now:
                due.append((not slot.final, slot.last_edit, slot.pending_since, key, slot))
            else:
                wait = min(wait, ready_at - now)
        if not due:
            return wait
        first = min(due, key=lambda entry: entry[:3])
        if not first[4].final and self._tokens < 1:
            return (1 - self._tokens) / self.rate
        _, _, _, key, slot = first
        item, final = slot.pending, slot.final
        assert item is not None
        slot.pending, slot.in_flight = None, True
        if not final:
            self._tokens -= 1
        return key, item, final

    def done(self, key: Hashable, now: float, *, final: bool) -> None:
        """An edit started by `take` has ended (successfully or not)."""
        slot = self._slots.get(key)
        if slot is None:  # forgotten meanwhile
            return
        slot.in_flight, slot.last_edit = False, now
        if final:
            del self._slots[key]
            self._closed[key] = None
            if len(self._closed) > CLOSED_MEMORY:
                del self._closed[next(iter(self._closed))]

    def forget(self, key: Hashable) -> None:
        """Drop a message's pending edits (it was deleted)."""
        self._slots.pop(key, None)

    def pending(self) -> int:
        """Messages with an edit waiting or under way."""
        return sum(1 for s in self._slots.values() if s.pending is not None or s.in_flight)

    def drain(self) -> list[T]:
        """Remove and return every pending item (on shutdown)."""
        items = [s.pending for s in self._slots.values() if s.pending is not None]
        self._slots.clear()
        return items

    def _refill(self, now: float) -> None:
        if self._refilled_at is None:
            self._tokens, self._refilled_at = self.burst, now
            return
        self._tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self.rate)
        self._refilled_at = now


class EditAbandoned(Exception):
    """The editor closed (the bot is shutting down) before a final edit could be made."""


@dataclass(slots=True)
class _Edit:
    apply: Apply
    done: asyncio.Future[None] | None = None  # for a final edit: resolved when it was made, or its error


class ProgressEditor:
    """Runs an EditPlan: one scheduler task, each edit in its own owned task.

    An intermediate edit handles its own errors (the presenter decides what a refusal means); a final edit
    hands its error back to whoever awaits `finish`, which decides where else the final state can go. No
    edit is retried here: discord.py already waits out rate limits and retries server errors, and a refusal
    will not change by asking again.
    """

    def __init__(self, *, min_interval: float = 1.0, rate: float = 25.0, burst: float = 5.0) -> None:
        self._plan: EditPlan[_Edit] = EditPlan(min_interval=min_interval, rate=rate, burst=burst)
        metrics.PROGRESS_EDIT_BUDGET.set(rate)
        self._wake = asyncio.Event()
        self._scheduler: asyncio.Task[None] | None = None
        self._edits: set[asyncio.Task[None]] = set()
        self._progress_in_flight: dict[Hashable, asyncio.Task[None]] = {}
        self._loop_time = asyncio.get_running_loop().time

    def set_rate(self, rate: float) -> None:
        """Edits per second from now on (this process's share of the REST budget changed)."""
        self._plan.rate = rate

    def show(self, key: Hashable, apply: Apply) -> None:
        """Queue an intermediate state for a message; superseded if a newer one arrives first."""
        self._plan.offer(key, _Edit(apply), self._loop_time())
        self._kick()

    async def finish(self, key: Hashable, apply: Apply) -> None:
        """Make a message's final edit after any edit in flight, at the shared pace; raise what it raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Mark the outcome as seen even if the caller stopped waiting (it is shielded, not cancelled).
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        if not self._plan.offer(key, _Edit(apply, done), self._loop_time(), final=True):
            raise EditAbandoned(f"{key} already had its final edit")
        # A progress edit of this message still under way is stale now, and may be waiting its turn in the
        # REST budget behind hundreds of others, which the final would have to wait for: drop it.
        stale = self._progress_in_flight.get(key)
        if stale is not None:
            stale.cancel()
        self._kick()
        await asyncio.shield(done)

    def forget(self, key: Hashable) -> None:
        """Stop editing a message."""
        self._plan.forget(key)

    async def close(self, grace: float = 0.0) -> None:
        """Let the edits under way land (for up to `grace` seconds), then cancel the scheduler and any left."""
        if grace and self._edits:
            await asyncio.wait(set(self._edits), timeout=grace)
        tasks = [t for t in (self._scheduler, *self._edits) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for edit in self._plan.drain():
            if edit.done is not None and not edit.done.done():
                edit.done.set_exception(EditAbandoned())

    def _kick(self) -> None:
        self._wake.set()
        if self._scheduler is None or self._scheduler.done():
            self._scheduler = asyncio.create_task(self._schedule(), name="progress-editor")
            self._scheduler.add_done_callback(log_crash)

    async def _schedule(self) -> None:
        while True:
            decision = self._plan.take(self._loop_time())
            if isinstance(decision, tuple):
                key, edit, final = decision
                task = asyncio.create_task(_run(edit.apply), name=f"progress-edit-{key}")
                metrics.PROGRESS_EDITS.labels("final" if final else "progress").inc()
                self._edits.add(task)
                if not final:
                    self._progress_in_flight[key] = task
                # A callback, not a `finally`: it also runs for an edit cancelled before it began.
                task.add_done_callback(functools.partial(self._edit_ended, key, edit, final))
                continue
            self._wake.clear()
            timeout = None if math.isinf(decision) else decision
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _edit_ended(self, key: Hashable, edit: _Edit, final: bool, task: asyncio.Task[None]) -> None:
        self._edits.discard(task)
        if self._progress_in_flight.get(key) is task:
            del self._progress_in_flight[key]
        error = None if task.cancelled() else task.exception()
        if edit.done is not None and not edit.done.done():
            if task.cancelled():  # the editor is closing
                edit.done.set_exception(EditAbandoned())
            elif error is not None:
                edit.done.set_exception(error)
            else:
                edit.done.set_result(None)
        elif error is not None:  # intermediate applies handle their own refusals: this is a bug
            log.error("progress edit of %s failed", key, exc_info=error)
        self._plan.done(key, self._loop_time(), final=final)
        self._kick()


async def _run(apply: Apply) -> None:
    await apply()
