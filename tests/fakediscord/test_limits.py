"""Unit tests of the fake's rule engines: validation, rate limiting, snowflakes, permissions edge cases."""

from __future__ import annotations

import datetime as dt

import discord
import pytest

from fakediscord import BucketLimit, RateLimits
from fakediscord.errors import form_error
from fakediscord.models import Member, Overwrite, Role, User
from fakediscord.permissions import DEFAULT_EVERYONE, channel_permissions
from fakediscord.ratelimit import RateLimiter
from fakediscord.snowflakes import SnowflakeGenerator, snowflake_time
from fakediscord.validation import (
    validate_commands,
    validate_message,
    validate_modal,
    validate_thread,
)


def codes(problems: list) -> list[str]:
    return [p.code for p in problems]


def test_message_limits() -> None:
    assert validate_message({"content": "x" * 2000}) == []
    assert codes(validate_message({"content": "x" * 2001})) == ["BASE_TYPE_MAX_LENGTH"]
    assert codes(validate_message({"embeds": [{"title": "t"}] * 11})) == ["BASE_TYPE_MAX_LENGTH"]
    big = [{"description": "d" * 4096}, {"description": "d" * 1905}]
    assert codes(validate_message({"embeds": big})) == ["MAX_EMBED_SIZE_EXCEEDED"]
    fields = [{"name": "", "value": "v"}, {"name": "n", "value": "v" * 1025}]
    assert codes(validate_message({"embeds": [{"fields": fields}]})) == ["BASE_TYPE_BAD_LENGTH", "BASE_TYPE_BAD_LENGTH"]
    assert codes(validate_message({"embeds": [{"footer": {"text": "f" * 2049}, "author": {"name": "a" * 257}}]})) == [
        "BASE_TYPE_BAD_LENGTH",
        "BASE_TYPE_BAD_LENGTH",
    ]
    assert codes(validate_message({"embeds": [{"image": {"url": "attachment://preview.png"}, "url": "ftp://x"}]})) == [
        "URL_TYPE_INVALID_URL"
    ]
    assert codes(validate_message({"content": "x"}, file_count=11)) == ["BASE_TYPE_MAX_LENGTH"]


def test_component_limits() -> None:
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}
    assert validate_message({"components": [{"type": 1, "components": [button]}]}) == []
    dup = [{"type": 1, "components": [button, button]}]
    assert codes(validate_message({"components": dup})) == ["COMPONENT_CUSTOM_ID_DUPLICATED"]
    select = {"type": 3, "custom_id": "pick", "options": [{"label": "a", "value": "a"}]}
    mixed = [{"type": 1, "components": [select, button]}]
    assert codes(validate_message({"components": mixed})) == ["COMPONENT_LAYOUT_WIDTH_EXCEEDED"]
    link = {"type": 2, "style": 5, "label": "Open", "url": "https://x/" + "y" * 510, "custom_id": "no"}
    assert sorted(codes(validate_message({"components": [{"type": 1, "components": [link]}]}))) == [
        "BASE_TYPE_BAD_LENGTH",
        "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
    ]
    unlabeled = {"type": 2, "style": 2, "custom_id": "x"}
    assert codes(validate_message({"components": [{"type": 1, "components": [unlabeled]}]})) == [
        "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED"
    ]
    v2 = {"flags": 1 << 15, "content": "no", "components": [{"type": 10, "content": "t" * 4001}]}
    assert sorted(codes(validate_message(v2))) == [
        "COMPONENT_TEXT_TOO_LONG",
        "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
    ]


