"""/video end to end: the real discord.py client against the fake Discord, the real client code against the
simulator. What is asserted is what a member would see."""

from __future__ import annotations

from bot.videoapi.simulator import Scenario
from tests.e2e.conftest import Harness, titles

PROMPT = "A cow with wings flying over a farm at sunset"


async def test_happy_path_one_living_message_then_the_video(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    # Each progress step outlasts the edit interval, so every coalesced state is seen at least once.
    harness.simulator.enqueue(Scenario(step_delay=0.15))
    async with harness.bot():
        interaction = await harness.video(world.member, PROMPT, duration=15)
        response = await interaction.wait_response()
        assert response.message is not None and not response.message.ephemeral
        assert response.message.content == f"🎬 **{PROMPT}**\n<@{world.member.id}> · sora-2 · portrait · 15 s"

        thread = await harness.thread_for(interaction)
        assert thread.name == f"🎬 {PROMPT}"
        progress = await harness.progress_message(thread)
        done = await harness.wait_title(progress, "✅ Finished in")

    assert titles(done)[:2] == ["⏳ Queued", "⏳ Waiting for the video service"]
    assert titles(done)[-2:] == ["🎞️ Generating", titles(done)[-1]]
    generating = [r.embeds[0]["description"] for r in done.edits if r.embeds and r.embeds[0]["title"] == "🎞️ Generating"]
    assert [b["label"] for b in done.edits[-1].components[0]["components"]] == ["Cancel"]
    assert any("▰" in text and "%" in text for text in generating)  # the real percentage from the stream

    embed = done.embed
    assert embed is not None
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Model"] == "sora-2" and fields["Duration"] == "15 s" and fields["Task ID"].startswith("`task_")
    assert embed["image"]["url"] == "attachment://preview.webp"
    assert embed["footer"]["text"].startswith("Reply to this message to remix it")
    names = [a.filename for a in done.attachments]
    assert names[0].endswith(".mp4") and "preview.webp" in names
    assert [b["label"] for b in done.buttons()] == ["Remix", "Re-roll", "Open"]
    assert done.button("Open")["url"].startswith(harness.simulator.media_origin)
    assert all(m.mentions_suppressed for m in fake.messages(thread) if m.author.id == fake.bot_user.id)
    assert response.message.mentions == []  # the requester is named, never pinged
