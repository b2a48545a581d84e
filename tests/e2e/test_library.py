"""/videos, ⭐ and the best-of channel, end to end: the real bot against the stand-in Discord and the simulator."""

from __future__ import annotations

import asyncio
import dataclasses

import discord
import pytest

from bot.core.errors import BotError
from bot.views.library import LibraryQuery
from fakediscord import Channel, MessageView, User
from fakediscord.errors import ActionRefused
from fakediscord.models import FLAG_COMPONENTS_V2
from fakediscord.readers import iter_components
from tests.e2e.conftest import FAST, Harness, eventually

ROOMY_QUOTA = {"DEFAULT_QUOTA_UNITS": "100", "MAX_JOBS_PER_USER": "20"}


async def make_video(harness: Harness, user: User, prompt: str, channel: Channel | None = None) -> MessageView:
    """Run /video and wait until its video is in the thread; the finished progress message."""
    interaction = await harness.video(user, prompt, channel)
    thread = await harness.thread_for(interaction)
    return await harness.wait_title(await harness.progress_message(thread), "✅ Finished in")


async def videos(harness: Harness, user: User, channel: Channel | None = None, **options: object) -> MessageView:
    """Run /videos; the private Components V2 answer."""
    interaction = await harness.fake.slash(user, channel or harness.world.channel, "videos", **options)
    response = await interaction.wait_response()
    assert response.message is not None, response
    return response.message


def gallery(message: MessageView) -> list[dict]:
    """The media gallery's items."""
    found = [c for c in iter_components(message.components) if c.get("type") == 12]
    return found[0]["items"] if found else []


def sections(message: MessageView) -> list[str]:
    """Each listed video's caption text, in order."""
    return [c["components"][0]["content"] for c in iter_components(message.components) if c.get("type") == 9]


async def click_page(harness: Harness, user: User, message: MessageView, emoji: str) -> MessageView:
    button = next(b for b in message.buttons() if (b.get("emoji") or {}).get("name") == emoji)
    click = await harness.fake.click(user, message, button["custom_id"])
    await click.wait_response()
    return harness.fake.message(message.id)


async def test_pages_of_ten_with_arrows_jump_links_and_the_video_itself(harness: Harness) -> None:
    world = harness.world
    async with harness.bot(**ROOMY_QUOTA):
        made = [await make_video(harness, world.member, f"clip number {i}") for i in range(12)]
        first = await videos(harness, world.member)
        assert first.ephemeral and first.flags & FLAG_COMPONENTS_V2 and not first.content and not first.embeds
        assert "12 videos, newest first" in first.text()
        items = gallery(first)
        assert len(items) == 10 and all(i["media"]["url"].endswith(".mp4") for i in items)
        captions = sections(first)
        assert captions[0].startswith("**1.** 🎬 clip number 11") and captions[9].startswith("**10.** 🎬 clip number 2")
        thread = made[11].channel_id
        assert f"/channels/{world.guild.id}/{thread}/{made[11].id})" in captions[0]  # jumps to the video
        second = await click_page(harness, world.member, first, "▶")
        assert [c.split(" · ")[0] for c in sections(second)] == ["**11.** 🎬 clip number 1", "**12.** 🎬 clip number 0"]
        back = await click_page(harness, world.member, second, "◀")
        assert sections(back)[0].startswith("**1.** 🎬 clip number 11")


async def test_filters_mine_member_and_model(harness: Harness) -> None:
    world = harness.world
    async with harness.bot(**ROOMY_QUOTA):
        await make_video(harness, world.member, "maya's cow")
        await make_video(harness, world.other_member, "sam's horse")
        await harness.fake.slash(world.other_member, world.channel, "video", prompt="sam's grok", model="grok")
        await harness.fake.wait_until(lambda: len([m for m in harness.fake.messages(world.channel)]) >= 3)
        await eventually(lambda: _finished(harness, 3), timeout=10, message="three videos")
        mine = sections(await videos(harness, world.member, whose="mine"))
        assert len(mine) == 1 and "maya's cow" in mine[0]
        sams = sections(await videos(harness, world.member, member=world.other_member))
        assert len(sams) == 2 and all("sam" in c for c in sams)
        grok = sections(await videos(harness, world.member, model="grok"))
        assert len(grok) == 1 and "sam's grok" in grok[0]
        everyone = sections(await videos(harness, world.member))
        assert len(everyone) == 3


