"""Running as one of several processes: shards (one process may run them all), what `--check` says about them,
and this process's share of Discord's REST limit, or none when a REST proxy paces it for every process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.videoapi.simulator import Scenario
from fakediscord import BucketLimit, Channel, FakeDiscord, RateLimits
from tests.e2e.conftest import ROOMY, Harness, start
from tests.e2e.processes import start_videobot

TIGHT_GLOBAL = RateLimits(message_edit=ROOMY.message_edit, message_create=ROOMY.message_create,
                          global_=BucketLimit(10, 1.0))  # the bot's whole budget, as if other processes used the rest


def second_server(harness: Harness, shard: tuple[int, int]) -> Channel:
    """Another server, on the given shard, where maya is a member too."""
    fake, world = harness.fake, harness.world
    guild = fake.create_guild("Other club", world.owner, shard=shard)
    guild.add_member(world.member)
    return guild.create_text_channel("video-lab")


@pytest.mark.fake_discord(max_concurrency=2)  # both shards may IDENTIFY at once
async def test_one_process_may_run_every_shard_and_serve_servers_on_each(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    home = world.guild.id >> 22 & 1  # the shard (of two) the typical server is on
    elsewhere = second_server(harness, (1 - home, 2))
    async with harness.bot(DISCORD_SHARD_COUNT="2", DISCORD_DEV_GUILD_ID="") as bot:  # global commands
        assert sorted(r.shard for r in fake.gateway.identifies if r.shard) == [(0, 2), (1, 2)]
        assert sorted(bot.shards) == [0, 1]
        for channel in (world.channel, elsewhere):
            _, progress = await start(harness, channel=channel)
            await harness.wait_title(progress, "✅ Finished in")


async def test_check_names_the_shards_this_process_runs_beside_discords_advice(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake = fake_discord
    fake.gateway.recommended_shards = 6
    process = await start_videobot(
        fake, tmp_path, "--check", "--simulate", output=asyncio.subprocess.PIPE,
        DATABASE_PATH=str(tmp_path / "videobot.sqlite3"), DISCORD_SHARD_COUNT="4", DISCORD_SHARD_IDS="2-3",
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = output.decode().splitlines()
    assert process.returncode == 0, lines
    assert (
        "ok       shards: this process runs shards 2, 3 of 4; Discord recommends 6; 1000 of 1000 session starts left "
        "today; raise DISCORD_SHARD_COUNT to 6 (Discord refuses 2,500 servers or more on one shard)"
    ) in lines
    assert (
        "ok       uploads: each server's limit is read from its interactions; until one is seen, 20 MiB is assumed "
        "(50 MiB at boost tier 2, 100 MiB at boost tier 3); larger videos are re-encoded to fit"
    ) in lines


@pytest.mark.fake_discord(rate_limits=TIGHT_GLOBAL)
async def test_a_process_keeps_to_its_share_of_discords_rest_limit(harness: Harness) -> None:
    """Six videos start at once, each posting and editing; the process's share is 8 requests a second of
    the 10 left to it: Discord never answers 429 (the fixture fails the test on one)."""
    await _six_videos_at_once(harness, DISCORD_REST_PER_SECOND="8")
    assert harness.fake.rate_limit_hits == []


@pytest.mark.fake_discord(rate_limits=TIGHT_GLOBAL, fail_on_429=False)
async def test_behind_a_rest_proxy_the_process_leaves_the_global_limit_to_the_proxy(harness: Harness) -> None:
    """Told that DISCORD_API_BASE_URL is a REST proxy, the process sends at once and leaves the global limit to
    it; the stand-in Discord is no proxy, so the same load now meets its global limit (and discord.py waits)."""
    await _six_videos_at_once(harness, DISCORD_REST_PER_SECOND="8", DISCORD_REST_PROXY="true")
    assert any(hit.scope == "global" for hit in harness.fake.rate_limit_hits)


async def _six_videos_at_once(harness: Harness, **settings: str) -> None:
    fake, world = harness.fake, harness.world
    users = []
    for n in range(6):
        user = fake.create_user(f"member{n}")
        world.guild.add_member(user)
        users.append(user)
    harness.simulator.set_default(Scenario(queue_steps=1, progress_steps=(50,), step_delay=0.05))
    async with harness.bot(MAX_JOBS_GLOBAL="6", MAX_JOBS_PER_GUILD="6", **settings):
        interactions = await asyncio.gather(*(harness.video(u, f"video number {n}") for n, u in enumerate(users)))
        threads = [await harness.thread_for(i) for i in interactions]
        progress = [await harness.progress_message(t) for t in threads]
        await asyncio.gather(*(harness.wait_title(m, "✅ Finished in", timeout=30) for m in progress))
