"""Discord's rules, enforced: the real client gets Discord's error codes, and the fake records each refusal."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from fakediscord import BucketLimit, FakeDiscord, RateLimits
from fakediscord.errors import EMBEDS_DROPPED
from tests.fakediscord.fixtures import TypicalGuild, running_bot

MiB = 1024 * 1024


class RulesCog(commands.Cog):
    """Commands that break a rule on purpose."""

    def __init__(self) -> None:
        self.errors: list[discord.HTTPException] = []

    @app_commands.command(name="early", description="Sends a followup before responding")
    async def early(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.followup.send("too early")
        except discord.HTTPException as exc:
            self.errors.append(exc)
        await interaction.response.send_message("ok", ephemeral=True)

    @app_commands.command(name="secret", description="Answers ephemerally")
    async def secret(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @app_commands.command(name="public", description="Thinks, then answers publicly")
    async def public(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="done")
        except discord.HTTPException as exc:
            self.errors.append(exc)


class RulesBot(commands.Bot):
    """A bot with a rule-breaking cog."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!rules ", intents=intents, guild_ready_timeout=0.05)
        self.cog = RulesCog()

    async def setup_hook(self) -> None:
        await self.add_cog(self.cog)
        await self.tree.sync()


@pytest.fixture
async def bot(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> AsyncIterator[RulesBot]:
    """A running RulesBot in the typical guild."""
    async with running_bot(fake_discord, RulesBot()) as running:
        yield running


def channel_of(bot: RulesBot, world: TypicalGuild) -> discord.TextChannel:
    """discord.py's #video-lab."""
    channel = bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_content_over_2000_characters(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    fake_discord.expect_violation(50035)
    with pytest.raises(discord.HTTPException) as raised:
        await channel_of(bot, discord_world).send("x" * 2001)
    assert raised.value.code == 50035 and "In content: Must be 2000 or fewer in length." in raised.value.text
    await channel_of(bot, discord_world).send("x" * 2000)


async def test_embed_limits(fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot) -> None:
    seen = fake_discord.expect_violation(50035)
    channel = channel_of(bot, discord_world)
    with pytest.raises(discord.HTTPException, match="Embed size exceeds maximum size of 6000"):
        await channel.send(embeds=[discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)])
    with pytest.raises(discord.HTTPException, match=r"In embeds\.0\.title"):
        await channel.send(embed=discord.Embed(title="t" * 257))
    with pytest.raises(discord.HTTPException, match=r"fields\.0\.value"):
        await channel.send(embed=discord.Embed(title="ok").add_field(name="n", value="v" * 1025))
    assert len(seen.hits) == 3


async def test_component_limits(fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot) -> None:
    seen = fake_discord.expect_violation(50035)
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=discord_world.channel.id)
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}
    rows = [{"type": 1, "components": [{**button, "custom_id": f"go{i}"}]} for i in range(6)]
    with pytest.raises(discord.HTTPException, match="Must be 5 or fewer in length"):
        await bot.http.request(route, json={"content": "six rows", "components": rows})
    wide = [{"type": 1, "components": [{**button, "custom_id": f"b{i}"} for i in range(6)]}]
    with pytest.raises(discord.HTTPException, match="exceeds the maximum width"):
        await bot.http.request(route, json={"content": "six buttons", "components": wide})
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="x" * 81, custom_id="c" * 101))
    view.add_item(discord.ui.Button(label="Open", url="https://example.com/" + "v" * 500))
    with pytest.raises(discord.HTTPException) as raised:
        await channel_of(bot, discord_world).send("bad buttons", view=view)
    assert "custom_id" in raised.value.text and "label" in raised.value.text and "url" in raised.value.text
    assert len(seen.hits) == 3


