"""A clean stop hands the videos over: two `python -m bot` processes on two shards with one PostgreSQL, the
first stopped with SIGTERM (as `docker stop` or systemd stop it) while its videos are in flight.

It refuses new videos with a sentence while it stops, lets the video it was starting get its task ID, records
and releases what it holds, and exits; the other process adopts those videos at once (long before their leases
could lapse) and finishes them in their own messages, none lost, none asked for twice, each charged once.

Needs a PostgreSQL server (VIDEOBOT_TEST_POSTGRES_URL; CI requires it), like the other PostgreSQL variants.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import Channel, FakeDiscord, MessageView
from tests.e2e.test_failover import ledger
from tests.e2e.test_failover import videobot as shard_process
from tests.store.backends import postgres

__all__ = ["postgres"]

STEADY = Scenario(queue_steps=1, progress_steps=(15, 30, 45, 60, 75, 90), step_delay=0.4)
# The first request is answered "busy, try again in 4 s": the video is being started, without a task ID yet.
BUSY_FIRST = Scenario(queue_steps=1, progress_steps=(15, 30, 45, 60, 75, 90), step_delay=0.4,
                      http_status=429, retry_after=4.0)
LEASE_TIMEOUT = 60  # adoption by lapse would take this long (twice, for another shard's videos): it must not
FINISHED = "✅ Finished in"


def videobot(
    fake: FakeDiscord, simulator: Simulator, database: str, folder: Path, shard: int
) -> AbstractAsyncContextManager[asyncio.subprocess.Process]:
    """`python -m bot` for one shard of two, with leases that would take a minute to lapse."""
    return shard_process(fake, simulator, database, folder, shard, lease_timeout=str(LEASE_TIMEOUT), stop_within=30)


async def test_sigterm_hands_the_videos_in_flight_to_the_other_process(
    fake_discord: FakeDiscord, simulator: Simulator, postgres: str, tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    fake = fake_discord
    owner, maya = fake.create_user("olivia"), fake.create_user("maya")
    channels: list[Channel] = []
    for shard in (0, 1):
        guild = fake.create_guild(f"Shard {shard} club", owner, shard=(shard, 2))
        guild.add_member(maya)
        channels.append(guild.create_text_channel("video-lab"))
    simulator.set_default(STEADY)

    async def start(prompt: str) -> MessageView:
        post = await (await fake.slash(maya, channels[0], "video", prompt=prompt)).wait_done()
        await fake.wait_until(lambda: fake.thread_of(post.id) is not None, message="the video thread")
        thread = fake.thread_of(post.id)
        assert thread is not None
        return await fake.wait_for_message(thread, lambda m: bool(m.embeds), message="the progress message")

    def title(message: MessageView) -> str:
        return str((fake.message(message.id).embed or {}).get("title", ""))

    def description(message: MessageView) -> str:
        return str((fake.message(message.id).embed or {}).get("description", ""))

    async def shows(message: MessageView, prefix: str, timeout: float = 10.0) -> None:
        await fake.wait_until(lambda: title(message).startswith(prefix), timeout=timeout,
                              message=f"{prefix!r}; now {title(message)!r}")

    loop = asyncio.get_running_loop()
    async with (
        videobot(fake, simulator, postgres, tmp_path, shard=0) as leaving,
        videobot(fake, simulator, postgres, tmp_path, shard=1),
    ):
        simulator.enqueue(BUSY_FIRST)
        starting = await start("a video the service is slow to start")
        await fake.wait_until(lambda: "retrying" in description(starting), message="the service's 429")
        generating = await start("a video already generating")
        waiting = await start("a video waiting for a place")
        await shows(generating, "🎞️ Generating")
        await shows(waiting, "⏳ Queued — 1st in line")
        assert not simulator.tasks or len(simulator.tasks) == 1  # the first video has no task yet

        leaving.send_signal(signal.SIGTERM)
        sent = loop.time()
        refused = await fake.slash(maya, channels[0], "video", prompt="one more, please")
        answer = await _answer(refused)
        await asyncio.wait_for(leaving.wait(), timeout=30)
        shutdown_seconds = loop.time() - sent

        for message in (starting, generating, waiting):
            await shows(message, FINISHED, timeout=30)
        handed_over_seconds = loop.time() - sent

    # The figures, for the report (`pytest --junitxml`): the exit includes the wait for the slow start's task ID.
    record_property("sigterm_to_exit_seconds", round(shutdown_seconds, 2))
    record_property("sigterm_to_all_finished_seconds", round(handed_over_seconds, 2))
    assert leaving.returncode == 0
    assert "restarting" in answer and "Nothing was charged" in answer
    assert handed_over_seconds < LEASE_TIMEOUT  # adopted because released, not because the leases lapsed

    jobs = await ledger(postgres)
    assert [status for _, status, *_ in jobs] == ["succeeded"] * 3  # the refused video left no job behind
    assert all((charges, units, refunded) == (1, 1, False) for _, _, charges, units, refunded, _ in jobs)
    survivor = {owner.split(":")[1] for *_, owner in jobs}
    assert survivor != {str(leaving.pid)} and len(survivor) == 1  # the other process ended all three
    prompts = Counter(task.prompt for task in simulator.tasks.values())
    assert set(prompts.values()) == {1} and len(prompts) == 3  # every video asked for exactly once
    for message in (starting, generating, waiting):
        assert any(a.filename.endswith(".mp4") for a in fake.message(message.id).attachments)

    log = (tmp_path / "shard-0.log").read_text()
    assert "handing over 3 video(s)" in log and "released 3 unfinished job(s)" in log, log
    assert "Traceback" not in log and fake.bot_token not in log, log
    assert "Traceback" not in (tmp_path / "shard-1.log").read_text()


async def _answer(interaction) -> str:
    """The sentence the member saw for a /video that was refused."""
    response = await interaction.wait_response()
    if response.ephemeral and response.message is not None:
        return str(response.message.content)
    followup, = await interaction.wait_followups()
    return str(followup.content)
