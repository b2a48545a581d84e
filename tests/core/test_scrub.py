"""Secrets never leave the process: the scrubber, and the log filter through which every formatter gets its
records (message, traceback and stack)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.core.config import Secret, load_settings
from bot.core.logs import FORMAT, RedactSecrets
from bot.core.scrub import REDACTED, plain, redact, scrub

CONFIGURED = "vk-configured-5f3a9c1e7b2d"  # shaped like no known key: only its configuration can hide it


@pytest.mark.parametrize(
    "leak",
    [
        "sk-live-0123456789abcdefABCDEF",  # an OpenAI-style key (a reseller's upstream one, not ours)
        "sk-proj-Ab3_dE-fGh1jKlmNoPq",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlc2lnbmF0dXJl",
        "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456",  # a Discord bot token's shape
        "AIzaSyA-1234567890abcdefghijkl",
        "ghp_0123456789abcdefghijABCDEFGHIJ",
    ],
)
def test_key_shaped_tokens_are_redacted_whoever_they_belong_to(leak: str) -> None:
    text = f"❌ Generation failed: invalid token {leak}, try again"
    assert leak not in scrub(text)
    assert scrub(text).startswith("❌ Generation failed: invalid token ") and REDACTED in scrub(text)


def test_labelled_values_keep_their_label() -> None:
    assert redact("upstream said api_key=abc123def456ghi&x=1") == f"upstream said api_key={REDACTED}&x=1"
    assert redact('{"password": "hunter2hunter2"}') == f'{{"password": "{REDACTED}"}}'


def test_configured_secrets_are_redacted_wherever_they_appear() -> None:
    Secret(CONFIGURED)  # configuring a secret is what makes the process remember it
    assert CONFIGURED not in scrub(f"x{CONFIGURED}y")
    settings = load_settings({"DISCORD_TOKEN": "discord-configured-1234567", "VIDEO_API_KEY": "vk-other-98765432",
                              "DATABASE_URL": "postgresql://bot:pa55word-xyz@db.internal/videobot"}, env_file=None)
    assert settings.discord_token
    for secret in ("discord-configured-1234567", "vk-other-98765432", "pa55word-xyz"):
        assert secret not in scrub(f"connecting with {secret}!")


@pytest.mark.parametrize(
    "ordinary",
    [
        "Content policy violation: similarity to third-party content",
        "task_01k8sxz17gewz8kac074xz4crh s_69030aec68108191a24f05b2089bcb59",
        "veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47",
        "https://filesystem.site/cdn/20251030/181a1916dcfe0bb84cafed2427204c.mp4",
        "Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        "token: 12",
    ],
)
def test_ordinary_vendor_words_are_left_alone(ordinary: str) -> None:
    assert scrub(ordinary) == ordinary


def test_plain_parts_a_masked_link() -> None:
    assert plain("[Verify your account](https://phish.example/login)") == \
        "[Verify your account] (https://phish.example/login)"


def _formatted(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactSecrets())
    handler.handle(record)
    return stream.getvalue()


def _record_with_traceback(secret: str) -> logging.LogRecord:
    try:
        raise RuntimeError(f"vendor said: bad key {secret}")
    except RuntimeError as exc:
        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "job %s crashed", (7,), (type(exc), exc,
                                   exc.__traceback__))
    record.stack_info = f"Stack (most recent call last):\n  url = 'https://x/?key={secret}'"
    return record


class _JsonFormatter(logging.Formatter):
    """A formatter like the one a later issue adds: it reads the record's fields, not a formatted string."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"msg": record.getMessage(), "exc": record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else None), "stack": record.stack_info})


@pytest.mark.parametrize("formatter", [logging.Formatter(FORMAT), _JsonFormatter()], ids=["text", "json"])
def test_a_traceback_and_a_stack_are_scrubbed_too(formatter: logging.Formatter) -> None:
    Secret(CONFIGURED)
    record = _record_with_traceback(CONFIGURED)
    out = _formatted(record, formatter)
    assert "RuntimeError" in out and "job 7 crashed" in out  # the traceback is still there...
    assert CONFIGURED not in out and "sk-" not in out  # ...without the secret
    assert record.exc_info is None  # no later formatter can render the unscrubbed exception again