async def test_thread_name_and_archive_duration(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    fake_discord.expect_violation(50035)
    message = await channel_of(bot, discord_world).send("starter")
    with pytest.raises(discord.HTTPException, match="Must be between 1 and 100 in length"):
        await message.create_thread(name="n" * 101)
    route = Route(
        "POST",
        "/channels/{channel_id}/messages/{message_id}/threads",
        channel_id=message.channel.id,
        message_id=message.id,
    )
    with pytest.raises(discord.HTTPException, match="Value must be one of"):
        await bot.http.request(route, json={"name": "ok", "auto_archive_duration": 30})
    thread = await message.create_thread(name="n" * 100)
    fake_discord.expect_violation(160004)
    with pytest.raises(discord.HTTPException, match="already been created"):
        await message.create_thread(name="again")
    assert thread.id == message.id


async def test_upload_size_follows_the_guild_boost_tier(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    boosted = fake_discord.create_guild("Boosted", owner=discord_world.owner, premium_tier=2)
    big_room = boosted.create_text_channel("renders")
    fake_discord.expect_violation(40005)
    async with running_bot(fake_discord, RulesBot()) as bot:
        fifteen, twenty_one = b"v" * (15 * MiB), b"v" * (21 * MiB)
        room = channel_of(bot, discord_world)
        await room.send(file=discord.File(io.BytesIO(fifteen), "fits.mp4"))  # 20 MiB by default since 2026-09
        with pytest.raises(discord.HTTPException) as raised:
            await room.send(file=discord.File(io.BytesIO(twenty_one), "big.mp4"))
        assert (raised.value.status, raised.value.code, raised.value.text) == (413, 40005, "Request entity too large")
        boosted_room = bot.get_channel(big_room.id)
        assert isinstance(boosted_room, discord.TextChannel) and boosted_room.guild.premium_tier == 2
        await boosted_room.send(file=discord.File(io.BytesIO(twenty_one), "big.mp4"))

        boosted.set_premium_tier(0)  # the boosts lapsed: GUILD_UPDATE, and the limit is the default again
        await fake_discord.wait_until(lambda: boosted_room.guild.premium_tier == 0, message="GUILD_UPDATE")
        fake_discord.expect_violation(40005)
        with pytest.raises(discord.HTTPException):
            await boosted_room.send(file=discord.File(io.BytesIO(twenty_one), "big.mp4"))
        discord_world.guild.set_upload_limit(10 * MiB)  # a server of its own limit (a rollout, say)
        fake_discord.expect_violation(40005)
        with pytest.raises(discord.HTTPException):
            await room.send(file=discord.File(io.BytesIO(fifteen), "fits.mp4"))
    assert [a.size for m in fake_discord.messages(big_room) for a in m.attachments] == [21 * MiB]
    assert [a.size for m in fake_discord.messages(discord_world.channel) for a in m.attachments] == [15 * MiB]


async def test_interaction_response_rules(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    world = discord_world
    fake_discord.expect_violation(10015)
    early = await fake_discord.slash(world.member, world.channel, "early")
    await early.wait_response()
    assert isinstance(bot.cog.errors[0], discord.NotFound) and bot.cog.errors[0].code == 10015

    fake_discord.expect_violation(40060)
    again = Route("POST", "/interactions/{interaction_id}/{token}/callback", interaction_id=early.id, token=early.token)
    with pytest.raises(discord.HTTPException, match="already been acknowledged"):
        await bot.http.request(again, json={"type": 4, "data": {"content": "twice"}})

    fake_discord.expect_violation(10008)
    secret = await fake_discord.slash(world.member, world.channel, "secret")
    ephemeral = (await secret.wait_response()).message
    assert ephemeral is not None and ephemeral.ephemeral
    with pytest.raises(discord.NotFound):  # ephemeral messages exist only behind the interaction webhook
        await bot.http.request(
            Route(
                "PATCH",
                "/channels/{channel_id}/messages/{message_id}",
                channel_id=world.channel.id,
                message_id=ephemeral.id,
            ),
            json={"content": "edited"},
        )

    unknown = Route("POST", "/interactions/{interaction_id}/{token}/callback", interaction_id=0, token="nope")
    fake_discord.expect_violation(10062)
    with pytest.raises(discord.NotFound):
        await bot.http.request(unknown, json={"type": 4, "data": {"content": "hello?"}})


async def test_bad_modal_is_refused(fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot) -> None:
    bot.tree.add_command(app_commands.Command(name="form", description="A form", callback=_never))
    await bot.tree.sync()
    fake_discord.expect_violation(50035)
    fake_discord.expect_violation("interaction_not_acknowledged")
    fake_discord.interaction_response_deadline = 0.3
    ix = await fake_discord.slash(discord_world.member, discord_world.channel, "form")
    route = Route("POST", "/interactions/{interaction_id}/{token}/callback", interaction_id=ix.id, token=ix.token)
    text_input = {"type": 4, "custom_id": "f", "style": 1, "label": "L" * 46}
    bad = {
        "type": 9,
        "data": {"custom_id": "m", "title": "T" * 46, "components": [{"type": 1, "components": [text_input]}]},
    }
    with pytest.raises(discord.HTTPException) as raised:
        await bot.http.request(route, json=bad)
    assert "title" in raised.value.text and "label" in raised.value.text
    await fake_discord.wait_until(
        lambda: any(v.code == "interaction_not_acknowledged" for v in fake_discord.violations),
        message="the deadline to pass",
    )


async def _never(interaction: discord.Interaction) -> None:
    """A command the test answers by hand."""
    await asyncio.sleep(0)


async def test_editing_in_an_archived_thread(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    message = await channel_of(bot, discord_world).send("starter")
    thread = await message.create_thread(name="progress")
    progress = await thread.send("⏳ Queued")
    fake_discord.archive_thread(fake_discord.channel(thread.id))
    fake_discord.expect_violation(50083)
    with pytest.raises(discord.HTTPException) as raised:
        await progress.edit(content="🎞️ Generating")
    assert (raised.value.code, raised.value.text) == (50083, "Thread is archived")
    await thread.send("sending unarchives it")
    assert not fake_discord.channel(thread.id).archived
    await progress.edit(content="🎞️ Generating")

    fake_discord.archive_thread(fake_discord.channel(thread.id), locked=True)  # by a moderator
    fake_discord.expect_violation(50083)
    with pytest.raises(discord.HTTPException) as raised:
        await thread.send("a locked thread stays closed to a bot without Manage Threads")
    assert raised.value.code == 50083 and fake_discord.channel(thread.id).archived


async def test_unarchiving_needs_membership_of_the_thread(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    thread = await (await channel_of(bot, discord_world).send("starter")).create_thread(name="t")
    stored = fake_discord.channel(thread.id)
    fake_discord.archive_thread(stored)
    await thread.edit(archived=False)  # the bot started it, so it is a member
    fake_discord.archive_thread(stored)
    stored.member_ids.discard(fake_discord.bot_user.id)  # as if it had left the thread
    stored.owner_id = discord_world.member.id
    fake_discord.expect_violation(50013)
    with pytest.raises(discord.Forbidden):
        await thread.edit(archived=False)
    assert stored.archived


async def test_answering_an_interaction_in_an_archived_thread(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    world = discord_world
    thread = await (await channel_of(bot, world).send("starter")).create_thread(name="t")
    await thread.send("hello")
    fake_discord.archive_thread(fake_discord.channel(thread.id))
    answered = await fake_discord.slash(world.member, fake_discord.channel(thread.id), "public")
    await answered.wait_done()  # a public answer is a message sent: it unarchives the thread, as a send does
    assert not fake_discord.channel(thread.id).archived and bot.cog.errors == []

    fake_discord.archive_thread(fake_discord.channel(thread.id), locked=True)
    secret = await fake_discord.slash(world.member, fake_discord.channel(thread.id), "secret")
    assert (await secret.wait_response()).ephemeral  # not posted in the thread: it passes, and changes nothing
    assert fake_discord.channel(thread.id).archived
    fake_discord.expect_violation(50083)  # discord-api-docs #5517: the answer itself is refused
    refused = await fake_discord.slash(world.member, fake_discord.channel(thread.id), "public")
    await fake_discord.wait_until(lambda: bool(bot.cog.errors), message="the refusal")
    assert bot.cog.errors[0].code == 50083 and fake_discord.channel(thread.id).archived
    assert refused.response is None


async def test_missing_permissions(fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot) -> None:
    world = discord_world
    world.guild.set_overwrite(
        world.channel, fake_discord.bot_user, deny=discord.Permissions(create_public_threads=True, attach_files=True)
    )
    await fake_discord.wait_until(
        lambda: not channel_of(bot, world).permissions_for(channel_of(bot, world).guild.me).attach_files,
        message="CHANNEL_UPDATE reached the bot",
    )
    fake_discord.expect_violation(50013)
    message = await channel_of(bot, world).send("starter")
    with pytest.raises(discord.Forbidden):
        await message.create_thread(name="nope")
    with pytest.raises(discord.Forbidden):
        await channel_of(bot, world).send(file=discord.File(io.BytesIO(b"x"), "x.txt"))
    world.guild.set_overwrite(world.channel, fake_discord.bot_user, deny=discord.Permissions(embed_links=True))
    dropped = fake_discord.expect_violation(EMBEDS_DROPPED)
    sent = await channel_of(bot, world).send("with embed", embed=discord.Embed(title="gone"))
    assert sent.embeds == [] and len(dropped.hits) == 1  # Discord posts it without the embed


async def test_allowed_mentions_are_recorded_per_create_and_edit(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    maya = discord_world.member
    channel = channel_of(bot, discord_world)
    pinged = await channel.send(f"<@{maya.id}> done", allowed_mentions=discord.AllowedMentions(users=True))
    quiet = await channel.send(f"<@{maya.id}> done", allowed_mentions=discord.AllowedMentions.none())
    only_maya = discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(maya.id)])
    await quiet.edit(content=f"<@{maya.id}> really done", allowed_mentions=only_maya)
    assert fake_discord.message(pinged.id).mentions == [maya.id]
    view = fake_discord.message(quiet.id)
    assert view.allowed_mentions_history == [{"parse": []}, only_maya.to_dict()]
    assert view.mentions == [maya.id] and view.edits[0].content == f"<@{maya.id}> done"
    assert fake_discord.message(quiet.id).allowed_mentions == only_maya.to_dict()
    await quiet.edit(embed=discord.Embed(title="no content"))  # discord.py sends no allowed_mentions here
    after = fake_discord.message(quiet.id)
    assert after.allowed_mentions_history[-1] is None and after.allowed_mentions == only_maya.to_dict()
    assert after.mentions == [maya.id]  # without content, Discord does not re-parse mentions
    assert fake_discord.message(pinged.id).mentions_suppressed is False
    assert fake_discord.message(
        (await channel.send("x", allowed_mentions=discord.AllowedMentions.none())).id
    ).mentions_suppressed


@pytest.mark.fake_discord(message_content_granted=False)
async def test_rest_reads_strip_content_without_the_intent(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    intents = discord.Intents.default()
    bot = commands.Bot(command_prefix="!x ", intents=intents, guild_ready_timeout=0.05)
    async with running_bot(fake_discord, bot):
        said = await fake_discord.say(discord_world.member, discord_world.channel, "secret plans")
        own = await bot.get_channel(discord_world.channel.id).send("bot text")  # type: ignore[union-attr]
        history = [m async for m in bot.get_channel(discord_world.channel.id).history(limit=10)]  # type: ignore[union-attr]
        fetched = await bot.get_channel(discord_world.channel.id).fetch_message(said.id)  # type: ignore[union-attr]
    assert [m.content for m in history] == ["bot text", ""] and fetched.content == ""
    assert own.content == "bot text"


async def test_unknown_routes_and_429s_are_problems(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, bot: RulesBot
) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/channels/{channel_id}/pins", channel_id=discord_world.channel.id))
    assert fake_discord.problems() == [f"unknown route: GET /api/v10/channels/{discord_world.channel.id}/pins"]
    fake_discord.rest.unknown_routes.clear()
    fake_discord.rate_limits = RateLimits(global_=BucketLimit(1, 0.2))
    extra = [discord_world.guild.create_text_channel(f"r{i}") for i in range(2)]
    await fake_discord.wait_until(lambda: all(bot.get_channel(c.id) for c in extra), message="CHANNEL_CREATE")
    await asyncio.gather(*(bot.get_channel(c.id).send("hi") for c in extra))  # type: ignore[union-attr]
    assert fake_discord.problems() and all(p.startswith("429 (global)") for p in fake_discord.problems())
    fake_discord.rate_limit_hits.clear()


def test_expectations_that_never_happen_are_problems() -> None:
    fake = FakeDiscord()
    fake.expect_violation(50027)
    fake.record_violation(50013, 403, "Missing Permissions", method="POST", route="/channels/{channel_id}/messages")
    assert fake.problems() == [
        "violation: POST /channels/{channel_id}/messages -> 403 50013 Missing Permissions",
        "expected violation 50027 never happened",
    ]
    with pytest.raises(AssertionError, match="fake Discord saw problems"):
        fake.assert_clean()
