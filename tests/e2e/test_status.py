"""/videobot status end to end: a moderator sees what runs and waits, the video service's last hour, the upload
limit, their quota and what was spent; a member is refused in a sentence; the bot's owner sees every server."""

from __future__ import annotations

import re

import pytest

from bot.videoapi.simulator import Scenario
from fakediscord import ActionRefused
from tests.e2e.conftest import Harness, eventually, start
from tests.e2e.test_quotas import answer

STATUS_REFUSAL = "Only members with Manage Server can see the bot's status."


async def test_a_moderator_sees_jobs_health_upload_limit_quota_and_spend(harness: Harness) -> None:
    world = harness.world
    async with harness.bot(VIDEO_PRICES="sora-2=0.15") as bot:
        _, made = await start(harness)
        await harness.wait_title(made, "✅ Finished in")
        harness.simulator.enqueue(Scenario(outcome="refusal", refusal_reason="similarity to third-party content"))
        _, refused = await start(harness, "A famous cartoon mouse dancing")
        await harness.wait_title(refused, "❌")
        harness.simulator.set_default(Scenario(step_delay=5.0))  # one still generating while status is asked
        await start(harness, "A slow one", user=world.other_member)

        async def one_generating() -> bool:
            return (await bot.store.job_stats.under_way(world.guild.id)).running == 1

        await eventually(one_generating, message="the slow video to be generating")

        status = await answer(harness, world.moderator, "videobot status")

    lines = status.splitlines()
    assert re.fullmatch(r"\*\*videobot \S+\*\* · shard 0 of 1 · up \d+ s", lines[0]), lines[0]
    assert lines[1] == ("Now here: 1 generating · 0 waiting (5 at a time) · "
                        "all servers: 1 generating · 0 waiting (20 at a time)")
    assert re.fullmatch(
        r"Video service, last hour: 1 made · 1 refused · 0 failed \(50 % made\) · p50 \d+ s"
        r" · last error: refused \(<t:\d+:R>\)", lines[2]), lines[2]
    assert lines[3].startswith("Upload limit here: 20 MB · your quota: unlimited (moderators are exempt) · 0 used")
    assert lines[3].endswith("server default: 10 a day (the bot's) per member")
    # The refused video was refunded: the one made and the one under way (charged until it ends) count.
    assert lines[4] == "Spent today: $0.30 for 2 videos · API key: the bot's"
    assert len(lines) == 5  # a moderator who does not own the bot sees no other server


async def test_a_member_is_refused_even_when_the_server_shows_them_the_command(harness: Harness) -> None:
    world = harness.world
    async with harness.bot():
        with pytest.raises(ActionRefused, match="default_member_permissions"):
            await harness.fake.slash(world.member, world.channel, "videobot status")
        world.guild.allow_command("videobot", world.member)  # Integrations settings hand it out: the bot holds
        assert await answer(harness, world.member, "videobot status") == STATUS_REFUSAL


async def test_the_bots_owner_sees_every_servers_totals(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    app_owner = fake.world.owner  # the application's owner, as GET /oauth2/applications/@me says
    world.guild.add_member(app_owner)  # a plain member here: no Manage Server
    other = fake.create_guild("Film Club", owner=world.other_member)
    other_channel = other.create_text_channel("films")
    async with harness.bot(VIDEO_PRICES="sora-2=0.15", DISCORD_DEV_GUILD_ID=""):  # global commands: both servers
        interaction = await harness.video(world.other_member, "A lighthouse in a storm", channel=other_channel)
        await harness.wait_title(await harness.progress_message(await harness.thread_for(interaction)), "✅")
        _, here = await start(harness)
        await harness.wait_title(here, "✅")

        world.guild.allow_command("videobot", app_owner)
        owner_view = await answer(harness, app_owner, "videobot status")
        moderator_view = await answer(harness, world.moderator, "videobot status")

    assert owner_view.splitlines()[-1] == (
        "**All servers** (owner): 2 connected to this process · 2 asked for videos today · "
        "spent today: $0.30 for 2 videos"
    )
    assert "your quota: 10 of 10 left today" in owner_view  # the owner is not a moderator here
    assert "All servers" not in moderator_view


async def test_owner_ids_make_a_moderator_the_owner(harness: Harness) -> None:
    world = harness.world
    async with harness.bot(OWNER_IDS=str(world.moderator.id)):
        status = await answer(harness, world.moderator, "videobot status")
    assert status.splitlines()[-1].startswith("**All servers** (owner): 1 connected to this process")
