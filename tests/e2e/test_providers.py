"""The provider profile end to end: what /video sends is what the service reads, and when the service made
something else than asked, the member reads it in the finished message."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Harness

PROMPT = "A cow with wings flying over a farm at sunset"


async def test_landscape_is_asked_so_the_service_makes_it_and_the_length_follows_the_model(harness: Harness) -> None:
    async with harness.bot():
        interaction = await harness.video(harness.world.member, PROMPT, orientation="landscape", duration=10)
        thread = await harness.thread_for(interaction)
        done = await harness.wait_title(await harness.progress_message(thread), "✅ Finished in")
    [body] = harness.chat_requests()
    assert body == {"model": "sora-2", "stream": True,
                    "messages": [{"role": "user", "content": f"{PROMPT}\n\n横屏 16:9"}]}
    [task] = harness.simulator.tasks.values()
    assert (task.orientation, task.duration) == ("landscape", 10)  # as the service understood it
    assert "⚠️" not in done.embed["description"]


async def test_a_video_made_otherwise_than_asked_says_so(harness: Harness, tmp_path: Path) -> None:
    # An operator's profile that sends the options as body fields, which this service ignores.
    profile = tmp_path / "fields.toml"
    profile.write_text('extends = "kkiai"\n[[models]]\nname = "sora-2"\n'
                       'options = { orientation = "body", duration = "body" }\n', encoding="utf-8")
    async with harness.bot(VIDEO_PROVIDER=str(profile)):
        interaction = await harness.video(harness.world.member, PROMPT, orientation="landscape", duration=10)
        thread = await harness.thread_for(interaction)
        done = await harness.wait_title(await harness.progress_message(thread), "✅ Finished in")
    assert "⚠️ You asked for landscape; the service made portrait." in done.embed["description"]
    assert {f["name"]: f["value"] for f in done.embed["fields"]}["Orientation"] == "Landscape"  # what was asked
