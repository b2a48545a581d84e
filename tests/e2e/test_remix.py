"""Reply-to-remix: a thread is the conversation, sent back verbatim along the path to the replied video."""

from __future__ import annotations

import asyncio

import pytest

from bot.videoapi.simulator import Scenario
from fakediscord import Channel, MessageView
from tests.e2e.conftest import Harness

PROMPT = "A cow with wings flying over a farm at sunset"


def chats(harness: Harness) -> list[list[dict[str, str]]]:
    """The `messages` array of every chat request the video service received, in order."""
    return [body["messages"] for body in harness.chat_requests()]


def streamed(harness: Harness, message: MessageView) -> str:
    """What the service streamed for the video shown in a finished progress message."""
    task_id = next(f["value"] for f in message.embed["fields"] if f["name"] == "Task ID").strip("`")
    return harness.simulator.streamed_text(task_id)


async def first_video(harness: Harness) -> tuple[Channel, MessageView]:
    interaction = await harness.video(harness.world.member, PROMPT)
    thread = await harness.thread_for(interaction)
    done = await harness.wait_title(await harness.progress_message(thread), "✅ Finished in")
    return thread, done


async def reply(harness: Harness, thread: Channel, video: MessageView, text: str, index: int, **options) -> MessageView:
    """Reply to a video as maya and wait for the remix (the thread's index-th progress message) to finish."""
    await harness.fake.say(harness.world.member, thread, text, reply_to=video, **options)
    remix = await harness.progress_message(thread, index=index)
    return await harness.wait_title(remix, "✅ Finished in")


async def test_reply_remixes_that_video_with_the_history_sent_back_verbatim(harness: Harness) -> None:
    async with harness.bot():
        thread, video1 = await first_video(harness)
        remix = await reply(harness, thread, video1, "now at night, in the rain", index=1)
    history = chats(harness)[1]
    assert history == [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": streamed(harness, video1)},  # byte for byte
        {"role": "user", "content": "now at night, in the rain"},
    ]
    user_reply = harness.fake.message(remix.reply_to)
    assert user_reply.content == "now at night, in the rain"  # the progress message answers the member's reply
    assert remix.embed["description"].startswith("Remixing video 1 of this thread")


async def test_replying_to_an_older_video_branches_from_it(harness: Harness) -> None:
    async with harness.bot():
        thread, video1 = await first_video(harness)
        video2 = await reply(harness, thread, video1, "now at night", index=1)
        await reply(harness, thread, video1, "with a halo instead", index=2)
    assert chats(harness)[2] == [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": streamed(harness, video1)},
        {"role": "user", "content": "with a halo instead"},
    ]
    assert all(streamed(harness, video2) != m["content"] for m in chats(harness)[2])  # the sibling is not sent


async def test_a_remix_of_a_remix_sends_the_whole_path(harness: Harness) -> None:
    async with harness.bot():
        thread, video1 = await first_video(harness)
        video2 = await reply(harness, thread, video1, "now at night", index=1)
        video3 = await reply(harness, thread, video2, "and snowing", index=2)
    assert [m["content"] for m in chats(harness)[2]] == [
        PROMPT, streamed(harness, video1), "now at night", streamed(harness, video2), "and snowing",
    ]
    assert video3.embed["description"].startswith("Remixing video 2 of this thread")


async def test_plain_messages_are_ignored_by_default_and_continue_the_latest_video_when_allowed(
    harness: Harness,
) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        thread, video1 = await first_video(harness)
        video2 = await reply(harness, thread, video1, "now at night", index=1)
        await fake.say(world.other_member, thread, "wow, love it")
        await asyncio.sleep(0.2)
        assert len(harness.progress_messages(thread)) == 2  # chatter spends nothing
        await bot.store.settings.update(world.guild.id, plain_messages_remix=True)
        await fake.say(world.member, thread, "make it sunrise")
        remix = await harness.wait_title(await harness.progress_message(thread, index=2), "✅ Finished in")
    latest = [m["content"] for m in chats(harness)[2]][-3:]
    assert latest == ["now at night", streamed(harness, video2), "make it sunrise"]
    assert remix.reply_to is not None


async def test_long_conversations_are_trimmed_keeping_the_first_prompt(harness: Harness) -> None:
    async with harness.bot(HISTORY_MAX_TURNS="5"):
        thread, video1 = await first_video(harness)
        video2 = await reply(harness, thread, video1, "at night", index=1)
        video3 = await reply(harness, thread, video2, "in the rain", index=2)
        video4 = await reply(harness, thread, video3, "with snow", index=3)
    # The full path has 7 turns; the first prompt stays and the newest 4 follow, still alternating.
    assert chats(harness)[3] == [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": streamed(harness, video2)},
        {"role": "user", "content": "in the rain"},
        {"role": "assistant", "content": streamed(harness, video3)},
        {"role": "user", "content": "with snow"},
    ]
    assert "Using the first prompt and the last 4 turns." in video4.embed["description"]
    assert "Using the first prompt" not in video3.embed["description"]  # 5 turns fit: nothing trimmed