async def _finished(harness: Harness, count: int) -> bool:
    return sum(1 for t in harness.fake.threads(harness.world.channel)
               for m in harness.progress_messages(t) if (m.embed or {}).get("title", "").startswith("✅")) >= count


async def test_deleted_and_private_videos_are_not_listed_and_stale_buttons_are_checked_again(
    harness: Harness,
) -> None:
    world = harness.world
    fake = harness.fake
    secret = world.guild.create_text_channel("soon-private")
    async with harness.bot(**ROOMY_QUOTA):
        await make_video(harness, world.member, "a kept video")
        gone = await make_video(harness, world.member, "a deleted video")
        await make_video(harness, world.moderator, "a secret video", channel=secret)
        click = await fake.click(world.member, gone, "Delete")
        await click.wait_response()
        before = await videos(harness, world.member)
        assert [("secret" in c, "kept" in c) for c in sections(before)] == [(True, False), (False, True)]
        # The channel becomes private: maya no longer sees its video, and her old list's buttons are checked again.
        world.guild.set_overwrite(secret, world.guild.everyone, deny=discord.Permissions(view_channel=True))
        world.guild.set_overwrite(secret, world.moderator_role, allow=discord.Permissions(view_channel=True))
        world.guild.set_overwrite(secret, world.guild.bot_role, allow=discord.Permissions(view_channel=True))
        await asyncio.sleep(0.1)  # CHANNEL_UPDATE reaches the bot
        listed = sections(await videos(harness, world.member))
        assert len(listed) == 1 and "a kept video" in listed[0]
        moderator_sees = sections(await videos(harness, world.moderator))
        assert len(moderator_sees) == 2 and "a secret video" in moderator_sees[0]
        job = await harness_job(harness, "a secret video")
        stale = await fake.click(world.member, before, f"videobot:lib-remix:{job}")
        assert "can't see the channel" in (await stale.wait_response()).message.content


async def test_made_up_page_and_star_requests_show_nothing_more(harness: Harness) -> None:
    """Discord delivers only custom IDs that are on the message, but nothing in them is trusted: what a modified
    client could ask for goes through the same checks, given the channels its member can see."""
    world = harness.world
    async with harness.bot(**ROOMY_QUOTA) as bot:
        await make_video(harness, world.member, "a public video")
        job = await harness_job(harness, "a public video")
        guild, visible = world.guild.id, {world.channel.id}
        view, library = bot.services.library_view, bot.services.library
        with pytest.raises(BotError, match="belongs to someone else"):
            await view.page(guild, world.member.id, visible, LibraryQuery("mine", world.moderator.id))
        far = await view.page(guild, world.member.id, visible, LibraryQuery("server", page=999))
        assert far.query.page == 0 and len(far.videos) == 1  # past the end: the last page, still filtered
        assert (await view.page(guild, world.member.id, set(), LibraryQuery("server"))).total == 0
        with pytest.raises(BotError, match="can't see the channel"):
            await library.toggle_star(guild, job, world.member.id, set())
        with pytest.raises(BotError, match="deleted or isn't finished"):  # another server's request
            await library.toggle_star(guild + 1, job, world.member.id, visible)
        assert await bot.store.library.stars(job) == 0


async def harness_job(harness: Harness, prompt: str) -> int:
    """The job ID of the finished video with this prompt, read from its ⭐ button."""
    for channel in harness.world.guild.channels:
        for thread in harness.fake.threads(channel):
            for message in harness.progress_messages(thread):
                if prompt in (message.embed or {}).get("description", ""):
                    return job_of_star(star_of(message))
    raise AssertionError(f"no video {prompt!r}")


