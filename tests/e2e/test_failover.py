"""Two `videobot` processes on two shards with one PostgreSQL, run as users run them (`python -m bot`, configured
only by the environment), against the stand-in Discord and one video service.

Each serves the servers of its shard. One is killed (SIGKILL) in the middle of its generations: the other adopts
its jobs once their leases lapse and finishes them in their own messages, polling the tasks already started and
starting the one still waiting, so no video is asked for twice and nobody is charged twice. When the killed
process comes back, the buttons and replies under those videos work again.

Needs a PostgreSQL server (VIDEOBOT_TEST_POSTGRES_URL; CI requires it), like the other PostgreSQL variants.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import Channel, FakeDiscord, MessageView
from tests.e2e.conftest import eventually, titles
from tests.e2e.processes import start_videobot
from tests.store.backends import postgres

__all__ = ["postgres"]

# About three seconds of generating: the kill lands mid-way, and the task is done when the survivor asks.
STEADY = Scenario(queue_steps=1, progress_steps=(15, 30, 45, 60, 75, 90), step_delay=0.4)
FINISHED = "✅ Finished in"


@dataclass
class Place:
    """A server on one shard and its channel."""

    shard: int
    channel: Channel


@asynccontextmanager
async def videobot(
    fake: FakeDiscord, simulator: Simulator, database: str, folder: Path, shard: int, *,
    lease_timeout: str = "2", stop_within: float = 20.0,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot` for one shard of two, until the block ends (then SIGTERM, unless it already stopped)."""
    assert simulator.base_url
    settings = {
        "DISCORD_MESSAGE_CONTENT_INTENT": "true",
        "DISCORD_SHARD_COUNT": "2",
        "DISCORD_SHARD_IDS": str(shard),
        "DISCORD_REST_PER_SECOND": "20",  # the bot's REST budget, which the two split between them
        "DATABASE_URL": database,
        "VIDEO_API_KEY": "sk-test-0123456789",
        "VIDEO_API_BASE_URL": simulator.base_url,
        "VIDEO_RAW_DATA_URL": simulator.raw_data_url,
        "TRUSTED_MEDIA_ORIGINS": simulator.media_origin,
        "MAX_JOBS_PER_GUILD": "2",
        "MAX_JOBS_PER_USER": "5",
        "JOB_LEASE_TIMEOUT": lease_timeout,
    }
    log = folder / f"shard-{shard}.log"
    with log.open("ab") as output:
        process = await start_videobot(fake, folder, output=output, **settings)
    try:
        await fake.wait_until(lambda: (shard, 2) in fake.gateway.shards, timeout=20,
                              message=f"shard {shard} to connect; its log:\n{log.read_text()}")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=stop_within)


async def ledger(database: str) -> list[tuple[int, str, int, int, bool, str]]:
    """(guild, status, usage rows, units charged, refunded, lease owner) per job, read straight from PostgreSQL."""
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch(
            "SELECT jobs.guild_id, jobs.status, COUNT(usage.id) AS charges, COALESCE(SUM(usage.units), 0) AS units,"
            " BOOL_OR(usage.refunded_at IS NOT NULL) AS refunded, jobs.owner"
            " FROM jobs LEFT JOIN usage ON usage.job_id = jobs.id GROUP BY jobs.id ORDER BY jobs.id"
        )
    finally:
        await connection.close()
    return [(r["guild_id"], r["status"], r["charges"], r["units"], bool(r["refunded"]), r["owner"]) for r in rows]


