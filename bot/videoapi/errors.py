"""Typed errors of the video API, each with a short sentence that is safe to show in Discord."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from bot.core.scrub import plain

__all__ = [
    "AuthenticationFailed",
    "GenerationStopped",
    "RateLimited",
    "RequestRejected",
    "ServiceUnavailable",
    "StreamInterrupted",
    "VideoAPIError",
    "error_from_body",
    "parse_retry_after",
    "safe_reason",
    "stream_error",
]

_MAX_REASON = 160
_TAG = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"\s+")
_POLICY_WORDS = re.compile(
    r"polic|moderat|safety|unsafe|violat|prohibit|sensitive|third.party|similarity|copyright|nsfw|"
    r"违规|违反|敏感|审核|不安全",
    re.IGNORECASE,
)
_AUTH_WORDS = re.compile(r"auth|api.?key|token|unauthori[sz]ed|forbidden|permission", re.IGNORECASE)
_RATE_WORDS = re.compile(r"rate.?limit|too.?many|throttl|concurren", re.IGNORECASE)
_CREDIT_WORDS = re.compile(r"insufficient|quota|balance|credit|余额|额度", re.IGNORECASE)
_CODE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
_BUSY_WORDS = re.compile(r"overload|unavailable|timeout|timed out|busy|upstream|server.?error", re.IGNORECASE)


class VideoAPIError(Exception):
    """Base class; `user_message` is one short sentence fit for a Discord message."""

    default_message = "The video service had a problem."

    def __init__(self, detail: str = "", *, user_message: str | None = None, status: int | None = None):
        super().__init__(detail or self.default_message)
        self.user_message = user_message or self.default_message
        self.status = status
        self.code: str | None = None  # the vendor's error code, when it gave one as a word (sentinel_block)
        # Set by the client when a retry cannot start a second generation (see client._retryable).
        self.retry_safe = False


class AuthenticationFailed(VideoAPIError):
    """The API key is missing, wrong or not allowed to use this model (401/403)."""

    default_message = "The video service rejected the bot's credentials. Ask the bot owner to check the API key."


class RateLimited(VideoAPIError):
    """The service asked us to slow down (429); `retry_after` is in seconds when it said so."""

    default_message = "The video service is busy right now. Try again in a minute."

    def __init__(self, detail: str = "", *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(VideoAPIError):
    """5xx, connection errors and timeouts before a generation started."""

    default_message = "The video service isn't answering right now."


class RequestRejected(VideoAPIError):
    """The service refused this request (400, content policy, no credit); `reason` is the vendor's words."""

    default_message = "The video service declined this request."

    def __init__(self, detail: str = "", *, reason: str | None = None, **kwargs: Any):
        reason = safe_reason(reason)
        if reason and "user_message" not in kwargs:
            kwargs["user_message"] = f"The video service declined this prompt: {reason.rstrip('.')}."
        super().__init__(detail, **kwargs)
        self.reason = reason


class GenerationStopped(VideoAPIError):
    """An error object inside a generation's 200 event stream: the service ended this video there.

    sora2api-style gateways end a stream this way (`data: {"error": {…, "code": "…"}}` then `[DONE]`); the
    task is gone with it, so there is nothing to poll.
    """

    default_message = "The video service stopped this video with an error."

    def __init__(self, detail: str = "", *, reason: str | None = None, **kwargs: Any):
        reason = safe_reason(reason)
        if reason and "user_message" not in kwargs:
            kwargs["user_message"] = f"The video service stopped this video: {reason.rstrip('.')}."
        super().__init__(detail, **kwargs)
        self.reason = reason


def stream_error(body: Mapping[str, Any], *, secret: str | None = None) -> VideoAPIError:
    """The typed error for an `{"error": …}` event inside a chat stream.

    A refusal, a rate limit or a bad key keep their usual types; anything else stopped the generation, and
    the member reads the service's own words (or its error code when it gave no words).
    """
    err = error_from_body(None, body, secret=secret)
    if isinstance(err, (RequestRejected, RateLimited, AuthenticationFailed)):
        return err
    message, _, code = _fields(body)
    words = safe_reason(message, secret=secret) or (safe_reason(str(code), secret=secret) if code else None)
    stopped = GenerationStopped(str(err), reason=words, status=err.status)
    stopped.code = err.code
    return stopped


