"""Quotas and moderation end to end: moderators change limits and settings inside Discord, members feel it on
their next /video, and the audit log, the moderator-log channel and /usage all tell the same story."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from bot.quotas.policy import period_end, period_start
from bot.store import JobStatus
from bot.videoapi.simulator import Scenario
from fakediscord import ActionRefused, Channel, MessageView, User
from tests.e2e.conftest import Harness, eventually

QUOTA_REFUSAL = "Only members with Manage Server can change quotas."
SETTINGS_REFUSAL = "Only members with Manage Server can change the bot's settings."
SLOW = Scenario(step_delay=0.3, progress_steps=tuple(range(10, 100, 10)))


async def answer(harness: Harness, user: User, command: str, channel: Channel | None = None, **options: Any) -> str:
    """Run a slash command and return the private answer's text."""
    interaction = await harness.fake.slash(user, channel or harness.world.channel, command, **options)
    return await harness.private_answer(interaction)


async def log_lines(harness: Harness, channel: Channel, count: int) -> list[MessageView]:
    """The bot's lines in the moderator-log channel, once there are `count` of them."""
    def lines() -> list[MessageView]:
        return [m for m in harness.fake.messages(channel) if m.author.id == harness.fake.bot_user.id]

    await harness.fake.wait_until(lambda: len(lines()) >= count, message=f"{count} moderator-log lines")
    return lines()


async def line_ending(harness: Harness, line: MessageView, marker: str) -> MessageView:
    """Wait until a generation line has been edited to show its outcome."""
    await harness.fake.wait_until(lambda: marker in harness.fake.message(line.id).content,
                                  message=f"{marker!r} in {harness.fake.message(line.id).content!r}")
    return harness.fake.message(line.id)


async def video(harness: Harness, user: User, prompt: str) -> MessageView:
    """/video; returns the progress message."""
    interaction = await harness.video(user, prompt)
    return await harness.progress_message(await harness.thread_for(interaction))


MODERATOR_COMMANDS: list[tuple[str, dict[str, Any], str]] = [
    ("quota set", {"units": 100}, QUOTA_REFUSAL),
    ("quota clear", {}, QUOTA_REFUSAL),
    ("quota show", {}, QUOTA_REFUSAL),
    ("quota reset", {"member": None}, QUOTA_REFUSAL),
    ("quota top", {}, QUOTA_REFUSAL),
    ("quota cost", {"model": "sora-2", "units": 0}, QUOTA_REFUSAL),
    ("videobot settings", {"moderators_exempt": False}, SETTINGS_REFUSAL),
]