async def test_a_killed_process_s_jobs_finish_through_the_other_in_their_own_messages(
    fake_discord: FakeDiscord, simulator: Simulator, postgres: str, tmp_path: Path
) -> None:
    fake = fake_discord
    owner, maya = fake.create_user("olivia"), fake.create_user("maya")
    places = []
    for shard in (0, 1):
        guild = fake.create_guild(f"Shard {shard} club", owner, shard=(shard, 2))
        guild.add_member(maya)
        places.append(Place(shard, guild.create_text_channel("video-lab")))
    simulator.set_default(STEADY)

    async def start(place: Place, prompt: str) -> MessageView:
        post = await (await fake.slash(maya, place.channel, "video", prompt=prompt)).wait_done()
        await fake.wait_until(lambda: fake.thread_of(post.id) is not None, message="the video thread")
        thread = fake.thread_of(post.id)
        assert thread is not None
        return await fake.wait_for_message(thread, lambda m: bool(m.embeds), message="the progress message")

    def title(message: MessageView) -> str:
        return str((fake.message(message.id).embed or {}).get("title", ""))

    async def shows(message: MessageView, prefix: str, timeout: float = 10.0) -> MessageView:
        await fake.wait_until(lambda: title(message).startswith(prefix), timeout=timeout,
                              message=f"{prefix!r}; now {title(message)!r}")
        return fake.message(message.id)

    async with (
        videobot(fake, simulator, postgres, tmp_path, shard=0) as first,
        videobot(fake, simulator, postgres, tmp_path, shard=1) as second,
    ):
        await fake.wait_until(lambda: _syncs(fake) == 1, timeout=20, message="the commands to be synced")
        doomed = [await start(places[0], f"shard zero video {n}") for n in range(3)]  # two run, one waits
        survivor_own = await start(places[1], "shard one video")
        for message in doomed[:2]:
            await shows(message, "🎞️ Generating")
        await shows(doomed[2], "⏳ Queued — 1st in line")
        first.send_signal(signal.SIGKILL)
        await first.wait()

        done = [await shows(message, FINISHED, timeout=30) for message in (*doomed, survivor_own)]

        async with videobot(fake, simulator, postgres, tmp_path, shard=0):  # shard 0 is back
            simulator.enqueue(Scenario(step_delay=0.01), Scenario(step_delay=0.01))
            thread = fake.channel(doomed[0].channel_id)
            await fake.click(maya, doomed[0], "Re-roll")
            await fake.wait_until(lambda: len(_progress(fake, thread)) == 2, message="the re-roll")
            await fake.say(maya, thread, "now at night", reply_to=done[0])
            await fake.wait_until(lambda: len(_progress(fake, thread)) == 3, message="the remix")
            for message in _progress(fake, thread)[1:]:
                await shows(message, FINISHED)

            async def all_recorded() -> bool:  # a video is shown, then recorded: stop only once it is
                return all(status == "succeeded" for _, status, *_ in await ledger(postgres))

            await eventually(all_recorded, message="every job to be recorded as finished")
        survivor = f":{second.pid}:"

    assert _syncs(fake) == 1  # one process synced the commands, once for the whole deployment
    for message in done:  # each finished in the very message it started in, with its video
        assert any(a.filename.endswith(".mp4") for a in message.attachments)
        assert titles(message)[-1].startswith(FINISHED)
    for message in doomed[1:]:
        assert _progress(fake, fake.channel(message.channel_id)) == [fake.message(message.id)]  # nothing new posted
    chats = [r for r in simulator.requests if r.path == "/v1/chat/completions"]
    assert len(chats) == 4 + 2  # one per video, none asked for twice; then the re-roll and the remix
    jobs = await ledger(postgres)
    assert [(guild == places[0].channel.guild_id, status) for guild, status, *_ in jobs] == [
        (True, "succeeded"), (True, "succeeded"), (True, "succeeded"), (False, "succeeded"),
        (True, "succeeded"), (True, "succeeded"),
    ]
    assert all((charges, units, refunded) == (1, 1, False) for _, _, charges, units, refunded, _ in jobs)
    assert all(survivor in owner for *_, owner in jobs[:4])  # the survivor ended the dead process's jobs
    assert all(survivor not in owner for *_, owner in jobs[4:])  # the restarted process ran what it was asked
    for name in ("shard-0.log", "shard-1.log"):
        log = (tmp_path / name).read_text()
        assert fake.bot_token not in log and "Traceback" not in log, log


def _syncs(fake: FakeDiscord) -> int:
    return sum(r.method == "PUT" and r.route.endswith("/commands") for r in fake.requests)


def _progress(fake: FakeDiscord, thread: Channel) -> list[MessageView]:
    return [m for m in fake.messages(thread) if m.author.id == fake.bot_user.id and m.embeds]
