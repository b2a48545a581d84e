"""Error bodies in every shape become typed errors with a short, safe sentence for users."""

from __future__ import annotations

import pytest

from bot.videoapi import (
    AuthenticationFailed,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    VideoAPIError,
)
from bot.videoapi.errors import error_from_body, parse_retry_after, safe_reason


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"error": {"message": "Invalid token", "type": "authentication_error"}}, AuthenticationFailed),
        (403, {"code": 403, "message": "forbidden"}, AuthenticationFailed),
        (429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}, RateLimited),
        (500, "<html><body>Internal Server Error</body></html>", ServiceUnavailable),
        (502, b"Bad Gateway", ServiceUnavailable),
        (503, {}, ServiceUnavailable),
        (408, {}, ServiceUnavailable),
        (400, {"error": {"message": "similarity to third-party content", "code": "content_policy_violation"}},
         RequestRejected),
        (404, {"error": {"message": "task not found"}}, RequestRejected),
        (None, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}, RateLimited),
        (None, {"code": 401, "message": "invalid api key"}, AuthenticationFailed),
        (None, {"code": "content_policy_violation", "message": "unsafe prompt"}, RequestRejected),
        (None, {"error": {"message": "upstream overloaded"}}, ServiceUnavailable),
        (None, {"error": "something odd"}, ServiceUnavailable),
    ],
)
def test_nested_flat_and_plain_bodies(status: int | None, body: object, kind: type[VideoAPIError]) -> None:
    err = error_from_body(status, body)
    assert type(err) is kind
    assert err.user_message.endswith(".")
    assert "<" not in err.user_message


def test_rejection_quotes_a_short_vendor_reason() -> None:
    err = error_from_body(400, '{"error": {"message": "similarity to third-party content", "type": "x"}}')
    assert err.user_message == "The video service declined this prompt: similarity to third-party content."


def test_long_html_or_secret_reasons_are_not_shown() -> None:
    assert safe_reason("<html>oops</html>") is None
    long = safe_reason("word " * 100)
    assert long is not None and len(long) <= 161 and long.endswith("…")
    err = error_from_body(400, {"error": {"message": "key sk-secret-123 is not allowed here"}}, secret="sk-secret-123")
    assert "sk-secret-123" not in err.user_message
    assert "sk-secret-123" not in str(err)


def test_insufficient_quota_is_not_treated_as_a_retryable_rate_limit() -> None:
    err = error_from_body(429, {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}})
    assert isinstance(err, RequestRejected)


def test_retry_after_from_header_or_body() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    err = error_from_body(429, {"error": {"message": "slow"}, "retry_after": 3})
    assert isinstance(err, RateLimited) and err.retry_after == 3.0


def test_stream_interrupted_carries_the_task_id() -> None:
    err = StreamInterrupted(task_id="task_0a1b2c3d", reason="connection")
    assert err.task_id == "task_0a1b2c3d"
    assert err.user_message
