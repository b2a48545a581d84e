"""A process-wide budget for Discord REST calls, under Discord's global limit of 50 requests per second,
that lets what members wait for go first.

discord.py paces each route from the rate-limit headers, but the global limit has no headers: it is only
discovered by a 429. This budget keeps every second's requests under the limit instead. It hooks in through
`Client(http_trace=...)`: aiohttp awaits `on_request_start` before a request is sent, and reports
`on_request_headers_sent` when it was. The budget counts a request from the moment it is granted until a
second after it actually went out, so however late a granted request leaves (a busy event loop, a slow
connection), no second ever holds more than `limit` sends.

Within the window, grants are also spread out: no more than `burst` at once, then one every `per / limit`
seconds. A window filled in one burst and the next window's burst a second later may reach Discord bunched
by a slow network or a busy receiver and be seen inside one of ITS seconds (it counts arrivals, in a sliding
window); evenly spaced sends keep that excess to the few that a delay of some tens of milliseconds can move.

Discord is the judge of the window, not this process: if sends still reach it bunched enough to draw a global
429 (a congested network, or a stand-in starved of CPU), the pace drops to `SLOWDOWN` of the limit at once
and climbs back by `RECOVERY` of it a second (never below `FLOOR`): the headroom grows to what the path
needs, and returns when it no longer does.

The limit is this process's share of the bot's; `set_limit` changes it while running (see rest_share.py,
which splits the bot's budget between the processes sharing one token).

Requests wait in priority order (see `Priority`), first come first served within a priority; the caller
names its priority with `rest_priority(...)` around the call. Interaction callbacks and interaction
webhooks are exempt from the global limit (Discord's docs), and so are neither counted nor held.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from enum import IntEnum
from types import SimpleNamespace
from typing import Final

import aiohttp

EXEMPT_PATHS = ("/interactions/", "/webhooks/")


class Priority(IntEnum):
    """What a request is for; lower goes first."""

    STATE = 0  # starts, final states, notices: what a member is waiting for
    PROGRESS = 1  # a progress percentage: the next one will supersede it anyway
    QUEUE = 2  # a place in line
    LOG = 3  # the moderator log


_priority: ContextVar[Priority] = ContextVar("videobot_rest_priority", default=Priority.STATE)


@contextlib.contextmanager
def rest_priority(priority: Priority) -> Iterator[None]:
    """Send the Discord requests made inside the block (in this task) at `priority`."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


SLOWDOWN: Final = 0.8  # the pace after a global 429, as a share of the pace before it
RECOVERY: Final = 0.02  # share of the limit regained per second without one
FLOOR: Final = 0.5  # the slowest pace, as a share of the limit