async def test_a_non_moderator_is_refused_every_moderator_command(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        for command, given, _ in MODERATOR_COMMANDS:
            options = {k: world.member if v is None else v for k, v in given.items()}
            with pytest.raises(ActionRefused, match="default_member_permissions"):
                await fake.slash(world.member, world.channel, command, **options)
        # An admin lets everyone see the commands (Server Settings → Integrations): the bot's own check holds.
        world.guild.allow_command("quota", world.member)
        world.guild.allow_command("videobot", world.member)
        for command, given, refusal in MODERATOR_COMMANDS:
            options = {k: world.member if v is None else v for k, v in given.items()}
            assert await answer(harness, world.member, command, **options) == refusal
        assert await bot.store.audit.recent(world.guild.id) == []
        assert await bot.store.quotas.model_cost(world.guild.id, "sora-2") == 1
        assert (await bot.store.settings.get(world.guild.id)).moderators_exempt
        assert (await answer(harness, world.member, "usage")).startswith("**Your videos in Art Club")  # for everyone


async def test_a_moderators_limit_takes_effect_on_the_next_video_and_is_logged(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    guild_id, mod, maya = world.guild.id, world.moderator, world.member
    mod_log = world.guild.create_text_channel("mod-log")
    async with harness.bot() as bot:
        assert await answer(harness, mod, "videobot settings", mod_log_channel=mod_log) == (
            f"**Changed**\nModerator log: off → <#{mod_log.id}>"
        )
        assert await answer(harness, mod, "quota set", units=1, period="week", who=maya) == (
            f"Limit for <@{maya.id}>: not set → 1 a week."
        )
        first = await video(harness, maya, "A cow with wings flying over a farm at sunset")
        await harness.wait_title(first, "✅ Finished in")
        refusal = await answer(harness, maya, "video", prompt="one more")
        resets = int(period_end("week", datetime.now(UTC)).timestamp())
        assert refusal == f"You've used 1 of 1 videos this week. Your quota resets <t:{resets}:R>."

        explained = await answer(harness, mod, "quota show", member=maya)
        assert explained == (
            f"Effective limit for <@{maya.id}>: 1 a week — their own limit (server default: not set, so the "
            "bot's 10 a day). Used 1 this week. At once: 2. Moderators exempt: yes."
        )
        assert await answer(harness, mod, "quota reset", member=maya) == f"Usage of <@{maya.id}> this week: 1 → 0."
        second = await video(harness, maya, "now at night")  # the reset lets her make another
        await harness.wait_title(second, "✅ Finished in")
        top = await answer(harness, mod, "quota top", period="week")
        assert f"1. <@{maya.id}> — 2 units · 2 videos" in top and "Total: 2 units · 2 videos · 1 member" in top

        audit = await bot.store.audit.recent(guild_id)
        assert [(e.action, e.actor_id) for e in audit] == [
            ("quota.reset", mod.id), ("quota.set", mod.id), ("settings.change", mod.id),
        ]
        assert audit[1].details == {
            "target": {"scope": "user", "id": maya.id},
            "before": None,
            "after": {"units": 1, "period": "week", "at_once": None},
        }
        assert audit[0].details["before"] == {"used": 1, "period": "week"}

        lines = await log_lines(harness, mod_log, 5)
        await line_ending(harness, lines[4], "✅")
    texts = [fake.message(m.id).content for m in lines]
    assert texts[0] == f"⚙️ <@{mod.id}> changed Moderator log: off → <#{mod_log.id}>"
    assert texts[1] == f"⚖️ <@{mod.id}> set <@{maya.id}> to 1 a week (was not set)"
    link = f"https://discord.com/channels/{guild_id}/{first.channel_id}/{first.id}"
    assert texts[2].startswith(f'🎬 <@{maya.id}> · sora-2 · "A cow with wings flying over a farm at sunset" → ')
    assert texts[2].split(" → ")[1].startswith(f"[thread]({link}) · ✅ ")
    assert texts[3] == f"⚖️ <@{mod.id}> reset <@{maya.id}>'s usage this week (was 1)"
    assert " · ✅ " in texts[4]
    assert all(m.mentions_suppressed and not m.mentions for m in lines)  # named, never pinged


async def test_units_come_back_for_refusal_failure_and_cancel_and_usage_matches_the_ledger(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    maya = world.member
    mod_log = world.guild.create_text_channel("mod-log")
    async with harness.bot() as bot:
        await bot.store.settings.update(world.guild.id, mod_log_channel_id=mod_log.id)
        harness.simulator.enqueue(Scenario(outcome="refusal", refusal_reason="similarity to third-party content"))
        refused = await video(harness, maya, "a famous mouse")
        await harness.wait_title(refused, "❌")
        harness.simulator.enqueue(Scenario(outcome="failure", failure_reason="The render farm caught fire."))
        failed = await video(harness, maya, "a burning barn")
        await harness.wait_title(failed, "❌")
        harness.simulator.enqueue(SLOW)
        cancelled = await video(harness, maya, "a very long film")
        await harness.wait_title(cancelled, "🎞️ Generating")
        during = await answer(harness, maya, "usage")
        await fake.click(maya, cancelled, "Cancel")
        await harness.wait_title(cancelled, "⏹️ Cancelled")
        finished = await video(harness, maya, "a cow with wings")
        await harness.wait_title(finished, "✅ Finished in")

        jobs = [await bot.store.jobs.by_message(m.id) for m in (refused, failed, cancelled, finished)]
        assert [j.status for j in jobs if j] == [
            JobStatus.FAILED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.SUCCEEDED,
        ]

        async def ledger_settled() -> bool:
            entries = [await bot.store.quotas.usage_for_job(j.id) for j in jobs if j]
            return [e is not None and e.refunded_at is not None for e in entries] == [True, True, True, False]

        await eventually(ledger_settled, message="three refunds and one charge")
        used = await bot.store.quotas.used_since(world.guild.id, maya.id, period_start("day", datetime.now(UTC)))
        after = await answer(harness, maya, "usage")
        lines = await log_lines(harness, mod_log, 4)
        ends = [await line_ending(harness, line, marker) for line, marker in zip(lines, "❌❌⏹✅", strict=True)]

    assert used == 1
    assert after.startswith("**Your videos in Art Club — today**\n▰▱▱▱▱▱▱▱▱▱ 1 of 10 used · 9 left · resets <t:")
    assert "Running now" not in after
    assert "1 of 10 used" in during  # the refused and failed ones came back; the running one counts
    assert f"Running now: 1 — [🎬 a very long film](https://discord.com/channels/{world.guild.id}/" in during
    # Each says what the vendor likely billed for it (chat-route failures are billed; members are refunded).
    assert ends[0].content.endswith("❌ refused: similarity to third-party content · billed by the vendor")
    assert ends[1].content.endswith("❌ failed: The render farm caught fire. · billed by the vendor")  # not a refusal
    assert ends[2].content.endswith("⏹️ cancelled · billed by the vendor")
    assert len(lines) == 4  # one line per generation, edited in place


async def test_a_restart_between_launch_and_end_edits_the_same_log_line(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    mod_log = world.guild.create_text_channel("mod-log")
    harness.simulator.enqueue(SLOW)
    async with harness.bot() as first:
        await first.store.settings.update(world.guild.id, mod_log_channel_id=mod_log.id)
        progress = await video(harness, world.member, "a slow sunrise")
        await harness.wait_title(progress, "🎞️ Generating")
        [line] = await log_lines(harness, mod_log, 1)
    async with harness.bot():
        await harness.wait_title(progress, "✅ Finished in", timeout=20)
        ended = await line_ending(harness, line, "✅")
    assert ended.content.startswith(f'🎬 <@{world.member.id}> · sora-2 · "a slow sunrise"')
    assert len(fake.messages(mod_log)) == 1


async def test_settings_show_change_and_take_effect(harness: Harness) -> None:
    world = harness.world
    mod, maya = world.moderator, world.member
    art = world.guild.create_text_channel("art")
    async with harness.bot():
        shown = await answer(harness, mod, "videobot settings")
        assert shown.splitlines()[:2] == ["**VideoBot settings in this server**", "Channels for /video: everywhere"]
        changed = await answer(
            harness, mod, "videobot settings", allow_channel=art, moderators_exempt=False, cooldown_seconds=60,
            max_videos_per_member=1,
        )
        assert changed.splitlines() == [
            "**Changed**",
            f"Channels for /video: everywhere → <#{art.id}>",
            "Moderators exempt from quotas: yes → no",
            "Cooldown between a member's videos: none → 1 m 0 s",
            "Videos at once per member: the bot's default (2) → 1",
        ]
        refusal = await answer(harness, maya, "video", prompt="a cow")
        assert refusal == f"Videos can't be made in this channel. Try <#{art.id}>."
        assert await answer(harness, mod, "quota set", units=0, period="day") == "Server default: not set → 0 a day."
        refusal = await answer(harness, mod, "video", art, prompt="a cow")  # no longer exempt
        assert refusal.startswith("You've used 0 of 0 videos today.")


async def test_a_log_channel_the_bot_cannot_post_in_is_refused_and_never_breaks_a_video(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    closed = world.guild.create_text_channel("closed-log")
    world.guild.set_overwrite(closed, fake.bot_user, deny=discord.Permissions(send_messages=True))
    fake.expect_violation(50013)  # the bot tries anyway when the setting comes from elsewhere
    async with harness.bot() as bot:
        refusal = await answer(harness, world.moderator, "videobot settings", mod_log_channel=closed)
        assert refusal == (
            f"I can't post in <#{closed.id}>: I'm missing **Send Messages** there. Grant it, then try again."
        )
        assert (await bot.store.settings.get(world.guild.id)).mod_log_channel_id is None
        await bot.store.settings.update(world.guild.id, mod_log_channel_id=closed.id)  # e.g. permissions changed
        progress = await video(harness, world.member, "a cow with wings")
        await harness.wait_title(progress, "✅ Finished in")
    assert fake.messages(closed) == []


async def test_the_most_generous_role_applies_and_show_says_so(harness: Harness) -> None:
    world = harness.world
    mod, maya = world.moderator, world.member
    supporter, patron = world.guild.create_role("Supporter"), world.guild.create_role("Patron")
    world.guild.set_member_roles(maya, [supporter, patron])
    async with harness.bot():
        assert await answer(harness, mod, "quota set", units=1, period="day", who=world.guild.everyone) == (
            "Server default: not set → 1 a day."
        )
        await answer(harness, mod, "quota set", units=3, period="day", who=supporter)
        assert await answer(harness, mod, "quota set", units=10, period="week", who=patron) == (
            f"Limit for role <@&{patron.id}>: not set → 10 a week."
        )
        assert (await answer(harness, mod, "quota show", member=maya)).startswith(
            f"Effective limit for <@{maya.id}>: 3 a day — from role <@&{supporter.id}> (server default: 1 a day)."
        )
        shown = await answer(harness, mod, "quota show")
        assert f"Limit for role <@&{patron.id}>: 10 a week" in shown and "Server default: 1 a day" in shown
        cleared = await answer(harness, mod, "quota clear", who=supporter)
        assert cleared == f"Limit for role <@&{supporter.id}>: 3 a day → not set."
        usage = await answer(harness, maya, "usage")
        assert usage.splitlines()[0] == "**Your videos in Art Club — this week**"  # now the Patron limit
        assert "0 of 10 used · 10 left" in usage
