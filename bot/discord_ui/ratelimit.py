"""A process-wide budget for Discord REST calls, under Discord's global limit of 50 requests per second,
that lets what members wait for go first.

discord.py paces each route from the rate-limit headers, but the global limit has no headers: it is only
discovered by a 429. This budget keeps every second's requests under the limit instead. It hooks in through
`Client(http_trace=...)`: aiohttp awaits `on_request_start` before a request is sent, and reports
`on_request_headers_sent` when it was. The budget counts a request from the moment it is granted until a
second after it actually went out, so however late a granted request leaves (a busy event loop, a slow
connection), no second ever holds more than `limit` sends.

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
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from enum import IntEnum
from types import SimpleNamespace

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


class GlobalRequestBudget:
    """At most `limit` requests sent in any `per`-second window, granted by priority."""

    def __init__(self, limit: int = 45, per: float = 1.0, *, clock: Callable[[], float] | None = None) -> None:
        self._limit = limit
        self._per = per
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()  # when granted requests went out
        self._unsent = 0  # granted, not yet sent
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap of (priority, arrival, grant)
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self.granted: collections.Counter[Priority] = collections.Counter()  # for benchmarks and tests

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
        while self._waiting and len(self._sent) + self._unsent < self._limit:
            _, _, grant = heapq.heappop(self._waiting)
            if grant.done():  # its caller was cancelled while waiting
                continue
            self._unsent += 1
            grant.set_result(None)
        if self._waiting and self._timer is None and self._sent:
            # Room appears when the oldest send leaves the window.
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(0.0, self._sent[0] + self._per - now), self._on_timer)

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

        trace.on_request_start.append(on_request_start)
        trace.on_request_headers_sent.append(on_request_headers_sent)
        trace.on_request_exception.append(on_request_exception)
        return trace
