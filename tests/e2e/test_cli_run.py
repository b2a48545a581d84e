"""The run command itself: `python -m bot --simulate`, configured only through the environment, makes a
video for a member of the fake Discord and shuts down cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.e2e.processes import start_videobot
from tests.fakediscord.fixtures import TypicalGuild


async def test_videobot_simulate_makes_a_video_and_stops_on_sigterm(
    discord_world: TypicalGuild, tmp_path: Path
) -> None:
    fake, world = discord_world.fake, discord_world
    process = await start_videobot(
        fake, tmp_path, "--simulate", output=asyncio.subprocess.PIPE,
        DISCORD_DEV_GUILD_ID=str(world.guild.id), DATABASE_PATH=str(tmp_path / "videobot.sqlite3"),
    )
    try:
        await fake.wait_until(
            lambda: any(r.method == "PUT" and "/commands" in r.path for r in fake.requests) and fake.gateway.identifies,
            timeout=20, message="the bot to sync its commands and connect",
        )
        interaction = await fake.slash(world.member, world.channel, "video", prompt="a cow with wings")
        post = await interaction.wait_done()
        assert post.content.startswith("🎬 **a cow with wings**")
        starter = post.id
        await fake.wait_until(lambda: fake.thread_of(starter) is not None, message="the video thread")
        thread = fake.thread_of(starter)
        assert thread is not None
        done = await fake.wait_for_message(
            thread, lambda m: (m.embed or {}).get("title", "").startswith("✅ Finished in"), timeout=30,
            message="the simulated video to finish",
        )
        assert any(a.filename.endswith(".mp4") for a in done.attachments)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    log = output.decode()
    assert process.returncode == 0, log
    assert "simulator listening" in log and "shutting down" in log
    assert fake.bot_token not in log  # the token never reaches the logs
    assert "Traceback" not in log, log
