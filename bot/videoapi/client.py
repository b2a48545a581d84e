"""VideoAPI: the vendor's chat-completion stream and task endpoints, with typed errors and safe retries."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp

from bot.core.urls import normalize_origins

from .errors import (
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    VideoAPIError,
    error_from_body,
    parse_retry_after,
)
from .sse import DEFAULT_MAX_LINE, SSEDecoder, SSEProtocolError
from .tasks import TaskStatus, full_task_id, other_query_path, parse_task, task_query_path
from .transcript import Transcript, TranscriptParser

__all__ = ["ChatStream", "OnRetry", "VideoAPI"]

log = logging.getLogger(__name__)

OnRetry = Callable[[int, int, VideoAPIError], Awaitable[None]]
T = TypeVar("T")

_MAX_JSON_BODY = 1024 * 1024
_MAX_ERROR_BODY = 64 * 1024
_MAX_CONTENT = 4 * 1024 * 1024
_SSE_ACCEPT = "text/event-stream, application/json"
_CONTENT_FILTER = "The video service's content filter blocked this request."
_INTERRUPT_MESSAGES = {
    "read_timeout": "The video service stopped sending updates.",
    "deadline": "The video took too long to generate.",
    "too_large": "The video service sent an answer that was too large.",
    "protocol": "The video service sent a malformed answer.",
}


class _StreamTooLarge(Exception):
    """The assistant text grew past the configured cap."""


class ChatStream:
    """Pure: the raw bytes of a streamed chat completion in, Transcript changes out.

    Separate from the network code so framing can be tested by re-chunking a byte string at every
    boundary. `feed()` returns the snapshots whose visible fields changed and that are not final yet: a
    completed state is held back until the stream ends, because the links follow the completion line.
    """

    def __init__(
        self,
        *,
        trusted_origins: Iterable[str] = (),
        max_line: int = DEFAULT_MAX_LINE,
        max_content: int = _MAX_CONTENT,
        secret: str | None = None,
    ) -> None:
        self._decoder = SSEDecoder(max_line=max_line)
        self.parser = TranscriptParser(trusted_origins=trusted_origins)
        self._max_content = max_content
        self._size = 0
        self._secret = secret
        self._last: tuple[object, ...] = Transcript().visible()
        self.done = False  # [DONE] or a finish_reason was seen
        self.error: VideoAPIError | None = None  # an `{"error": …}` event that is not a refusal

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
            err = error_from_body(None, obj, secret=self._secret)
            self.done = True
            if isinstance(err, RequestRejected):
                self.parser.fail(err.reason or "The video service declined this prompt.")
            else:
                self.error = err
            return
        choices = obj.get("choices")
        if not isinstance(choices, list) or not choices:
            return
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
                        raise _StreamTooLarge
                    self.parser.feed(text, reasoning=reasoning)
        finish = choice.get("finish_reason")
        if finish:
            self.done = True
            if finish == "content_filter":
                self.parser.fail(_CONTENT_FILTER)


class VideoAPI:
    """Client for the vendor API; one per bot, sharing the bot's aiohttp session (never closed here).

    Timeouts: a stream has no total timeout. Each read waits at most `read_timeout` seconds (keep-alive
    comments count as reads), and a whole call, retries included, ends at `deadline` seconds.
    Retries: GETs on 408/429/5xx/connection errors; POSTs only when the server refused before starting
    work (429, 503) or the connection was never made. A generation whose response began is never re-sent.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        session: aiohttp.ClientSession,
        *,
        read_timeout: float = 120.0,
        deadline: float = 3600.0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        trusted_media_origins: Sequence[str] = (),
        connect_timeout: float = 15.0,
        max_retry_wait: float = 60.0,
        max_line_bytes: int = DEFAULT_MAX_LINE,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._key = api_key or None
        self._session = session
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_retry_wait = max_retry_wait
        self._max_line = max_line_bytes
        # Validated now so a bad setting fails at start-up, not at the first finished video.
        self.trusted_media_origins = tuple(sorted(normalize_origins(trusted_media_origins)))
        # total=None: the session's default total timeout (5 min) would kill long streams.
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=None)
        self._random = random.Random()

    def __repr__(self) -> str:
        return f"VideoAPI({self._base!r}, key={'set' if self._key else 'none'})"

    # -- public API -------------------------------------------------------------------------------------

    async def stream_chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, str]],
        *,
        on_retry: OnRetry | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Transcript]:
        """Start a generation through the chat stream; yield snapshots as they change, then a final one.

        `extra` adds body fields beside model/messages (the video options: orientation, duration, size).
        Raises StreamInterrupted (with the task ID when one was seen) if the stream ends without a result.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline
        body = {**(extra or {}), "model": model, "messages": [dict(m) for m in messages], "stream": True}
        payload = _dumps(body)
        stream = ChatStream(trusted_origins=self.trusted_media_origins, max_line=self._max_line, secret=self._key)

        async def attempt() -> tuple[aiohttp.ClientResponse | None, bytes, dict[str, Any] | None]:
            resp = await self._send("POST", "/v1/chat/completions", data=payload, accept=_SSE_ACCEPT,
                                    deadline=deadline, idempotent=False)
            try:
                await self._raise_for_status(resp, deadline, idempotent=False)
                first = await self._first_bytes(resp, deadline)
                if resp.content_type == "application/json" or first.lstrip()[:1] in (b"{", b"["):
                    obj = await self._json_reply(resp, first, deadline, idempotent=False)
                    resp.release()
                    return None, b"", obj
                if resp.content_type == "text/html":
                    raise ServiceUnavailable("HTML page instead of an event stream", status=resp.status)
            except BaseException:
                resp.close()
                raise
            return resp, first, None

        try:
            resp, first, obj = await self._with_retries(attempt, deadline, on_retry)
        except _Interrupted as exc:
            raise StreamInterrupted(reason=exc.reason, user_message=_INTERRUPT_MESSAGES.get(exc.reason)) from exc
        reason: str | None = None
        if obj is not None:
            try:
                stream.feed_object(obj)
            except _StreamTooLarge:
                reason = "too_large"
        else:
            assert resp is not None
            clean_eof = False
            try:
                pending = stream.feed(first) if first else []
                while True:
                    for snap in pending:
                        yield snap
                    if stream.done:
                        break
                    try:
                        chunk = await self._read(resp, deadline)
                    except TimeoutError:
                        reason = "deadline" if loop.time() >= deadline else "read_timeout"
                        break
                    except (aiohttp.ClientError, OSError) as exc:
                        log.info("chat stream dropped: %s", type(exc).__name__)
                        reason = "connection"
                        break
                    if not chunk:
                        clean_eof = True
                        break
                    pending = stream.feed(chunk)
            except SSEProtocolError:
                reason = "protocol"
            except _StreamTooLarge:
                reason = "too_large"
            finally:
                if clean_eof:
                    resp.release()
                else:
                    resp.close()

        final = stream.finish()
        if final.state == "failed" and reason is not None and not stream.parser.failure_is_explicit:
            # Broken off after a refusal-sounding sentence: not proof of failure; let the caller poll.
            final = dataclasses.replace(final, state="generating" if final.task_id else "pending", error=None)
        if final.state == "failed" or (final.state == "completed" and final.video_url):
            yield final
            return
        if stream.error is not None and reason is None:
            if final.task_id is None:
                raise stream.error
            raise StreamInterrupted(
                str(stream.error), task_id=final.task_id, reason="error_event", transcript=final
            ) from stream.error
        if final.state == "completed":
            reason = "no_video_link"
        elif reason is None:
            reason = "done_without_result" if stream.done else "eof"
        log.info("chat stream ended without a result (%s); task %s", reason, final.task_id)
        raise StreamInterrupted(
            task_id=final.task_id,
            reason=reason,
            transcript=final,
            user_message=_INTERRUPT_MESSAGES.get(reason),
        )

    async def create_task(
        self,
        model: str,
        prompt: str,
        *,
        images: Sequence[str] = (),
        orientation: str = "portrait",
        size: str = "small",
        duration: int = 10,
        watermark: bool = False,
        private: bool = False,
        on_retry: OnRetry | None = None,
    ) -> str:
        """Create a task (seed 003) and return its full ID as the server gave it, e.g. `sora-2:task_…`."""
        body = {
            "images": list(images),
            "model": model,
            "orientation": orientation,
            "prompt": prompt,
            "size": size,
            "duration": duration,
            "watermark": watermark,
            "private": private,
        }
        obj = await self._json_request("POST", "/v1/video/create", data=_dumps(body), on_retry=on_retry)
        task_id = obj.get("id") or obj.get("task_id")
        if not task_id and isinstance(obj.get("data"), dict):
            task_id = obj["data"].get("id") or obj["data"].get("task_id")
        if not isinstance(task_id, str) or not task_id.strip():
            raise ServiceUnavailable("create response without a task id")
        return task_id.strip()

    async def get_task(self, task_id: str, model: str | None = None, *, on_retry: OnRetry | None = None) -> TaskStatus:
        """Query a task; a bare `task_…` ID is prefixed with `model`. Never raises on odd status words."""
        full = full_task_id(task_id, model)
        path, params = task_query_path(full)
        try:
            obj = await self._json_request("GET", path, params=params, on_retry=on_retry)
        except RequestRejected as exc:
            if exc.status != 404:
                raise
            path, params = other_query_path(full)
            obj = await self._json_request("GET", path, params=params, on_retry=on_retry)
        return parse_task(obj, self.trusted_media_origins)

    # -- plumbing -------------------------------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        *,
        deadline: float,
        idempotent: bool,
        accept: str = "application/json",
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        """Send a request and wait for the response head; map transport errors to typed ones."""
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise ServiceUnavailable("deadline passed before the request")
        try:
            async with asyncio.timeout(min(self._read_timeout, remaining)):
                resp = await self._session.request(
                    method,
                    self._base + path,
                    data=data,
                    params=params,
                    headers=self._headers(accept),
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
        log.debug("%s %s -> %s", method, path, resp.status)
        return resp

    async def _raise_for_status(self, resp: aiohttp.ClientResponse, deadline: float, *, idempotent: bool) -> None:
        if 200 <= resp.status < 300:
            return
        try:
            body = await self._read_capped(resp, b"", _MAX_ERROR_BODY, deadline, truncate=True)
        except (TimeoutError, aiohttp.ClientError, OSError):
            body = b""
        if 300 <= resp.status < 400:
            err: VideoAPIError = ServiceUnavailable(f"unexpected redirect ({resp.status})", status=resp.status)
        else:
            err = error_from_body(
                resp.status,
                body,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                secret=self._key,
            )
        err.retry_safe = idempotent or resp.status in (429, 503)
        log.info("video API answered %s (%s)", resp.status, type(err).__name__)
        raise err

    async def _read(self, resp: aiohttp.ClientResponse, deadline: float) -> bytes:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError
        async with asyncio.timeout(min(self._read_timeout, remaining)):
            return await resp.content.readany()

    async def _first_bytes(self, resp: aiohttp.ClientResponse, deadline: float) -> bytes:
        """Read until the body shows its first non-blank byte (to tell JSON from an event stream)."""
        buf = b""
        while not buf.strip() and len(buf) < 65536:
            try:
                chunk = await self._read(resp, deadline)
            except TimeoutError as exc:
                reason = "deadline" if asyncio.get_running_loop().time() >= deadline else "read_timeout"
                raise _Interrupted(reason) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise _Interrupted("connection") from exc
            if not chunk:
                break
            buf += chunk
        return buf

    async def _read_capped(
        self, resp: aiohttp.ClientResponse, first: bytes, cap: int, deadline: float, *, truncate: bool = False
    ) -> bytes:
        buf = bytearray(first)
        while len(buf) <= cap:
            chunk = await self._read(resp, deadline)
            if not chunk:
                return bytes(buf)
            buf += chunk
        if truncate:
            return bytes(buf[:cap])
        raise ServiceUnavailable("response body too large")

    async def _json_reply(
        self, resp: aiohttp.ClientResponse, first: bytes, deadline: float, *, idempotent: bool
    ) -> dict[str, Any]:
        """Read a whole JSON body; raise the typed error when it is an error object (even with HTTP 200)."""
        try:
            body = await self._read_capped(resp, first, _MAX_JSON_BODY, deadline)
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
        if _is_error_body(obj):
            refusal = error_from_body(None, obj, secret=self._key)
            # An error object instead of any work: as safe to retry as the matching HTTP status.
            refusal.retry_safe = idempotent or refusal.status in (429, 503)
            raise refusal
        return obj

    async def _json_request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        on_retry: OnRetry | None = None,
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + self._deadline
        idempotent = method == "GET"

        async def attempt() -> dict[str, Any]:
            resp = await self._send(method, path, data=data, params=params, deadline=deadline,
                                    idempotent=idempotent)
            try:
                await self._raise_for_status(resp, deadline, idempotent=idempotent)
                return await self._json_reply(resp, b"", deadline, idempotent=idempotent)
            finally:
                resp.release()

        return await self._with_retries(attempt, deadline, on_retry)

    async def _with_retries(
        self, attempt: Callable[[], Awaitable[T]], deadline: float, on_retry: OnRetry | None
    ) -> T:
        loop = asyncio.get_running_loop()
        number = 1
        while True:
            try:
                return await attempt()
            except (RateLimited, ServiceUnavailable) as exc:
                if not exc.retry_safe or number >= self._max_attempts:
                    raise
                delay = self._retry_delay(number, exc)
                if delay is None or loop.time() + delay >= deadline:
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


class _Interrupted(Exception):
    """Internal: the response began but broke before its first byte."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _is_error_body(obj: Mapping[str, Any]) -> bool:
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

