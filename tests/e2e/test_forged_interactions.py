"""A modified client against the real bot: forged forms, buttons and replies, through the stand-in Discord
(whose `modified_client` sends what such a client sends) and the simulator.

Each forgery gets one private sentence and nothing else: no request to the video service, no new job, no unit
charged, nothing posted where the forger is, and the video it named is unchanged.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.generation.gate import ELSEWHERE, UNRECOGNISED
from bot.generation.service import NOT_IN_THIS_THREAD
from bot.videoapi.simulator import Scenario
from fakediscord import Channel, MessageView, User
from fakediscord.interactions import InteractionRecord
from tests.e2e.conftest import FAST, Harness, start

FINISHED = "✅ Finished in"
ACTIONS = ("Cancel", "Remix", "Re-roll", "Retry", "Refresh link", "Delete")


@dataclasses.dataclass
class Rival:
    """Another server, run by mallory, who has a bot thread of her own there."""

    user: User
    channel: Channel


def rival_server(harness: Harness) -> Rival:
    mallory = harness.fake.create_user("mallory")
    guild = harness.fake.create_guild("Rival club", mallory)
    return Rival(mallory, guild.create_text_channel("rival-lab"))


async def private_sentence(interaction: InteractionRecord) -> str:
    """The one thing the forger was told: a message only they can see."""
    def said() -> list[MessageView]:
        return [m for m in interaction.messages if m.ephemeral_user_id == interaction.user.id and not m.deleted]

    await interaction.wait_for(lambda _: bool(said()), message="a private answer")
    answers = said()
    assert len(answers) == 1, [m.content for m in answers]
    return answers[0].content


def custom_id(message: MessageView, label: str) -> str:
    return str(message.button(label)["custom_id"])


def modal_id_of(message: MessageView) -> str:
    """The Remix form's custom ID, as a member who opened it once would have seen it."""
    return custom_id(message, "Remix").replace("videobot:job:remix:", "videobot:remix-modal:")


def public_messages(harness: Harness, channel: Channel, *, deleted: bool = False) -> list[int]:
    return [m.id for m in harness.fake.messages(channel, include_deleted=deleted)]


async def test_a_remix_form_of_a_video_in_one_server_sent_from_a_thread_in_another_is_refused(
    harness: Harness,
) -> None:
    fake, world = harness.fake, harness.world
    rival = rival_server(harness)
    async with harness.bot(DISCORD_DEV_GUILD_ID="") as bot:  # global commands: mallory makes videos too
        theirs, their_video = await start(harness, "a secret recipe", user=world.member)
        their_video = await harness.wait_title(their_video, FINISHED)
        mine, my_video = await start(harness, "a decoy", user=rival.user, channel=rival.channel)
        await harness.wait_title(my_video, FINISHED)
        sent, jobs = len(harness.chat_requests()), await bot.store.jobs.latest_id()
        seen, theirs_seen = public_messages(harness, mine, deleted=True), public_messages(harness, theirs, deleted=True)

        for forged_id, sentence in (
            (modal_id_of(their_video), ELSEWHERE),  # the real form's ID (say it leaked): wrong place
            (f"videobot:remix-modal:{(await bot.store.jobs.by_message(their_video.id)).id}", UNRECOGNISED),  # guessed
            (modal_id_of(their_video)[:-3] + "abc", UNRECOGNISED),  # a guessed key
            ("videobot:remix-modal:not-a-job", UNRECOGNISED),
        ):
            forged = await fake.modified_client.submit_modal(
                rival.user, mine, forged_id, {"instruction": "tell me the recipe"}, message=my_video
            )
            assert await private_sentence(forged) == sentence, forged_id

        assert len(harness.chat_requests()) == sent  # A's conversation never went to the vendor
        assert await bot.store.jobs.latest_id() == jobs
        assert public_messages(harness, mine, deleted=True) == seen  # nothing was posted in B, not even for a moment
        assert public_messages(harness, theirs, deleted=True) == theirs_seen  # nor in A


@pytest.mark.parametrize("where", ["another server", "another thread of the same server"])
async def test_every_button_of_a_video_pressed_elsewhere_is_refused_and_does_nothing(
    harness: Harness, where: str
) -> None:
    fake, world = harness.fake, harness.world
    rival = rival_server(harness)
    async with harness.bot(DISCORD_DEV_GUILD_ID="") as bot:
        _, finished = await start(harness, "a finished cow")
        finished = await harness.wait_title(finished, FINISHED)
        harness.simulator.enqueue(Scenario(outcome="failure"))
        _, failed = await start(harness, "a cow that will fail")
        failed = await harness.wait_title(failed, "❌ Couldn't make this video")
        harness.simulator.enqueue(Scenario(step_delay=0.5, progress_steps=tuple(range(5, 100, 5))))  # still running
        _, running = await start(harness, "a slow cow")
        running = await harness.wait_title(running, "🎞️ Generating")
        if where == "another server":
            forger = rival.user
            decoy_thread, decoy = await start(harness, "a decoy", user=rival.user, channel=rival.channel)
        else:
            forger = world.other_member
            decoy_thread, decoy = await start(harness, "a decoy", user=world.other_member)
        decoy = await harness.wait_title(decoy, FINISHED)
        sent, jobs = len(harness.chat_requests()), await bot.store.jobs.latest_id()
        asked, seen = len(harness.simulator.requests), public_messages(harness, decoy_thread, deleted=True)

        remix = custom_id(finished, "Remix")
        forged_ids = {
            "Cancel": custom_id(running, "Cancel"), "Retry": custom_id(failed, "Retry"), "Remix": remix,
            "Re-roll": custom_id(finished, "Re-roll"), "Delete": custom_id(finished, "Delete"),
            "Refresh link": remix.replace(":remix:", ":refresh:"),  # (this video is attached: it has no such button)
        }
        for action in ACTIONS:
            forged = await fake.modified_client.click(forger, decoy, forged_ids[action])
            assert await private_sentence(forged) == ELSEWHERE, action
            assert forged.modal is None

        assert len(harness.simulator.requests) == asked  # no generation, no refresh, no cancel reached the vendor
        assert len(harness.chat_requests()) == sent and await bot.store.jobs.latest_id() == jobs
        assert (await bot.store.jobs.by_message(running.id)).cancel_requested_by is None  # still running
        video = await bot.store.jobs.by_message(finished.id)
        assert not (await bot.store.conversations.turn(video.result_turn_id)).deleted
        assert fake.message(decoy.id).embed == decoy.embed  # the forger's own message was not rewritten
        assert public_messages(harness, decoy_thread, deleted=True) == seen  # nothing posted where the forger is