class GlobalRequestBudget:
    """At most `limit` requests sent in any `per`-second window, granted by priority."""

    def __init__(
        self, limit: int = 45, per: float = 1.0, *, burst: int = 4, clock: Callable[[], float] | None = None
    ) -> None:
        self._limit = limit
        self._per = per
        self._burst = burst
        self._paced_until = -math.inf  # the next grant's theoretical time (a GCRA: evenly spaced, some burst)
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()  # when granted requests went out
        self._unsent = 0  # granted, not yet sent
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap of (priority, arrival, grant)
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._pace = 1.0  # share of the limit in use: below 1 for a while after a global 429
        self._pace_at = -math.inf  # when `_pace` was last brought up to date
        self._slowed_at = -math.inf  # when the last global 429 slowed it
        self.granted: collections.Counter[Priority] = collections.Counter()  # for benchmarks and tests
        self.refusals = 0  # global 429s met (for logs and benchmarks)

    @property
    def limit(self) -> int:
        """Requests this process may send in any `per` seconds now."""
        return self._limit

    def set_limit(self, limit: int) -> None:
        """Change this process's share; a smaller one holds later grants until the window is under it."""
        if limit != self._limit:
            self._limit = max(1, limit)
            # The pace restarts at the new spacing (the window alone bounds what the old pace had granted).
            self._paced_until = min(self._paced_until, self._now() + self._spacing())
            self._dispatch()

    def pace_now(self) -> int:
        """Requests to send in any `per` seconds now: the limit, less for a while after a global 429."""
        now = self._now()
        if self._pace < 1.0:
            self._pace = min(1.0, self._pace + RECOVERY * (now - self._pace_at))
        self._pace_at = now
        return max(1, int(self._limit * self._pace))

    def refused_globally(self) -> None:
        """Discord answered a global 429: slow down (once per window, however many were refused together)."""
        self.refusals += 1
        now = self._now()
        if now - self._slowed_at < self._per:
            return
        self._slowed_at = now
        self.pace_now()
        self._pace = max(FLOOR, self._pace * SLOWDOWN)

    def _spacing(self) -> float:
        return self._per / self.pace_now()

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def acquire(self, priority: Priority = Priority.STATE) -> None:
        """Wait until one more request fits in the window and every more urgent one has gone first."""
        grant: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (int(priority), next(self._arrivals), grant))
        self._dispatch()
        try:
            await grant
        except asyncio.CancelledError:
            if grant.done() and not grant.cancelled():
                self._unsent -= 1  # granted just as the caller gave up: give the place back
                self._dispatch()
            raise
        self.granted[priority] += 1

    def sent(self) -> None:
        """A granted request went out now."""
        self._unsent = max(0, self._unsent - 1)
        self._sent.append(self._now())
        self._dispatch()  # its place is now held by the clock: wake up when it leaves the window

    def abandoned(self) -> None:
        """A granted request failed before it was sent (no connection): its place is free again."""
        self._unsent = max(0, self._unsent - 1)
        self._dispatch()

    def _dispatch(self) -> None:
        now = self._now()
        while self._sent and self._sent[0] <= now - self._per:
            self._sent.popleft()
        limit = self.pace_now()
        spacing = self._per / limit
        tolerance = (min(self._burst, limit) - 1) * spacing
        while self._waiting and len(self._sent) + self._unsent < limit and now >= self._paced_until - tolerance:
            _, _, grant = heapq.heappop(self._waiting)
            if grant.done():  # its caller was cancelled while waiting
                continue
            self._unsent += 1
            self._paced_until = max(self._paced_until, now) + spacing
            grant.set_result(None)
        if self._waiting and self._timer is None:
            # Room appears when the oldest send leaves the window, and the pace allows the next grant.
            wake = self._paced_until - tolerance
            if len(self._sent) + self._unsent >= limit:
                if not self._sent:
                    return  # everything is granted and unsent: `sent` or `abandoned` dispatches again
                wake = max(wake, self._sent[0] + self._per)
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(0.0, wake - now), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def trace_config(self, api_prefix: Callable[[], str]) -> aiohttp.TraceConfig:
        """A TraceConfig that makes every Discord REST request wait for the budget.

        `api_prefix` returns the REST base at request time (it can be pointed elsewhere after start-up);
        gateway connections, attachment downloads and exempt routes pass straight through.
        """
        trace = aiohttp.TraceConfig()

        def counted(params: aiohttp.TraceRequestStartParams | aiohttp.TraceRequestHeadersSentParams) -> bool:
            url = str(params.url)
            return url.startswith(api_prefix()) and not any(part in url for part in EXEMPT_PATHS)

        async def on_request_start(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
        ) -> None:
            context.counted = counted(params)
            if context.counted:
                await self.acquire(_priority.get())

        async def on_request_headers_sent(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestHeadersSentParams
        ) -> None:
            if getattr(context, "counted", False) and not getattr(context, "went_out", False):
                context.went_out = True
                self.sent()

        async def on_request_exception(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
        ) -> None:
            if getattr(context, "counted", False) and not getattr(context, "went_out", False):
                context.went_out = True
                if isinstance(params.exception, asyncio.CancelledError):
                    self.sent()  # cancelled mid-write, it may have reached Discord: count it to be safe
                else:
                    self.abandoned()

        async def on_request_end(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
        ) -> None:
            headers = params.response.headers
            if params.response.status == 429 and (
                headers.get("X-RateLimit-Global") == "true" or headers.get("X-RateLimit-Scope") == "global"
            ):
                self.refused_globally()

        trace.on_request_start.append(on_request_start)
        trace.on_request_end.append(on_request_end)
        trace.on_request_headers_sent.append(on_request_headers_sent)
        trace.on_request_exception.append(on_request_exception)
        return trace
