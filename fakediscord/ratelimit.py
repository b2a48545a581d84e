"""Discord-style rate limiting: fixed-window buckets per top-level resource plus a global bucket.

The global limit (50 requests a second per bot) publishes no window, so the fake enforces its strictest
reading: a SLIDING one-second window. Any 51 accepted requests whose arrivals fall within one second draw a
429, wherever the second starts, so a client that paces by fixed seconds (50 at the end of one, 50 at the
start of the next) is refused as Discord may refuse it. Interaction callbacks and webhooks are exempt.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import math
import time
from collections.abc import Callable, Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class BucketLimit:
    """``limit`` requests per ``per`` seconds."""

    limit: int
    per: float


@dataclasses.dataclass(frozen=True)
class RateLimits:
    """Bucket configuration. Discord publishes no per-route numbers; these defaults are commonly observed.

    ``overrides`` maps a route such as ``"POST /channels/{channel_id}/messages/{message_id}/threads"`` to its own
    bucket (per channel/guild/webhook like the others); any other route uses ``default``.
    """

    message_create: BucketLimit = BucketLimit(5, 5.0)
    message_edit: BucketLimit = BucketLimit(5, 5.0)
    message_delete: BucketLimit = BucketLimit(5, 1.0)
    webhook: BucketLimit = BucketLimit(5, 2.0)
    interaction_callback: BucketLimit = BucketLimit(5, 1.0)
    global_: BucketLimit = BucketLimit(50, 1.0)
    default: BucketLimit = BucketLimit(50, 1.0)
    overrides: Mapping[str, BucketLimit] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class RateLimitHit:
    """One 429 the fake sent."""

    method: str
    route: str
    bucket: str
    scope: str
    retry_after: float
    at: float


@dataclasses.dataclass
class _Window:
    limit: int
    per: float
    started: float = -math.inf
    count: int = 0

    def roll(self, now: float) -> None:
        """Start a new window if the current one has expired."""
        if now >= self.started + self.per:
            self.started = now
            self.count = 0

    def reset_after(self, now: float) -> float:
        """Seconds until the window resets."""
        return max(0.0, self.started + self.per - now)


@dataclasses.dataclass
class _SlidingWindow:
    """At most ``limit`` accepted requests whose arrivals lie within any ``per`` seconds."""

    limit: int
    per: float
    accepted: collections.deque[float] = dataclasses.field(default_factory=collections.deque)

    def full(self, now: float) -> bool:
        while self.accepted and self.accepted[0] <= now - self.per:
            self.accepted.popleft()
        return len(self.accepted) >= self.limit

    def take(self, now: float) -> None:
        self.accepted.append(now)

    def reset_after(self, now: float) -> float:
        """Seconds until the oldest accepted request leaves the window (a place frees up)."""
        return max(0.0, self.accepted[0] + self.per - now) if self.accepted else 0.0


@dataclasses.dataclass(frozen=True)
class Decision:
    """The outcome for one request: headers to send, and the 429 body when it is refused."""

    headers: dict[str, str]
    refused: dict[str, Any] | None = None
    hit: RateLimitHit | None = None


def _bucket_hash(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:32]


class RateLimiter:
    """Counts requests per bucket and produces Discord's headers; refused requests are recorded."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global = _SlidingWindow(limits.global_.limit, limits.global_.per)

    def bucket_for(self, method: str, route: str) -> tuple[str, BucketLimit]:
        """The bucket name and limit for a route template (relative to /api/v10)."""
        key = f"{method} {route}"
        if key in self.limits.overrides:
            return key, self.limits.overrides[key]
        if route == "/channels/{channel_id}/messages" and method == "POST":
            return "message_create", self.limits.message_create
        if route == "/channels/{channel_id}/messages/{message_id}":
            if method == "PATCH":
                return "message_edit", self.limits.message_edit
            if method == "DELETE":
                return "message_delete", self.limits.message_delete
        if route.startswith("/webhooks/"):
            return "webhook", self.limits.webhook
        if route.startswith("/interactions/"):
            return "interaction_callback", self.limits.interaction_callback
        return key, self.limits.default

    def check(self, method: str, route: str, resource: str, *, global_exempt: bool) -> Decision:
        """Account one request on ``route`` for ``resource`` (channel id, guild id or webhook token)."""
        now = self._clock()
        name, limit = self.bucket_for(method, route)
        window = self._windows.setdefault((name, resource), _Window(limit.limit, limit.per))
        window.roll(now)
        if window.count >= window.limit:
            retry = window.reset_after(now)
            return self._refuse(method, route, name=name, scope="user", retry=retry, now=now, window=window)
        if not global_exempt:
            if self._global.full(now):
                retry = self._global.reset_after(now)
                return self._refuse(method, route, name="global", scope="global", retry=retry, now=now, window=window)
            self._global.take(now)
        window.count += 1
        return Decision(headers=self._headers(name, window, now))

    def _headers(self, name: str, window: _Window, now: float) -> dict[str, str]:
        reset_after = window.reset_after(now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(0, window.limit - window.count)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{math.ceil(reset_after * 1000) / 1000:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(name),
        }

    def _refuse(
        self, method: str, route: str, *, name: str, scope: str, retry: float, now: float, window: _Window
    ) -> Decision:
        retry = math.ceil(retry * 1000) / 1000
        headers = self._headers(name, window, now)
        headers.update({"Retry-After": str(math.ceil(retry)), "X-RateLimit-Scope": scope, "Via": "1.1 google"})
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": scope == "global"}
        hit = RateLimitHit(method=method, route=route, bucket=name, scope=scope, retry_after=retry, at=now)
        return Decision(headers=headers, refused=body, hit=hit)
