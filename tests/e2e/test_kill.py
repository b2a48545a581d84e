"""kill -9 at the worst moment of a start: after the public post, before the thread or the progress message.

The bot runs as users run it (`python -m bot --simulate`, configured through the environment); the
stand-in Discord holds the next step of every start until the process is dead. After a restart, every
member hears what happened in the most specific place that exists, and nobody is charged.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fakediscord import FakeDiscord
from tests.e2e.processes import start_videobot
from tests.fakediscord.fixtures import TypicalGuild

THREADS = "POST /channels/{channel_id}/messages/{message_id}/threads"
MESSAGES = "POST /channels/{channel_id}/messages"
NOTICE = "the bot restarted before your video could start"


@asynccontextmanager
async def videobot(fake: FakeDiscord, world: TypicalGuild, database: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_videobot(
        fake, database.parent, "--simulate",
        DISCORD_DEV_GUILD_ID=str(world.guild.id), DATABASE_PATH=str(database), MAX_JOBS_PER_USER="10",
    )
    identified = len(fake.gateway.identifies)
    try:
        await fake.wait_until(lambda: len(fake.gateway.identifies) > identified, timeout=20,
                              message="the bot to connect")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)


def ledger(database: Path) -> list[tuple[str, int | None]]:
    """(job status, refunded_at) for every job, read straight from the file the bot left behind."""
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT jobs.status, usage.refunded_at FROM jobs JOIN usage ON usage.job_id = jobs.id ORDER BY jobs.id"
        ).fetchall()


@pytest.mark.parametrize(("stalled", "told_in"), [(THREADS, "beside the post"), (MESSAGES, "in the thread")])
async def test_killed_between_the_public_post_and_the_progress_message_every_member_is_told_and_refunded(
    discord_world: TypicalGuild, tmp_path: Path, stalled: str, told_in: str
) -> None:
    fake, world = discord_world.fake, discord_world
    database = tmp_path / "videobot.sqlite3"
    members = [world.member, world.other_member, world.moderator]
    stall = fake.stall(stalled)
    async with videobot(fake, world, database) as first:
        posts = []
        for n, member in enumerate(members):
            interaction = await fake.slash(member, world.channel, "video", prompt=f"video number {n}")
            posts.append(await interaction.wait_done())
        # discord.py sends one request per route at a time until it knows its bucket: one held start is
        # enough to hold the others behind it, each with its public post answered.
        await fake.wait_until(lambda: stall.held >= 1, timeout=10, message="the starts to be held")
        first.send_signal(signal.SIGKILL)
        await first.wait()
    stall.release()  # Discord finishes what it was asked before the bot died (the threads may now exist)
    assert all(status in ("queued", "running") and refunded is None for status, refunded in ledger(database))

    async with videobot(fake, world, database):
        def notices() -> list:
            threads = [t for post in posts if (t := fake.thread_of(post.id)) is not None]
            seen = [m for place in (world.channel, *threads) for m in fake.messages(place)]
            return [m for m in seen if NOTICE in m.content and m.author.id == fake.bot_user.id]

        await fake.wait_until(lambda: len(notices()) == len(members), timeout=20, message="every member to be told")
        await fake.wait_until(lambda: all(r is not None for _, r in ledger(database)), timeout=10,
                              message="every job to be refunded")
    told = notices()
    for post, member in zip(posts, members, strict=True):
        notice = next(m for m in told if f"<@{member.id}>" in m.content)
        thread = fake.thread_of(post.id)
        if told_in == "in the thread" and notice.channel_id != world.channel.id:
            assert thread is not None and notice.channel_id == thread.id
        else:  # beside their post; or, if the bot died before it even learnt its post, in the same channel
            assert notice.channel_id == world.channel.id and notice.reply_to in (post.id, None)
        assert notice.mentions_suppressed
    assert [status for status, _ in ledger(database)] == ["failed"] * len(members)
