"""Threads Discord archived (after a day without messages) or a moderator locked: every button, the Remix form
and replies reopen an archived thread before they post or edit in it, or say in one sentence why they cannot."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from fakediscord import Channel, MessageView
from tests.e2e.conftest import Harness, job_of, start

FINISHED = "✅ Finished in"
EVER = datetime(2000, 1, 1, tzinfo=UTC)


async def finished_video(harness: Harness) -> tuple[Channel, MessageView]:
    thread, progress = await start(harness)
    return thread, await harness.wait_title(progress, FINISHED)


def archived(harness: Harness, thread: Channel) -> bool:
    return harness.fake.channel(thread.id).archived


async def test_re_roll_in_an_auto_archived_thread_reopens_it_and_makes_the_video(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        thread, done = await finished_video(harness)
        fake.archive_thread(thread)  # a day without messages
        click = await fake.click(world.member, done, "Re-roll")
        again = await harness.wait_title(await harness.progress_message(thread, index=1), FINISHED)
        first, second = await job_of(bot, done), await job_of(bot, again)
    assert not archived(harness, thread)
    assert (await click.wait_done()).content == f"🎲 Re-roll by <@{world.member.id}>"
    assert any(a.filename.endswith(".mp4") for a in again.attachments)
    assert second.params.prompt == first.params.prompt and second.id != first.id
    edits = [r for r in fake.requests if r.method == "PATCH" and r.path.endswith(f"/channels/{thread.id}")]
    assert len(edits) == 1  # reopened once, before anything was posted


async def test_the_remix_form_sent_in_an_archived_thread_makes_its_remix(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot():
        thread, done = await finished_video(harness)
        click = await harness.open_remix_modal(world.member, done)
        fake.archive_thread(thread)  # archived while the form was open
        await harness.submit_remix(world.member, click, "now at night")
        remix = await harness.wait_title(await harness.progress_message(thread, index=1), FINISHED)
    assert not archived(harness, thread)
    assert remix.embed["description"].startswith("Remixing video 1 of this thread")
    assert harness.chat_requests()[-1]["messages"][-1] == {"role": "user", "content": "now at night"}


async def test_a_reply_in_an_archived_thread_remixes_the_video(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot():
        thread, done = await finished_video(harness)
        fake.archive_thread(thread)
        await fake.say(world.member, thread, "now in the snow", reply_to=done)  # the member's message reopens it
        remix = await harness.wait_title(await harness.progress_message(thread, index=1), FINISHED)
    assert not archived(harness, thread)
    assert harness.chat_requests()[-1]["messages"][-1] == {"role": "user", "content": "now in the snow"}
    assert remix.reply_to is not None


async def test_delete_in_an_archived_thread_reopens_it_and_removes_the_video(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot():
        thread, done = await finished_video(harness)
        fake.archive_thread(thread)
        click = await fake.click(world.member, done, "Delete")
        await click.wait_response()
    deleted = fake.message(done.id)
    assert deleted.embed["title"] == "🗑️ Video deleted" and deleted.attachments == []
    assert not archived(harness, thread)


async def test_re_roll_in_a_locked_thread_says_why_it_cannot_and_costs_nothing(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        thread, done = await finished_video(harness)
        used = await bot.store.quotas.used_since(world.guild.id, world.member.id, EVER)
        fake.archive_thread(thread, locked=True)  # a moderator closed it; the bot has no Manage Threads
        click = await fake.click(world.member, done, "Re-roll")
        answer = await harness.private_answer(click)
        assert await bot.store.quotas.used_since(world.guild.id, world.member.id, EVER) == used == 1
    assert answer == (
        "This thread is locked, so I can't post in it. A moderator can unlock it, or give me **Manage Threads**."
    )
    assert archived(harness, thread) and len(harness.progress_messages(thread)) == 1


async def test_with_manage_threads_the_bot_reopens_a_locked_thread_for_a_re_roll(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    world.guild.set_overwrite(world.channel, fake.bot_user, allow=discord.Permissions(manage_threads=True))
    async with harness.bot():
        thread, done = await finished_video(harness)
        fake.archive_thread(thread, locked=True)
        await fake.click(world.member, done, "Re-roll")
        again = await harness.wait_title(await harness.progress_message(thread, index=1), FINISHED)
    assert not archived(harness, thread)
    assert any(a.filename.endswith(".mp4") for a in again.attachments)


async def test_video_used_inside_an_archived_thread_reopens_it_and_continues_the_thread(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot():
        thread, _ = await finished_video(harness)
        fake.archive_thread(thread)
        await harness.video(world.member, "the same cow, now flying at night", channel=fake.channel(thread.id))
        remix = await harness.wait_title(await harness.progress_message(thread, index=1), FINISHED)
    assert not archived(harness, thread)
    assert remix.embed["description"].startswith("Remixing video 1 of this thread")
