"""VideoAPI: the vendor's chat-completion stream, its task endpoints and the Raw Data pages, typed."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import aiohttp

from bot.core.urls import normalize_origins

from .chatstream import ChatStream, StreamTooLarge
from .credentials import key_for_this_call
from .errors import ServiceUnavailable, StreamInterrupted
from .sse import DEFAULT_MAX_LINE, SSEProtocolError
from .tasks import TaskEndpoint, TaskStatus, parse_task, task_path
from .transcript import Transcript, member_words
from .transport import Interrupted, OnRetry, Transport, dumps

__all__ = ["ChatStream", "OnRetry", "VideoAPI"]

log = logging.getLogger(__name__)

_SSE_ACCEPT = "text/event-stream, application/json"
_INTERRUPT_MESSAGES = {
    "read_timeout": "The video service stopped sending updates.",
    "deadline": "The video took too long to generate.",
    "too_large": "The video service sent an answer that was too large.",
    "protocol": "The video service sent a malformed answer.",
}


class VideoAPI:
    """Client for the vendor API; one per bot, sharing the bot's aiohttp session (never closed here).

    See `transport.Transport` for timeouts and which requests are retried.
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
        self._http = Transport(
            base_url, api_key, session, read_timeout=read_timeout, deadline=deadline, max_attempts=max_attempts,
            backoff=backoff, connect_timeout=connect_timeout, max_retry_wait=max_retry_wait,
        )
        self._max_line = max_line_bytes
        # Validated now so a bad setting fails at start-up, not at the first finished video.
        self.trusted_media_origins = tuple(sorted(normalize_origins(trusted_media_origins)))

    def __repr__(self) -> str:
        return f"VideoAPI({self._http.base!r}, key={'set' if self._http.key else 'none'})"

    async def stream_chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        on_retry: OnRetry | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Transcript]:
        """Start a generation through the chat stream; yield snapshots as they change, then a final one.

        `extra` adds body fields beside model/messages/stream (only for services a profile says read them).
        Raises StreamInterrupted (with the task ID and last transcript when seen) if the stream ends
        without a result, and GenerationStopped when the service ended it with an error event.
        """
        http = self._http
        deadline = http.now() + http.deadline
        body = {**(extra or {}), "model": model, "messages": [dict(m) for m in messages], "stream": True}
        payload = dumps(body)
        stream = ChatStream(
            trusted_origins=self.trusted_media_origins, max_line=self._max_line, secret=key_for_this_call(http.key),
            member_words=member_words(messages),
        )

        async def attempt() -> tuple[aiohttp.ClientResponse | None, bytes, dict[str, Any] | None]:
            resp = await http.send("POST", "/v1/chat/completions", data=payload, accept=_SSE_ACCEPT,
                                   deadline=deadline, idempotent=False)
            try:
                await http.raise_for_status(resp, deadline, idempotent=False)
                first = await http.first_bytes(resp, deadline)
                if resp.content_type == "application/json" or first.lstrip()[:1] in (b"{", b"["):
                    obj = await http.json_reply(resp, first, deadline, idempotent=False)
                    resp.release()
                    return None, b"", obj
                if resp.content_type == "text/html":
                    raise ServiceUnavailable("HTML page instead of an event stream", status=resp.status)
            except BaseException:
                resp.close()
                raise
            return resp, first, None

        try:
            resp, first, obj = await http.with_retries(attempt, deadline, on_retry)
        except Interrupted as exc:
            raise StreamInterrupted(reason=exc.reason, user_message=_INTERRUPT_MESSAGES.get(exc.reason)) from exc
        reason: str | None = None
        if obj is not None:
            try:
                stream.feed_object(obj)
            except StreamTooLarge:
                reason = "too_large"
        else:
            assert resp is not None
            async for snap in self._read_stream(resp, first, stream, deadline):
                if isinstance(snap, str):
                    reason = snap
                else:
                    yield snap
        final = self._conclude(stream, reason)
        if final is not None:
            yield final
            return
        raise self._interruption(stream, reason)

    async def _read_stream(
        self, resp: aiohttp.ClientResponse, first: bytes, stream: ChatStream, deadline: float
    ) -> AsyncIterator[Transcript | str]:
        """Yield snapshots as the body arrives; a string, last, says why the body ended early."""
        http = self._http
        clean_eof = False
        try:
            pending = stream.feed(first) if first else []
            while True:
                for snap in pending:
                    yield snap
                if stream.done:
                    break
                try:
                    chunk = await http.read(resp, deadline)
                except TimeoutError:
                    yield "deadline" if http.now() >= deadline else "read_timeout"
                    break
                except (aiohttp.ClientError, OSError) as exc:
                    log.info("chat stream dropped: %s", type(exc).__name__)
                    yield "connection"
                    break
                if not chunk:
                    clean_eof = True
                    break
                pending = stream.feed(chunk)
        except SSEProtocolError:
            yield "protocol"
        except StreamTooLarge:
            yield "too_large"
        finally:
            if clean_eof:
                resp.release()
            else:
                resp.close()

    @staticmethod
    def _conclude(stream: ChatStream, reason: str | None) -> Transcript | None:
        """The final transcript when the stream decided the video, else None (the caller must recover)."""
        final = stream.finish()
        parser = stream.parser
        if final.state == "failed" and reason is not None and not parser.failure_is_explicit:
            # Broken off after a refusal-sounding sentence: not proof of failure; let the caller poll.
            return None
        if final.state == "completed" and reason is not None and not parser.completion_is_explicit:
            # Broken off after a video link but before any completion line: maybe only a preview.
            return None
        if final.state == "failed" or (final.state == "completed" and final.video_url):
            return final
        return None

    @staticmethod
    def _interruption(stream: ChatStream, reason: str | None) -> Exception:
        final = stream.parser.finish()
        if stream.error is not None and reason is None and not final.task_id:
            return stream.error  # the service ended this generation with an error event, before any task ID
        if stream.error is not None and reason is None:
            # After the task ID an error event is often the gateway's, not the task's: the caller asks the task.
            reason = "error_event"
            log.info("error event after task %s: %s", final.task_id, stream.error)
        if reason is None:
            reason = "no_video_link" if final.state == "completed" else "done_without_result" if stream.done else "eof"
        if final.state in ("failed", "completed"):
            final = dataclasses.replace(final, state="generating" if final.task_id else "pending", error=None,
                                        video_url=None)
        log.info("chat stream ended without a result (%s); task %s", reason, final.task_id)
        interrupted = StreamInterrupted(
            task_id=final.task_id, reason=reason, transcript=final,
            user_message=stream.error.user_message if stream.error is not None else _INTERRUPT_MESSAGES.get(reason),
        )
        interrupted.code = stream.error.code if stream.error is not None else None
        interrupted.cause = stream.error
        return interrupted

    async def create_task(self, body: Mapping[str, Any], *, on_retry: OnRetry | None = None) -> str:
        """POST /v1/video/create (seed 003) and return the task's full ID as the server gave it."""
        obj = await self._http.json_request("POST", "/v1/video/create", data=dumps(dict(body)), on_retry=on_retry)
        task_id = obj.get("id") or obj.get("task_id")
        if not task_id and isinstance(obj.get("data"), dict):
            task_id = obj["data"].get("id") or obj["data"].get("task_id")
        if not isinstance(task_id, str) or not task_id.strip():
            raise ServiceUnavailable("create response without a task id")
        return task_id.strip()

    async def get_task(
        self, task_id: str, endpoint: TaskEndpoint, *, on_retry: OnRetry | None = None
    ) -> TaskStatus:
        """Ask one task endpoint about a task (its full, prefixed ID). Never raises on odd status words."""
        path, params = task_path(task_id, endpoint)
        obj = await self._http.json_request("GET", path, params=params, on_retry=on_retry)
        return parse_task(obj, self.trusted_media_origins)

    async def get_raw_data(self, url: str, *, on_retry: OnRetry | None = None) -> TaskStatus:
        """Read a chat-made task's Raw Data page. The caller vouches for the URL; the key is never sent."""
        obj = await self._http.json_request("GET", url, on_retry=on_retry, absolute=True, status_body=True)
        return parse_task(obj, self.trusted_media_origins)