async def test_guessed_job_ids_are_refused_even_on_the_videos_own_message(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        _, video = await start(harness)
        video = await harness.wait_title(video, FINISHED)
        job = await bot.store.jobs.by_message(video.id)
        jobs = await bot.store.jobs.latest_id()
        for guessed in (
            f"videobot:job:delete:{job.id}",  # the custom ID before jobs had keys
            f"videobot:job:delete:{job.id}:AAAAAAAAAAAAAAAA",
            f"videobot:job:reroll:{job.id + 1}",
            "videobot:job:explode:1",
        ):
            forged = await fake.modified_client.click(world.member, video, guessed)
            assert await private_sentence(forged) == UNRECOGNISED, guessed
        assert await bot.store.jobs.latest_id() == jobs
        assert not (await bot.store.conversations.turn(job.result_turn_id)).deleted


async def test_a_button_made_before_keys_still_works_where_its_video_is(harness: Harness) -> None:
    """Buttons already on messages when the bot was upgraded have custom IDs without a key; they keep working
    under their own video, and only there."""
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        _, video = await start(harness)
        video = await harness.wait_title(video, FINISHED)
        job = await bot.store.jobs.by_message(video.id)
        await bot.store.db.execute("UPDATE jobs SET button_key = NULL WHERE id = ?", (job.id,))  # an older job
        _, elsewhere = await start(harness, "another cow", user=world.other_member)
        elsewhere = await harness.wait_title(elsewhere, FINISHED)

        refused = await fake.modified_client.click(world.other_member, elsewhere, f"videobot:job:delete:{job.id}")
        assert await private_sentence(refused) == ELSEWHERE
        old = await fake.modified_client.click(world.member, video, f"videobot:job:remix:{job.id}")
        modal = (await old.wait_response()).modal
        assert modal is not None and modal["custom_id"] == f"videobot:remix-modal:{job.id}"


async def test_a_reply_in_one_thread_to_a_video_of_another_thread_is_refused(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    async with harness.bot() as bot:
        _, theirs = await start(harness, "maya's secret garden")
        theirs = await harness.wait_title(theirs, FINISHED)
        mine, decoy = await start(harness, "sam's decoy", user=world.other_member)
        await harness.wait_title(decoy, FINISHED)
        sent, jobs = len(harness.chat_requests()), await bot.store.jobs.latest_id()

        forged = await fake.modified_client.reply_elsewhere(world.other_member, mine, "continue it", reply_to=theirs)

        await fake.wait_until(
            lambda: any(m.reference and m.reference.get("message_id") == str(forged.id) for m in fake.messages(mine)),
            message="the bot's answer to the forged reply",
        )
        answer = next(m for m in fake.messages(mine) if m.reference and m.reference.get("message_id") == str(forged.id))
        assert answer.content == NOT_IN_THIS_THREAD
        assert len(harness.chat_requests()) == sent and await bot.store.jobs.latest_id() == jobs


async def test_refresh_link_pressed_in_a_loop_asks_the_vendor_once_and_says_when_it_can_again(
    harness: Harness,
) -> None:
    fake, world = harness.fake, harness.world
    world.guild.premium_tier = 0
    harness.simulator.enqueue(Scenario(step_delay=0.01, video_bytes=21 * 1024 * 1024))  # linked: over 20 MiB
    paced = dataclasses.replace(FAST, refresh_per_video=60.0, refresh_per_member=20.0)
    async with harness.bot(paced, REENCODE_VIDEOS="false"):
        _, video = await start(harness)
        video = await harness.wait_title(video, FINISHED)
        asked = len(harness.simulator.requests)

        first = await fake.click(world.other_member, video, "Refresh link")
        await first.wait_response()
        await fake.wait_until(lambda: len(harness.simulator.requests) > asked, message="the vendor to be asked")
        await fake.wait_until(lambda: len(fake.message(video.id).edits) > len(video.edits), message="the answer")
        edits = len(fake.message(video.id).edits)
        for presser in (world.other_member, world.member, world.moderator, world.member):  # a self-bot's loop
            again = await fake.click(presser, video, "Refresh link")
            sentence = await private_sentence(again)
            assert sentence.startswith("This is the last result: a link can be refreshed once every 60 seconds, and "
                                       "each member can refresh one every 20 seconds.")
            assert "Try again <t:" in sentence

        vendor_asks = [r.path for r in harness.simulator.requests[asked:]]
        assert len(vendor_asks) == 1, vendor_asks  # one ask however often it was pressed
        shown = fake.message(video.id)
        assert len(shown.edits) == edits  # nor a Discord edit per press: the message already shows the last result
        assert shown.button("Open")["url"] == video.button("Open")["url"]
