"""Discord REST requests, 429s and latency by route, recorded through the aiohttp trace discord.py already
carries (see ratelimit.py), so every request is counted once, however it was made.

A route is the method and the path with every ID and token replaced by `:id` (`PATCH /channels/:id/messages/:id`):
a bounded set of label values that never holds an interaction token or a webhook secret.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Final
from urllib.parse import urlsplit

import aiohttp

from bot.core import metrics

# A path segment kept as it is: a short lowercase word such as "channels", "oauth2" or "@original". Anything
# else (snowflakes, interaction and webhook tokens, which are far longer, emoji) becomes ":id".
_WORD: Final = re.compile(r"^@?[a-z][a-z0-9_-]{0,23}$")


def route_of(method: str, url: str, api_prefix: str) -> str:
    """`PATCH /channels/:id/messages/:id` for a request to `url` under the REST base `api_prefix`."""
    path = urlsplit(url).path
    base = urlsplit(api_prefix).path.rstrip("/")
    if base and path.startswith(base):
        path = path[len(base):]
    segments = [segment if _WORD.match(segment) else ":id" for segment in path.strip("/").split("/") if segment]
    return f"{method.upper()} /{'/'.join(segments)}"


def record_requests(trace: aiohttp.TraceConfig, api_prefix: Callable[[], str]) -> aiohttp.TraceConfig:
    """Add the recording of Discord REST requests to `trace` (other hosts pass unrecorded); returns it."""

    async def on_request_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        prefix = api_prefix()
        if str(params.url).startswith(prefix):
            context.metrics_route = route_of(params.method, str(params.url), prefix)
            context.metrics_start = asyncio.get_running_loop().time()

    async def on_request_end(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        route = getattr(context, "metrics_route", None)
        if route is None:
            return
        status = params.response.status
        metrics.DISCORD_REQUESTS.labels(route, str(status)).inc()
        metrics.DISCORD_LATENCY.labels(route).observe(asyncio.get_running_loop().time() - context.metrics_start)
        if status == 429:
            scope = params.response.headers.get("X-RateLimit-Scope") or (
                "global" if params.response.headers.get("X-RateLimit-Global") else "route"
            )
            metrics.DISCORD_429.labels(route, scope if scope in ("global", "user", "shared") else "route").inc()

    trace.on_request_start.append(on_request_start)
    trace.on_request_end.append(on_request_end)
    return trace