def test_components_v2_layout_rules() -> None:
    """Sections, media galleries and containers as Discord's component reference describes them."""
    v2 = 1 << 15
    item = {"media": {"url": "https://cdn.example/v.mp4"}, "description": "a cow"}
    button = {"type": 2, "style": 2, "label": "Remix", "custom_id": "r"}
    section = {"type": 9, "components": [{"type": 10, "content": "a cow"}], "accessory": button}
    page = {"type": 17, "components": [{"type": 12, "items": [item] * 10}, section, {"type": 14, "spacing": 1}]}
    assert validate_message({"flags": v2, "components": [page]}) == []
    assert codes(validate_message({"flags": v2, "components": [{"type": 12, "items": [item] * 11}]})) == [
        "BASE_TYPE_BAD_LENGTH"
    ]
    assert codes(validate_message({"flags": v2, "components": [{"type": 12, "items": [{"media": {}}]}]})) == [
        "BASE_TYPE_REQUIRED"
    ]
    no_accessory = {"type": 9, "components": [{"type": 10, "content": "x"}]}
    assert codes(validate_message({"flags": v2, "components": [no_accessory]})) == ["BASE_TYPE_REQUIRED"]
    four_texts = {**section, "components": [{"type": 10, "content": "x"}] * 4}
    assert codes(validate_message({"flags": v2, "components": [four_texts]})) == ["BASE_TYPE_BAD_LENGTH"]
    nested = {"type": 17, "components": [{"type": 17, "components": []}]}
    assert codes(validate_message({"flags": v2, "components": [nested]})) == ["UNION_TYPE_CHOICES"]
    assert codes(validate_message({"components": [page]})) == ["UNION_TYPE_CHOICES"]  # without the flag: legacy


def test_allowed_mentions_rules() -> None:
    assert validate_message({"allowed_mentions": {"parse": [], "users": ["1"]}}) == []
    assert codes(validate_message({"allowed_mentions": {"parse": ["users"], "users": ["1"]}})) == [
        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"
    ]
    assert codes(validate_message({"allowed_mentions": {"parse": ["nobody"]}})) == ["BASE_TYPE_CHOICES"]


def test_modal_and_thread_limits() -> None:
    text = {"type": 4, "custom_id": "change", "style": 2, "label": "What should change?", "max_length": 1000}
    assert validate_modal({"custom_id": "m", "title": "Remix", "components": [{"type": 1, "components": [text]}]}) == []
    labelled = {"type": 18, "label": "L" * 46, "component": {**text, "label": None, "min_length": 5000}}
    assert sorted(codes(validate_modal({"custom_id": "m", "title": "", "components": [labelled]}))) == [
        "BASE_TYPE_BAD_INT",
        "BASE_TYPE_BAD_LENGTH",
        "BASE_TYPE_BAD_LENGTH",
        "NUMBER_TYPE_MAX",
    ]
    assert validate_thread({"name": "n" * 100, "auto_archive_duration": 10080}, creating=True) == []
    assert codes(validate_thread({"name": "", "auto_archive_duration": 30}, creating=True)) == [
        "BASE_TYPE_BAD_LENGTH",
        "BASE_TYPE_CHOICES",
    ]


def test_command_validation() -> None:
    ok = {
        "name": "video",
        "description": "Make a video",
        "options": [{"type": 3, "name": "prompt", "description": "p", "required": True}],
    }
    assert validate_commands([ok]) == []
    bad_order = {
        **ok,
        "options": [
            {"type": 3, "name": "a", "description": "a"},
            {"type": 3, "name": "b", "description": "b", "required": True},
        ],
    }
    assert codes(validate_commands([bad_order])) == ["APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"]
    assert codes(validate_commands([{**ok, "name": "Video"}, ok, ok])) == [
        "APPLICATION_COMMAND_INVALID_NAME",
        "APPLICATION_COMMANDS_DUPLICATE_NAME",
    ]


def test_form_error_body_is_what_discord_py_flattens() -> None:
    error = form_error(validate_message({"content": "x" * 2001, "embeds": [{"title": "t" * 257}]}))
    body = error.body()
    assert (
        body["code"] == 50035 and body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    )
    flattened = dict(discord.errors._flatten_error_dict(body["errors"]))
    assert set(flattened) == {"content", "embeds.0.title"}


