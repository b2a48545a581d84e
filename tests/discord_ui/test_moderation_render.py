"""What moderators and members read: /quota confirmations, /usage, settings and the moderator-log lines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.config import load_settings
from bot.discord_ui.moderation_render import (
    cost_log,
    cost_reply,
    explanation_text,
    generation_line,
    limit_change_log,
    limit_change_reply,
    policies_text,
    reset_log,
    reset_reply,
    settings_change_log,
    settings_change_reply,
    settings_text,
    usage_bar,
    usage_text,
)
from bot.quotas.admission import UsageReport
from bot.quotas.moderation import (
    CostChange,
    Explanation,
    LimitChange,
    LimitSpec,
    SettingsChange,
    Target,
    UsageReset,
)
from bot.quotas.policy import EffectiveLimit
from bot.store import GuildSettings, Job, JobParams, JobStatus

SETTINGS = load_settings({"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20}, env_file=None)
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MOD, MAYA, SUPPORTER = 11, 10, 7


def job(**changes: object) -> Job:
    base = Job(
        id=1, guild_id=1, user_id=MAYA, conversation_id=1, request_turn_id=1, result_turn_id=None,
        status=JobStatus.RUNNING, model="sora-2", params=JobParams("A cow with wings flying over a farm at sunset"),
        task_id=None, progress=None, channel_id=2, message_id=3, error=None, error_kind=None, cancelled_by=None,
        cost=1, attempts=1, created_at=T0, started_at=T0, finished_at=None,
    )
    return dataclasses.replace(base, **changes)


def test_quota_set_log_line_reads_like_the_ux() -> None:
    change = LimitChange(Target("role", SUPPORTER), LimitSpec(5, "week"), LimitSpec(10, "week"))
    assert limit_change_log(MOD, change) == f"⚖️ <@{MOD}> set <@&{SUPPORTER}> to 10 a week (was 5)"
    assert limit_change_reply(change) == f"Limit for role <@&{SUPPORTER}>: 5 a week → 10 a week."
    rhythm = LimitChange(Target("guild", 1), LimitSpec(5, "day"), LimitSpec(20, "week", 2))
    assert limit_change_log(MOD, rhythm) == f"⚖️ <@{MOD}> set the server default to 20 a week, 2 at once (was 5 a day)"
    cleared = LimitChange(Target("user", MAYA), LimitSpec(3, "day"), None)
    assert limit_change_reply(cleared) == f"Limit for <@{MAYA}>: 3 a day → not set."
    assert limit_change_log(MOD, cleared) == f"⚖️ <@{MOD}> cleared the limit for <@{MAYA}> (was 3 a day)"


def test_cost_and_reset_confirm_before_and_after() -> None:
    assert cost_reply(CostChange("sora-2-pro", 1, 2)) == "Cost of sora-2-pro: 1 unit → 2 units per video."
    assert cost_log(MOD, CostChange("sora-2-pro", 1, 2)) == f"⚖️ <@{MOD}> set the cost of sora-2-pro to 2 units (was 1)"
    assert reset_reply(UsageReset(MAYA, "week", 4)) == f"Usage of <@{MAYA}> this week: 4 → 0."
    assert reset_log(MOD, UsageReset(MAYA, "week", 4)) == f"⚖️ <@{MOD}> reset <@{MAYA}>'s usage this week (was 4)"


def test_show_explains_the_source_like_the_ux() -> None:
    explanation = Explanation(
        member_id=MAYA, limit=EffectiveLimit(10, "week", "role", SUPPORTER, 2), server_default=LimitSpec(5, "week"),
        bot_default=LimitSpec(10, "day"), used=4, moderators_exempt=False,
    )
    assert explanation_text(explanation) == (
        f"Effective limit for <@{MAYA}>: 10 a week — from role <@&{SUPPORTER}> (server default: 5 a week). "
        "Used 4 this week. At once: 2. Moderators exempt: no."
    )


def test_usage_shows_a_bar_what_is_left_and_the_reset() -> None:
    report = UsageReport(EffectiveLimit(5, "week", "guild"), used=3, resets_at=T0 + timedelta(days=7), running=[job()])
    text = usage_text("Art Club", report)
    stamp = int((T0 + timedelta(days=7)).timestamp())
    assert text.splitlines() == [
        "**Your videos in Art Club — this week**",
        f"▰▰▰▱▱ 3 of 5 used · 2 left · resets <t:{stamp}:R>",
        "Running now: 1 — [🎬 A cow with wings flying over a farm at…](https://discord.com/channels/1/2/3)",
    ]
    exempt = UsageReport(EffectiveLimit(None, "day", "exempt"), used=7, resets_at=T0, running=[])
    assert usage_text("Art Club", exempt).splitlines()[1] == "Unlimited (moderators are exempt) · 7 used"


@pytest.mark.parametrize(
    ("used", "limit", "bar"),
    [(0, 5, "▱▱▱▱▱"), (5, 5, "▰▰▰▰▰"), (9, 5, "▰▰▰▰▰"), (50, 100, "▰▰▰▰▰▱▱▱▱▱"), (3, 0, "")],
)
def test_usage_bar(used: int, limit: int, bar: str) -> None:
    assert usage_bar(used, limit) == bar


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({}, None),
        ({"status": JobStatus.SUCCEEDED, "finished_at": T0 + timedelta(minutes=2, seconds=14)}, "✅ 2 m 14 s"),
        ({"status": JobStatus.FAILED, "error": "similarity to *third-party* content", "error_kind": "refused"},
         "❌ refused: similarity to \\*third-party\\* content"),
        ({"status": JobStatus.FAILED, "error": "x", "error_kind": "unavailable"},
         "❌ the video service was unavailable"),
        ({"status": JobStatus.CANCELLED}, "⏹️ cancelled"),
        ({"status": JobStatus.CANCELLED, "cancelled_by": MOD}, f"⏹️ cancelled by <@{MOD}>"),
    ],
)
def test_generation_line_then_its_outcome(changes: dict[str, object], outcome: str | None) -> None:
    start = f'🎬 <@{MAYA}> · sora-2 · "A cow with wings flying over a farm at sunset" → [thread](https://discord.com/channels/1/2/3)'
    assert generation_line(job(**changes)) == (start if outcome is None else f"{start} · {outcome}")


def test_a_prompt_cannot_break_the_log_line() -> None:
    line = generation_line(job(params=JobParams("[click](https://evil.example) @everyone\n**bold** " + "x" * 80)))
    # One line, the masked link made inert, cut short: a prompt cannot pose as the bot's own link.
    assert "\n" not in line and "［click］(https:\u2060//evil.example)" in line  # look-alike brackets, no link
    assert "\\*\\*bold\\*\\*" in line and line.endswith('…" → [thread](https://discord.com/channels/1/2/3)')


def test_settings_overview_and_changes() -> None:
    before = GuildSettings(guild_id=1)
    after = dataclasses.replace(
        before, moderators_exempt=False, cooldown_seconds=90, allowed_channel_ids=frozenset({5})
    )
    assert "Moderator log: off" in settings_text(before, SETTINGS)
    assert "Videos at once per member: the bot's default (2)" in settings_text(before, SETTINGS)
    change = SettingsChange(before, after)
    assert settings_change_reply(change, SETTINGS).splitlines() == [
        "**Changed**",
        "Channels for /video: everywhere → <#5>",
        "Moderators exempt from quotas: yes → no",
        "Cooldown between a member's videos: none → 1 m 30 s",
    ]
    assert settings_change_log(MOD, change, SETTINGS).startswith(f"⚙️ <@{MOD}> changed Channels for /video: ")
    assert settings_change_reply(SettingsChange(before, before), SETTINGS).startswith("Nothing changed")


def test_show_without_a_member_lists_every_limit() -> None:
    bot_default = LimitSpec(10, "day")
    assert policies_text([], bot_default).splitlines()[1:3] == [
        "Server default: not set, so the bot's 10 a day",
        "No role or member limits. Set one with /quota set.",
    ]
    listed = policies_text(
        [(Target("guild", 1), LimitSpec(5, "week")), (Target("role", SUPPORTER), LimitSpec(10, "week", 3))],
        bot_default,
    )
    assert listed.splitlines()[1:3] == [
        "Server default: 5 a week", f"Limit for role <@&{SUPPORTER}>: 10 a week, 3 at once",
    ]
