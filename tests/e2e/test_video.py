"""/video end to end: the real discord.py client against the fake Discord, the real client code against the
simulator. What is asserted is what a member would see."""

from __future__ import annotations

import discord
import pytest

from bot.videoapi.simulator import Scenario
from tests.e2e.conftest import Harness, public_post, refunded, start, titles

PROMPT = "A cow with wings flying over a farm at sunset"


async def test_happy_path_one_living_message_then_the_video(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    # Each progress step outlasts the edit interval, so every coalesced state is seen at least once.
    harness.simulator.enqueue(Scenario(step_delay=0.15))
    async with harness.bot():
        interaction = await harness.video(world.member, PROMPT, duration=10)
        response = await interaction.wait_response()
        assert response.kind == "deferred" and not response.ephemeral  # acknowledged before any work
        post = await public_post(interaction)
        assert post.content == f"🎬 **{PROMPT}**\n<@{world.member.id}> · sora-2 · portrait · 10 s"

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
    assert fields["Model"] == "sora-2" and fields["Duration"] == "10 s" and fields["Task ID"].startswith("`task_")
    assert embed["image"]["url"] == "attachment://preview.webp"
    assert embed["footer"]["text"].startswith("Reply to this message to remix it")
    names = [a.filename for a in done.attachments]
    assert names[0].endswith(".mp4") and "preview.webp" in names
    assert [b["label"] for b in done.buttons()] == ["Remix", "Re-roll", "Open", "Delete"]
    assert done.button("Open")["url"].startswith(harness.simulator.media_origin)
    assert all(m.mentions_suppressed for m in fake.messages(thread) if m.author.id == fake.bot_user.id)
    assert post.mentions == []  # the requester is named, never pinged


async def test_video_larger_than_the_upload_limit_is_linked_when_re_encoding_is_off(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(video_bytes=21 * 1024 * 1024))  # the server allows 20 MiB
    async with harness.bot(REENCODE_VIDEOS="false"):
        _, progress = await start(harness)
        done = await harness.wait_title(progress, "✅ Finished in")
    assert not any(a.filename.endswith(".mp4") for a in done.attachments)
    assert "larger than this server's upload limit (20 MB); open it from the link" in done.embed["description"]
    assert done.button("Open")["url"].endswith(".mp4")


async def test_video_just_under_a_boosted_limit_is_attached(harness: Harness) -> None:
    harness.world.guild.premium_tier = 2  # 50 MB uploads
    harness.simulator.enqueue(Scenario(video_bytes=30 * 1024 * 1024))
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, "✅ Finished in", timeout=20)
    video = next(a for a in done.attachments if a.filename.endswith(".mp4"))
    assert video.size == 30 * 1024 * 1024


async def test_refused_prompt_says_why_offers_retry_and_refunds(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(outcome="refusal", refusal_reason="similarity to third-party content"))
    async with harness.bot() as bot:
        _, progress = await start(harness)
        failed = await harness.wait_title(progress, "❌ Couldn't make this video")
        assert await refunded(bot, progress)
    assert "similarity to third-party content" in failed.embed["description"]
    assert "No quota was used." in failed.embed["description"]
    assert [b["label"] for b in failed.buttons()] == ["Retry"]


async def test_service_down_shows_retries_then_fails_with_retry(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(http_status=503, http_error_times=99))
    async with harness.bot() as bot:
        _, progress = await start(harness)
        failed = await harness.wait_title(progress, "❌ Couldn't make this video")
        assert await refunded(bot, progress)
    assert "The video service was unavailable." in failed.embed["description"]
    shown = " ".join(r.embeds[0].get("description", "") for r in failed.edits if r.embeds)
    assert "isn't answering — retrying (attempt" in shown


async def test_stream_dropped_after_the_task_id_finishes_by_polling(harness: Harness) -> None:
    from bot.videoapi.simulator import CHUNKS_THROUGH_TASK_ID

    harness.simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID, step_delay=0.02))
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, "✅ Finished in")
    assert any(a.filename.endswith(".mp4") for a in done.attachments)
    assert any(r.path.startswith("/source/") for r in harness.simulator.requests)  # the Raw Data page


async def test_requester_cancels_and_others_cannot(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.5, progress_steps=tuple(range(5, 100, 5))))
    world, fake = harness.world, harness.fake
    async with harness.bot() as bot:
        _, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")
        stranger = await fake.click(world.other_member, progress, "Cancel")
        refusal = await harness.private_answer(stranger)
        assert refusal == "Only the person who asked for this video or a moderator can cancel it."
        await fake.click(world.member, progress, "Cancel")
        cancelled = await harness.wait_title(progress, "⏹️ Cancelled")
        assert await refunded(bot, progress)
    assert cancelled.embed["title"] == f"⏹️ Cancelled by <@{world.member.id}>"
    assert "No quota was used." in cancelled.embed["description"]
    assert [b["label"] for b in cancelled.buttons()] == ["Retry"]


async def test_moderator_can_cancel_someone_elses_video(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.5, progress_steps=tuple(range(5, 100, 5))))
    async with harness.bot():
        _, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")
        await harness.fake.click(harness.world.moderator, progress, "Cancel")
        cancelled = await harness.wait_title(progress, "⏹️ Cancelled")
    assert cancelled.embed["title"] == f"⏹️ Cancelled by <@{harness.world.moderator.id}>"