class Clock:
    """A manual clock for the limiter."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_headers_and_429() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(message_create=BucketLimit(2, 5.0)), clock=clock)
    first = limiter.check("POST", "/channels/{channel_id}/messages", "1", global_exempt=False)
    assert first.refused is None
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-Reset-After"] == "5.000" and "X-RateLimit-Reset" in first.headers
    other_channel = limiter.check("POST", "/channels/{channel_id}/messages", "2", global_exempt=False)
    assert other_channel.headers["X-RateLimit-Bucket"] == first.headers["X-RateLimit-Bucket"]
    clock.now += 1
    assert limiter.check("POST", "/channels/{channel_id}/messages", "1", global_exempt=False).refused is None
    refused = limiter.check("POST", "/channels/{channel_id}/messages", "1", global_exempt=False)
    assert refused.refused == {"message": "You are being rate limited.", "retry_after": 4.0, "global": False}
    assert refused.headers["Via"] == "1.1 google" and refused.headers["X-RateLimit-Scope"] == "user"
    assert refused.hit is not None and refused.hit.bucket == "message_create"
    clock.now += 4
    assert limiter.check("POST", "/channels/{channel_id}/messages", "1", global_exempt=False).refused is None


def test_global_bucket_and_exemptions() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(global_=BucketLimit(2, 1.0)), clock=clock)
    for channel in ("1", "2"):
        assert limiter.check("GET", "/channels/{channel_id}", channel, global_exempt=False).refused is None
    for _ in range(5):  # interaction callbacks and webhooks do not count against the global limit
        assert limiter.check("POST", "/webhooks/{application_id}/{token}", "tok", global_exempt=True).refused is None
    blocked = limiter.check("GET", "/channels/{channel_id}", "3", global_exempt=False)
    assert blocked.refused is not None and blocked.refused["global"] is True
    assert blocked.headers["X-RateLimit-Global"] == "true"
    webhook = limiter.check(
        "PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", "tok", global_exempt=True
    )
    assert webhook.refused is not None and webhook.hit is not None and webhook.hit.bucket == "webhook"  # 5 per 2 s


def test_global_limit_is_a_sliding_window_not_fixed_seconds() -> None:
    # Fifty at the end of one second and fifty at the start of the next would pass a fixed window; Discord's
    # limit is per any second, so the 51st request inside one second is refused wherever the second starts.
    clock = Clock()
    limiter = RateLimiter(RateLimits(), clock=clock)

    def get(channel: int) -> dict | None:
        return limiter.check("GET", "/channels/{channel_id}", str(channel), global_exempt=False).refused

    clock.now = 100.0
    assert get(0) is None  # opens what a fixed window would call the second [100, 101)
    clock.now = 100.9
    assert all(get(c) is None for c in range(1, 50))  # 50 within 100.0–100.9
    clock.now = 101.05  # a new "second" for a fixed window; the one at 100.0 has left the sliding one
    assert get(50) is None
    refused = get(51)  # 51 inside 100.05–101.05
    assert refused is not None and refused["global"] is True
    assert refused["retry_after"] == pytest.approx(0.85, abs=0.002)  # when the first of 100.9's leaves
    for _ in range(5):  # exempt routes neither count nor are refused
        callback = limiter.check("POST", "/interactions/{interaction_id}/{token}/callback", "t", global_exempt=True)
        assert callback.refused is None
    clock.now = 101.91
    assert get(52) is None


def test_snowflakes_are_time_based_and_increasing() -> None:
    generator = SnowflakeGenerator()
    ids = [generator.next() for _ in range(5000)]
    assert ids == sorted(set(ids))
    assert abs(snowflake_time(ids[0]) - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    assert discord.utils.snowflake_time(ids[-1]) == snowflake_time(ids[-1])


@pytest.mark.parametrize(
    ("overwrites", "expected_send", "expected_embed"),
    [
        ({}, True, True),
        ({1: Overwrite(1, 0, 0, discord.Permissions(send_messages=True).value)}, False, False),
        (
            {
                1: Overwrite(1, 0, 0, discord.Permissions(send_messages=True).value),
                7: Overwrite(7, 1, discord.Permissions(send_messages=True).value, 0),
            },
            True,
            True,
        ),
    ],
)
def test_member_overwrite_beats_everyone(overwrites: dict, expected_send: bool, expected_embed: bool) -> None:
    user = User(7, "maya")
    roles = {1: Role(1, 1, "@everyone", DEFAULT_EVERYONE)}
    member = Member(user, 1, [], "2026-01-01T00:00:00+00:00")
    value = discord.Permissions(
        channel_permissions(guild_id=1, owner_id=2, roles=roles, member=member, overwrites=overwrites, in_thread=False)
    )
    assert value.send_messages is expected_send and value.embed_links is expected_embed