def job_of_star(custom_id: str) -> int:
    """The job ID a ⭐ button's custom ID names ("videobot:star:<job>:<key>")."""
    return int(custom_id.split(":")[2])


def star_of(message: MessageView) -> str:
    """The custom ID of a finished video's ⭐ button."""
    return next(b for b in message.buttons() if (b.get("emoji") or {}).get("name") == "⭐")["custom_id"]


async def test_stars_toggle_one_per_member_and_show_their_count(harness: Harness) -> None:
    world, fake = harness.world, harness.fake
    async with harness.bot(**ROOMY_QUOTA) as bot:
        video = await make_video(harness, world.member, "a starry night")
        star = next(b for b in video.buttons() if (b.get("emoji") or {}).get("name") == "⭐")
        for user in (world.member, world.other_member, world.member):
            await (await fake.click(user, video, star["custom_id"])).wait_response()
        now = fake.message(video.id)
        button = next(b for b in now.buttons() if (b.get("emoji") or {}).get("name") == "⭐")
        assert button.get("label") == "1"  # maya starred and unstarred; sam's star stays
        assert now.embed == video.embed and now.attachments == video.attachments  # only the button changed
        job = job_of_star(star["custom_id"])
        assert await bot.store.library.stars(job) == 1
        assert "⭐ 1" in sections(await videos(harness, world.member))[0]


async def test_best_of_reposts_once_when_a_video_reaches_the_threshold(harness: Harness) -> None:
    world, fake = harness.world, harness.fake
    best = world.guild.create_text_channel("best-of")
    tuning = dataclasses.replace(FAST, best_of_interval=0.1)
    async with harness.bot(tuning, **ROOMY_QUOTA):
        answer = await fake.slash(world.moderator, world.channel, "videobot library", best_of_channel=best,
                                  best_of_stars=2)
        assert "best-of: <#" in (await answer.wait_response()).message.content
        video = await make_video(harness, world.member, "a sunset worth keeping")
        star = star_of(video)
        await (await fake.click(world.member, video, star)).wait_response()
        for user in (world.other_member, world.moderator):
            await (await fake.click(user, video, star)).wait_response()
        await fake.wait_until(lambda: fake.messages(best), message="the repost")
        repost, = fake.messages(best)
        assert repost.flags & FLAG_COMPONENTS_V2 and "a sunset worth keeping" in repost.text()
        assert gallery(repost)[0]["media"]["url"].endswith(".mp4")
        await (await fake.click(world.owner, video, star)).wait_response()  # a fourth star: still one repost
        await asyncio.sleep(0.5)  # five more looks
        assert len(fake.messages(best)) == 1


async def test_moderators_turn_the_library_and_stars_off(harness: Harness) -> None:
    world, fake = harness.world, harness.fake
    async with harness.bot(**ROOMY_QUOTA):
        video = await make_video(harness, world.member, "a quiet lake")
        with pytest.raises(ActionRefused, match="hidden from maya"):  # members don't even see the command
            await fake.slash(world.member, world.channel, "videobot library", library=False)
        answer = await fake.slash(world.moderator, world.channel, "videobot library", library=False, stars=False)
        assert "/videos: off · ⭐ stars: off" in (await answer.wait_response()).message.content
        off = await fake.slash(world.member, world.channel, "videos")
        assert "turned the video library off" in (await off.wait_response()).message.content
        star = star_of(video)
        click = await fake.click(world.member, video, star)
        await click.wait_response()
        assert STARS_OFF_TEXT in (await click.wait_followups())[0].content
        assert not [b for b in fake.message(video.id).buttons() if (b.get("emoji") or {}).get("name") == "⭐"]
        later = await make_video(harness, world.member, "a second lake")
        assert not [b for b in later.buttons() if (b.get("emoji") or {}).get("name") == "⭐"]


STARS_OFF_TEXT = "turned stars off"