async def test_reroll_makes_the_same_request_again_in_the_thread(harness: Harness) -> None:
    async with harness.bot():
        thread, progress = await start(harness, orientation="landscape")
        await harness.wait_title(progress, "✅ Finished in")
        await harness.fake.click(harness.world.other_member, progress, "Re-roll")
        second = await harness.progress_message(thread, index=1)
        await harness.wait_title(second, "✅ Finished in")
    chats = harness.chat_requests()
    assert len(chats) == 2
    # The chat flow reads the options from the prompt (kkiai profile); no body fields are sent.
    assert chats[1]["messages"] == chats[0]["messages"] == [{"role": "user", "content": f"{PROMPT}\n\n横屏 16:9"}]
    assert "orientation" not in chats[1]
    announcement = harness.fake.message(second.reply_to)
    assert announcement.content == f"🎲 Re-roll by <@{harness.world.other_member.id}>"


async def test_remix_button_opens_a_modal_and_continues_the_conversation(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot():
        thread, progress = await start(harness)
        await harness.wait_title(progress, "✅ Finished in")
        click = await harness.open_remix_modal(world.member, progress)
        assert (await click.wait_response()).modal["title"] == "Remix this video"
        await harness.submit_remix(world.member, click, "make the cow wear a halo")
        remix = await harness.progress_message(thread, index=1)
        done = await harness.wait_title(remix, "✅ Finished in")
    history = harness.chat_requests()[1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"]
    assert history[0]["content"] == PROMPT and history[2]["content"] == "make the cow wear a halo"
    assert "Generation Complete ✅" in history[1]["content"]
    assert done.embed["description"].startswith("Remixing video 1 of this thread")
    request_line = fake.message(remix.reply_to)
    assert request_line.content == f"✏️ <@{world.member.id}>: make the cow wear a halo"


@pytest.mark.fake_discord(interaction_token_lifetime=0.3)
async def test_a_job_outliving_the_interaction_token_still_finishes_in_place(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.15))  # about a second: three token lifetimes
    async with harness.bot():
        interaction = await harness.video(harness.world.member, PROMPT)
        thread = await harness.thread_for(interaction)
        progress = await harness.progress_message(thread)
        done = await harness.wait_title(progress, "✅ Finished in")
        assert interaction.age() > 0.3
    assert done.id == progress.id  # the same message, edited with the bot token throughout


async def test_bad_options_are_refused_before_anything_is_spent(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    text_file = fake.attachment("notes.txt", b"hello", content_type="text/plain")
    png = fake.attachment("cow.png", b"\x89PNG....", content_type="image/png")
    cases = [
        ({"prompt": "   "}, "Your prompt is empty: describe the video you want."),
        ({"prompt": PROMPT, "model": "veo3.1-fast", "duration": 10},
         "veo3.1-fast can't make 10-second videos; choose 8 s."),
        ({"prompt": PROMPT, "image": text_file}, "That attachment isn't an image (PNG, JPEG or WebP, up to 10 MB)."),
        ({"prompt": PROMPT, "model": "grok", "duration": 10, "image": png},
         "grok decides the length of its videos itself; leave the duration out."),
    ]
    async with harness.bot() as bot:
        for options, expected in cases:
            interaction = await fake.slash(world.member, world.channel, "video", **options)
            assert await harness.private_answer(interaction) == expected
        assert await bot.store.jobs.unfinished() == []
    assert fake.threads(world.channel) == []
    assert [r for r in harness.simulator.requests if r.method == "POST"] == []


async def test_missing_permission_is_named(harness: Harness) -> None:
    world = harness.world
    world.guild.set_overwrite(world.channel, world.fake.bot_user, deny=discord.Permissions(create_public_threads=True))
    async with harness.bot() as bot:
        interaction = await harness.video(world.member, PROMPT)
        refusal = await harness.private_answer(interaction)
        assert await bot.store.jobs.unfinished() == []
    assert refusal == (
        "I can't do that here: I'm missing **Create Public Threads**. Ask a moderator to grant it."
    )


async def test_video_inside_a_bot_thread_continues_its_conversation(harness: Harness) -> None:
    async with harness.bot():
        thread, progress = await start(harness)
        await harness.wait_title(progress, "✅ Finished in")
        interaction = await harness.fake.slash(harness.world.member, thread, "video", prompt="now at night")
        await public_post(interaction)
        second = await harness.progress_message(thread, index=1)
        await harness.wait_title(second, "✅ Finished in")
    assert len(harness.fake.threads(harness.world.channel)) == 1
    history = harness.chat_requests()[1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"] and history[2]["content"] == "now at night"


async def test_over_the_concurrency_cap_a_job_waits_in_line_and_says_so(harness: Harness) -> None:
    world = harness.world
    harness.simulator.set_default(Scenario(step_delay=0.2))
    async with harness.bot(MAX_JOBS_PER_GUILD="1", MAX_JOBS_PER_USER="5"):
        _, first = await start(harness, "first video")
        _, second = await start(harness, "second video", user=world.other_member)
        waiting = await harness.wait_title(second, "⏳ Queued — 1st in line")
        assert "Server limit: 1 video at a time" in waiting.embed["description"]
        await harness.wait_title(first, "✅ Finished in")
        await harness.wait_title(second, "✅ Finished in", timeout=15)


async def test_a_remix_modal_opened_before_a_restart_still_works_after_it(harness: Harness) -> None:
    world = harness.world
    async with harness.bot():
        thread, progress = await start(harness)
        await harness.wait_title(progress, "✅ Finished in")
        click = await harness.open_remix_modal(world.member, progress)
    async with harness.bot():  # the member was still typing while the bot restarted
        await harness.submit_remix(world.member, click, "make the cow wear a halo")
        remix = await harness.progress_message(thread, index=1)
        await harness.wait_title(remix, "✅ Finished in")
    history = harness.chat_requests()[1]["messages"]
    assert history[-1] == {"role": "user", "content": "make the cow wear a halo"}
