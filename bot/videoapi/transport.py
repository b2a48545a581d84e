"""HTTP plumbing of the video API client: requests with typed errors, bounded reads and safe retries.

Timeouts: a response has no total timeout. Each read waits at most `read_timeout` seconds (keep-alive
comments count as reads), and a whole call, retries included, ends at its deadline.
Retries: GETs on 408/429/5xx/connection errors; POSTs only when the server refused before starting work
(429, 503) or the connection was never made. A generation whose response began is never re-sent.
The API key goes only to the API's own base URL, never to an absolute URL (a Raw Data page elsewhere).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp

from .credentials import key_for_this_call
from .errors import (
    RateLimited,
    ServiceUnavailable,
    VideoAPIError,
    error_from_body,
    parse_retry_after,
)

__all__ = ["Interrupted", "OnRetry", "Transport", "dumps"]

log = logging.getLogger(__name__)

OnRetry = Callable[[int, int, VideoAPIError], Awaitable[None]]
T = TypeVar("T")

_MAX_JSON_BODY = 1024 * 1024
_MAX_ERROR_BODY = 64 * 1024


class Interrupted(Exception):
    """The response began but broke before its first byte; `reason` names how."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Transport:
    """Sends requests for one VideoAPI; shares the bot's aiohttp session (never closes it)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        session: aiohttp.ClientSession,
        *,
        read_timeout: float,
        deadline: float,
        max_attempts: int,
        backoff: float,
        connect_timeout: float,
        max_retry_wait: float,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.key = api_key or None
        self._session = session
        self.read_timeout = read_timeout
        self.deadline = deadline
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_retry_wait = max_retry_wait
        # total=None: the session's default total timeout (5 min) would kill long streams.
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=None)
        self._random = random.Random()

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def _headers(self, accept: str, *, authorize: bool) -> dict[str, str]:
        headers = {"Accept": accept, "Content-Type": "application/json"}
        key = key_for_this_call(self.key)
        if key and authorize:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    async def send(
        self,
        method: str,
        target: str,
        *,
        deadline: float,
        idempotent: bool,
        accept: str = "application/json",
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        absolute: bool = False,
    ) -> aiohttp.ClientResponse:
        """Send a request and wait for the response head; map transport errors to typed ones.

        `target` is a path under the API's base URL, or with `absolute` a whole URL, which never gets the key.
        """
        remaining = deadline - self.now()
        if remaining <= 0:
            raise ServiceUnavailable("deadline passed before the request")
        try:
            async with asyncio.timeout(min(self.read_timeout, remaining)):
                resp = await self._session.request(
                    method,
                    target if absolute else self.base + target,
                    data=data,
                    params=params,
                    headers=self._headers(accept, authorize=not absolute),
                    timeout=self._timeout,
                    allow_redirects=False,  # a redirect must never carry the API key elsewhere
                    raise_for_status=False,
                )
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
            raise ServiceUnavailable(f"TLS error: {type(exc).__name__}") from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            err = ServiceUnavailable(f"cannot connect: {type(exc).__name__}")
            err.retry_safe = True  # nothing was sent
            raise err from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            err = ServiceUnavailable(f"no response: {type(exc).__name__}")
            err.retry_safe = idempotent  # the request may have reached the server
            raise err from exc
        log.debug("%s %s -> %s", method, "(absolute URL)" if absolute else target, resp.status)
        return resp

    async def raise_for_status(self, resp: aiohttp.ClientResponse, deadline: float, *, idempotent: bool) -> None:
        if 200 <= resp.status < 300:
            return
        try:
            body = await self.read_capped(resp, b"", _MAX_ERROR_BODY, deadline, truncate=True)
        except (TimeoutError, aiohttp.ClientError, OSError):
            body = b""
        if 300 <= resp.status < 400:
            err: VideoAPIError = ServiceUnavailable(f"unexpected redirect ({resp.status})", status=resp.status)
        else:
            err = error_from_body(
                resp.status,
                body,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                secret=key_for_this_call(self.key),
            )
        err.retry_safe = idempotent or resp.status in (429, 503)
        log.info("video API answered %s (%s)", resp.status, type(err).__name__)
        raise err

    async def read(self, resp: aiohttp.ClientResponse, deadline: float) -> bytes:
        remaining = deadline - self.now()
        if remaining <= 0:
            raise TimeoutError
        async with asyncio.timeout(min(self.read_timeout, remaining)):
            return await resp.content.readany()

    async def first_bytes(self, resp: aiohttp.ClientResponse, deadline: float) -> bytes:
        """Read until the body shows its first non-blank byte (to tell JSON from an event stream)."""
        buf = b""
        while not buf.strip() and len(buf) < 65536:
            try:
                chunk = await self.read(resp, deadline)
            except TimeoutError as exc:
                raise Interrupted("deadline" if self.now() >= deadline else "read_timeout") from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise Interrupted("connection") from exc
            if not chunk:
                break
            buf += chunk
        return buf

    async def read_capped(
        self, resp: aiohttp.ClientResponse, first: bytes, cap: int, deadline: float, *, truncate: bool = False
    ) -> bytes:
        buf = bytearray(first)
        while len(buf) <= cap:
            chunk = await self.read(resp, deadline)
            if not chunk:
                return bytes(buf)
            buf += chunk
        if truncate:
            return bytes(buf[:cap])
        raise ServiceUnavailable("response body too large")

    async def json_reply(
        self, resp: aiohttp.ClientResponse, first: bytes, deadline: float, *, idempotent: bool,
        status_body: bool = False,
    ) -> dict[str, Any]:
        """Read a whole JSON body; raise the typed error when it is an error object (even with HTTP 200).

        With `status_body`, the body describes a task, and `{"status": "failed", …}` is that task's news,
        not an error of the request.
        """
        try:
            body = await self.read_capped(resp, first, _MAX_JSON_BODY, deadline)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            err = ServiceUnavailable(f"body read failed: {type(exc).__name__}")
            err.retry_safe = idempotent
            raise err from exc
        try:
            obj = json.loads(body)
        except ValueError as exc:
            err = ServiceUnavailable("the reply is not JSON")
            err.retry_safe = idempotent
            raise err from exc
        if not isinstance(obj, dict):
            raise ServiceUnavailable("the reply is not a JSON object")
        if not status_body and is_error_body(obj):
            refusal = error_from_body(None, obj, secret=key_for_this_call(self.key))
            # An error object instead of any work: as safe to retry as the matching HTTP status.
            refusal.retry_safe = idempotent or refusal.status in (429, 503)
            raise refusal
        return obj

    async def json_request(
        self,
        method: str,
        target: str,
        *,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        on_retry: OnRetry | None = None,
        absolute: bool = False,
        status_body: bool = False,
    ) -> dict[str, Any]:
        deadline = self.now() + self.deadline
        idempotent = method == "GET"

        async def attempt() -> dict[str, Any]:
            resp = await self.send(method, target, data=data, params=params, deadline=deadline,
                                   idempotent=idempotent, absolute=absolute)
            try:
                await self.raise_for_status(resp, deadline, idempotent=idempotent)
                return await self.json_reply(resp, b"", deadline, idempotent=idempotent, status_body=status_body)
            finally:
                resp.release()

        return await self.with_retries(attempt, deadline, on_retry)

    async def with_retries(
        self, attempt: Callable[[], Awaitable[T]], deadline: float, on_retry: OnRetry | None
    ) -> T:
        number = 1
        while True:
            try:
                return await attempt()
            except (RateLimited, ServiceUnavailable) as exc:
                if not exc.retry_safe or number >= self._max_attempts:
                    raise
                delay = self._retry_delay(number, exc)
                if delay is None or self.now() + delay >= deadline:
                    raise
                number += 1
                log.info("video API %s; retry %d of %d in %.2fs", type(exc).__name__, number,
                         self._max_attempts, delay)
                if on_retry is not None:
                    await on_retry(number, self._max_attempts, exc)
                await asyncio.sleep(delay)

    def _retry_delay(self, failed_attempt: int, exc: VideoAPIError) -> float | None:
        delay: float = min(self._backoff * 2 ** (failed_attempt - 1), 30 * self._backoff)
        delay *= self._random.uniform(0.5, 1.0)  # jitter: many jobs must not retry in lockstep
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            if exc.retry_after > self._max_retry_wait:
                return None
            delay = max(delay, exc.retry_after)
        return delay


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def is_error_body(obj: Mapping[str, Any]) -> bool:
    """An API error object, as opposed to a task or completion that merely mentions an error."""
    if "choices" in obj or "id" in obj:
        return False
    if obj.get("error"):
        return True
    status = obj.get("status")
    if isinstance(status, str) and status.lower() in ("error", "fail", "failed"):
        return True
    code = obj.get("code")
    if code in (None, 0, 200, "0", "200", "success", "ok", "OK"):
        return False
    return any(isinstance(obj.get(k), str) for k in ("message", "msg", "detail"))
