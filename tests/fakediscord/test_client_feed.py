"""What a person's own client is shown: the live feed (ephemeral answers to their owner only, nothing from
channels they cannot see, how their interactions went) and the client view (channels, history, commands)."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from fakediscord import ClientEvent, ClientFeed, ClientView, FakeDiscord, Subscription
from tests.fakediscord.fixtures import TypicalGuild, running_bot


class AskCog(commands.Cog):
    @app_commands.command(name="secret", description="Answers privately")
    async def secret(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only for you", ephemeral=True)

    @app_commands.command(name="form", description="Opens a form")
    async def form(self, interaction: discord.Interaction) -> None:
        modal = discord.ui.Modal(title="Tell me", custom_id="tell")
        modal.add_item(discord.ui.TextInput(label="What?", custom_id="what"))
        await interaction.response.send_modal(modal)

    @app_commands.command(name="silent", description="Never answers")
    async def silent(self, interaction: discord.Interaction) -> None:
        return

    @app_commands.command(name="admin", description="Moderators only")
    @app_commands.default_permissions(manage_guild=True)
    async def admin(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)


class AskBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(command_prefix="!ask ", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    async def setup_hook(self) -> None:
        await self.add_cog(AskCog())
        await self.tree.sync()


async def next_event(subscription: Subscription, wanted: str) -> ClientEvent:
    """The next event of that type (others are skipped), within a few seconds."""
    async with asyncio.timeout(5):
        while True:
            event = await subscription.get()
            if event.type == wanted:
                return event


async def test_an_ephemeral_answer_reaches_only_the_person_who_asked(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world, feed = discord_world, ClientFeed(fake_discord)
    asker, onlooker = feed.subscribe(world.member), feed.subscribe(world.other_member)
    async with running_bot(fake_discord, AskBot()):
        interaction = await fake_discord.slash(world.member, world.channel, "secret")
        interaction.nonce = "n-1"
        created = await next_event(asker, "MESSAGE_CREATE")
        success = await next_event(asker, "INTERACTION_SUCCESS")
    assert created.data["content"] == "only for you" and created.data["flags"] & 64
    assert success.data == {"id": str(interaction.id), "nonce": "n-1"}
    assert not [e for e in onlooker.drain() if e.type.startswith(("MESSAGE", "INTERACTION"))]
    history = ClientView(fake_discord, world.member).messages(world.channel)
    assert [m["content"] for m in history] == ["only for you"]
    assert ClientView(fake_discord, world.other_member).messages(world.channel) == []


async def test_a_modal_opens_on_the_clicker_s_client(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    world, feed = discord_world, ClientFeed(fake_discord)
    mine = feed.subscribe(world.member)
    async with running_bot(fake_discord, AskBot()):
        interaction = await fake_discord.slash(world.member, world.channel, "form")
        opened = await next_event(mine, "INTERACTION_MODAL_CREATE")
    assert opened.data["id"] == str(interaction.id) and opened.data["title"] == "Tell me"
    assert opened.data["custom_id"] == "tell" and opened.data["channel_id"] == str(world.channel.id)


@pytest.mark.fake_discord(interaction_response_deadline=0.2)
async def test_an_unanswered_interaction_shows_as_failed(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world, feed = discord_world, ClientFeed(fake_discord)
    mine = feed.subscribe(world.member)
    fake_discord.expect_violation("interaction_not_acknowledged")
    async with running_bot(fake_discord, AskBot()):
        interaction = await fake_discord.slash(world.member, world.channel, "silent")
        failed = await next_event(mine, "INTERACTION_FAILURE")
    assert failed.data["id"] == str(interaction.id)


async def test_nobody_is_shown_a_channel_they_cannot_see(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    guild = world.guild
    hidden = guild.create_text_channel(
        "staff",
        overwrites={
            guild.everyone: discord.PermissionOverwrite(view_channel=False),
            world.moderator_role: discord.PermissionOverwrite(view_channel=True),
        },
    )
    feed = ClientFeed(fake_discord)
    member, moderator = feed.subscribe(world.member), feed.subscribe(world.moderator)
    await fake_discord.say(world.moderator, hidden, "staff only")
    assert [e.data["content"] for e in moderator.drain() if e.type == "MESSAGE_CREATE"] == ["staff only"]
    assert not [e for e in member.drain() if e.type == "MESSAGE_CREATE"]
    names = [c["name"] for c in ClientView(fake_discord, world.member).guild_state(guild)["channels"]]
    assert "staff" not in names and "video-lab" in names
    assert "staff" in [c["name"] for c in ClientView(fake_discord, world.moderator).guild_state(guild)["channels"]]


async def test_the_client_lists_only_the_commands_a_person_may_use(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    async with running_bot(fake_discord, AskBot()):
        await fake_discord.wait_until(lambda: fake_discord.world.commands.get(None), message="commands synced")
        member = [c["name"] for c in ClientView(fake_discord, world.member).commands(world.channel)]
        moderator = [c["name"] for c in ClientView(fake_discord, world.moderator).commands(world.channel)]
    assert "admin" not in member and {"secret", "form", "silent"} <= set(member)
    assert "admin" in moderator


async def test_a_closed_subscription_stops_receiving(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    world, feed = discord_world, ClientFeed(fake_discord)
    subscription = feed.subscribe(world.member)
    subscription.close()
    await fake_discord.say(world.other_member, world.channel, "hello")
    with pytest.raises(ConnectionResetError):
        await subscription.get()
    feed.close()
    assert feed._watch not in fake_discord.watchers
