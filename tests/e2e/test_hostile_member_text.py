"""A member's prompt inside the bot's own links, end to end: /usage lists a running video as a jump link whose
text is the prompt; a prompt with "](" or a URL cannot split that link or plant its own."""

from __future__ import annotations

from bot.videoapi.simulator import Scenario
from tests.discord_ui.test_inert_links import links
from tests.e2e.conftest import Harness, start


async def test_usage_links_a_running_video_whole_whatever_its_prompt_says(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.5, progress_steps=tuple(range(5, 100, 5))))
    world = harness.world
    async with harness.bot():
        thread, progress = await start(harness, "a cat](https://evil.example/login) [free nitro https://evil.example")
        await harness.wait_title(progress, "🎞️ Generating")
        usage = await harness.private_answer(await harness.fake.slash(world.member, world.channel, "usage"))
    running = usage.splitlines()[-1]
    assert links(running) == [f"https://discord.com/channels/{world.guild.id}/{thread.id}/{progress.id}"]
    assert "evil.example" in running  # the prompt is shown, as text