async def test_a_restart_between_two_remixes_changes_nothing(harness: Harness) -> None:
    async with harness.bot():
        thread, video1 = await first_video(harness)
        video2 = await reply(harness, thread, video1, "now at night", index=1)
    async with harness.bot():
        await reply(harness, thread, video2, "and snowing", index=2)
    assert [m["content"] for m in chats(harness)[2]] == [
        PROMPT, streamed(harness, video1), "now at night", streamed(harness, video2), "and snowing",
    ]


async def test_two_replies_at_once_become_two_jobs_each_with_its_own_history(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot(MAX_JOBS_PER_USER="5"):
        thread, video1 = await first_video(harness)
        await asyncio.gather(
            fake.say(world.member, thread, "at night", reply_to=video1),
            fake.say(world.other_member, thread, "in the snow", reply_to=video1),
        )
        for index in (1, 2):
            await harness.wait_title(await harness.progress_message(thread, index=index), "✅ Finished in")
    last_turns = sorted(history[-1]["content"] for history in chats(harness)[1:])
    assert last_turns == ["at night", "in the snow"]
    assert all(history[:2] == chats(harness)[1][:2] and len(history) == 3 for history in chats(harness)[1:])


async def test_remixing_an_unfinished_or_failed_video_gets_a_clear_answer(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    harness.simulator.enqueue(Scenario(outcome="refusal"), Scenario(step_delay=0.5))
    async with harness.bot(MAX_JOBS_PER_USER="5"):
        interaction = await harness.video(world.member, "refused one")
        thread = await harness.thread_for(interaction)
        failed = await harness.wait_title(await harness.progress_message(thread), "❌")
        answer = await fake.say(world.member, thread, "try with a halo", reply_to=failed)
        said = await fake.wait_for_message(thread, lambda m: m.reply_to == answer.id)
        assert said.content == "That video didn't finish, so there is nothing to remix. Press Retry under it first."

        interaction = await harness.video(world.member, "slow one")
        slow_thread = await harness.thread_for(interaction)
        running = await harness.progress_message(slow_thread)
        answer = await fake.say(world.member, slow_thread, "faster", reply_to=running)
        said = await fake.wait_for_message(slow_thread, lambda m: m.reply_to == answer.id)
        assert said.content == "That video is still being made. Reply to it again once it has finished."


async def test_an_image_on_the_reply_is_used_as_input(harness: Harness) -> None:
    fake = harness.fake
    picture = fake.attachment("halo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    async with harness.bot():
        thread, video1 = await first_video(harness)
        video2 = await reply(harness, thread, video1, "start from this picture", index=1, attachments=[picture])
        await reply(harness, thread, video2, "now at night", index=2)  # a video made from a picture remixes
    text, image = chats(harness)[1][-1]["content"]  # type: ignore[misc]  # a vision message, not a string
    assert text == {"type": "text", "text": "start from this picture"}
    assert image["type"] == "image_url" and image["image_url"]["url"].endswith("halo.png")
    assert not any(r.path == "/v1/video/create" for r in harness.simulator.requests)
    assert chats(harness)[2][-2:] == [
        {"role": "assistant", "content": streamed(harness, video2)},
        {"role": "user", "content": "now at night"},
    ]


async def test_quota_applies_to_remixes(harness: Harness) -> None:
    async with harness.bot(DEFAULT_QUOTA_UNITS="1"):
        thread, video1 = await first_video(harness)
        answer = await harness.fake.say(harness.world.member, thread, "again", reply_to=video1)
        said = await harness.fake.wait_for_message(thread, lambda m: m.reply_to == answer.id)
    assert said.content.startswith("You've used 1 of 1 videos today. Your quota resets <t:")
    assert len(chats(harness)) == 1


@pytest.mark.fake_discord(message_content_granted=False)
async def test_without_the_content_intent_a_pinged_reply_works_and_an_unpinged_one_is_explained_once(
    harness: Harness,
) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot():
        thread, video1 = await first_video(harness)
        await fake.say(world.member, thread, "now at night", reply_to=video1, ping_on_reply=True)
        remix = await harness.wait_title(await harness.progress_message(thread, index=1), "✅ Finished in")
        assert chats(harness)[1][-1] == {"role": "user", "content": "now at night"}

        unpinged = await fake.say(world.member, thread, "in the rain", reply_to=remix, ping_on_reply=False)
        hint = await fake.wait_for_message(thread, lambda m: m.reply_to == unpinged.id)
        await fake.say(world.member, thread, "hello?", reply_to=remix, ping_on_reply=False)
        await asyncio.sleep(0.3)
    me = fake.bot_user.id
    assert hint.content == (
        f"I can't read messages here unless you ping me. Reply with <@{me}>, or press Remix under the video."
    )
    hints = [m for m in fake.messages(thread) if m.content.startswith("I can't read messages here")]
    assert len(hints) == 1  # once per thread
    assert len(chats(harness)) == 2