class StreamInterrupted(VideoAPIError):
    """The stream stopped before a result; `task_id` (when seen) lets the caller switch to polling."""

    default_message = "The connection to the video service dropped."

    def __init__(
        self,
        detail: str = "",
        *,
        task_id: str | None = None,
        reason: str = "eof",
        transcript: Any = None,
        **kwargs: Any,
    ):
        super().__init__(detail or f"stream interrupted ({reason})", **kwargs)
        self.task_id = task_id
        # One of: eof, done_without_result, no_video_link, connection, read_timeout, deadline, protocol,
        # error_event, too_large.
        self.reason = reason
        # The last Transcript (with the content received so far), so a caller can keep the partial answer.
        self.transcript = transcript
        # reason "error_event": the `{"error": …}` event that ended the stream after the task ID.
        self.cause: VideoAPIError | None = None


def safe_reason(text: str | None, *, secret: str | None = None) -> str | None:
    """Return a vendor message fit to show users, or None when it is empty, HTML, unprintable or long."""
    if not text or not isinstance(text, str):
        return None
    if secret and secret in text:
        text = text.replace(secret, "***")
    text = plain(text)
    if _TAG.search(text) or "<html" in text.lower():
        return None
    text = _SPACES.sub(" ", text).strip().strip("\"'`")
    if not text or not text.isprintable():
        return None
    if len(text) > _MAX_REASON:
        cut = text[:_MAX_REASON].rsplit(" ", 1)[0]
        text = (cut or text[:_MAX_REASON]).rstrip(" ,;:") + "…"
    return text


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date; None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def _fields(body: Any) -> tuple[str | None, str | None, Any]:
    """Pull (message, type, code) out of nested `{"error": {...}}` or flat `{"code","message"}` bodies."""
    if not isinstance(body, Mapping):
        return (body if isinstance(body, str) else None), None, None
    err = body.get("error", body)
    if isinstance(err, str):
        return err, None, body.get("code")
    if not isinstance(err, Mapping):
        err = body
    message = next(
        (err[k] for k in ("message", "msg", "detail", "error_message", "reason") if isinstance(err.get(k), str)),
        None,
    )
    etype = err.get("type") if isinstance(err.get("type"), str) else None
    return message, etype, err.get("code", body.get("code"))


def _infer_status(message: str | None, etype: str | None, code: Any) -> int:
    """Guess an HTTP-like status for an error that arrived inside a 200 response or an SSE event."""
    if isinstance(code, bool):
        code = None
    if isinstance(code, int) and 400 <= code <= 599:
        return code
    if isinstance(code, str) and code.isdigit() and 400 <= int(code) <= 599:
        return int(code)
    words = " ".join(str(x) for x in (code, etype, message) if x)
    if _POLICY_WORDS.search(words):
        return 400
    if _RATE_WORDS.search(words):
        return 429
    if _CREDIT_WORDS.search(words):
        return 402
    if _AUTH_WORDS.search(words):
        return 401
    if "invalid_request" in words or "bad_request" in words:
        return 400
    if _BUSY_WORDS.search(words):
        return 503
    return 500


def error_from_body(
    status: int | None,
    body: Any,
    *,
    retry_after: float | None = None,
    secret: str | None = None,
) -> VideoAPIError:
    """Build the typed error for an HTTP error, or for an error body that came with HTTP 200 (status None)."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = {"message": body}
    message, etype, code = _fields(body)
    if status is None or status < 400:
        status = _infer_status(message, etype, code)
    elif status == 400 and _RATE_WORDS.search(str(code or "")):
        status = 429
    elif status == 429 and _CREDIT_WORDS.search(f"{code} {message}") and not _RATE_WORDS.search(f"{code}"):
        # OpenAI-style "insufficient_quota" comes as 429 but waiting will not help.
        status = 402
    reason = safe_reason(message, secret=secret)
    detail = f"HTTP {status}: {reason or 'no message'}"
    error = _typed(status, detail, reason, body, retry_after)
    error.code = code.strip() if isinstance(code, str) and _CODE_WORD.fullmatch(code.strip()) else None
    return error


def _typed(status: int, detail: str, reason: str | None, body: Any, retry_after: float | None) -> VideoAPIError:
    if status in (401, 403):
        return AuthenticationFailed(detail, status=status)
    if status == 429:
        if retry_after is None and isinstance(body, Mapping):
            raw = body.get("retry_after")
            retry_after = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        return RateLimited(detail, retry_after=retry_after, status=status)
    if status == 408 or status >= 500:
        return ServiceUnavailable(detail, status=status)
    if status == 402:
        return RequestRejected(
            detail,
            reason=reason,
            status=status,
            user_message="The video service account can't take new jobs right now. Ask the bot owner.",
        )
    if status == 404:
        return RequestRejected(
            detail, reason=reason, status=status, user_message="The video service couldn't find this task."
        )
    return RequestRejected(detail, reason=reason, status=status)
