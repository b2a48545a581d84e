"""Interaction flows beyond the smoke suite: ephemeral defers, followup edits and deletes, deferred updates,
select menus, and channel message deletion."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from fakediscord import FakeDiscord
from tests.fakediscord.fixtures import TypicalGuild, running_bot


class Picker(discord.ui.View):
    """A select menu plus a button that acknowledges with a deferred update, then edits later."""

    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(custom_id="model", options=[discord.SelectOption(label=m, value=m) for m in ("sora-2", "veo3")])
    async def model(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"model: {select.values[0]}", ephemeral=True)

    @discord.ui.button(label="Cancel", custom_id="cancel", style=discord.ButtonStyle.danger)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()  # type 6: no visible change yet
        await interaction.edit_original_response(content="⏹️ Cancelled", view=None)


class FlowCog(commands.Cog):
    """Commands using the interaction webhook in every way the bot might."""

    @app_commands.command(name="usage", description="Ephemeral defer, then followups")
    async def usage(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        first = await interaction.followup.send("3 of 5 used", wait=True)  # fills the ephemeral placeholder
        second = await interaction.followup.send("details…", wait=True, ephemeral=True)
        await second.edit(content="resets tomorrow")
        await first.delete()

    @app_commands.command(name="withdraw", description="Public defer, withdrawn, then a private answer")
    async def withdraw(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.delete_original_response()
        await interaction.followup.send("only you can see this", ephemeral=True)

    @app_commands.command(name="pick", description="Shows a picker")
    async def pick(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("choose", view=Picker())

    @app_commands.command(name="cleanup", description="Posts then deletes a message")
    async def cleanup(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("cleaning", ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        note = await interaction.channel.send("temporary")
        await note.delete()


class FlowBot(commands.Bot):
    """A bot with FlowCog."""

    def __init__(self) -> None:
        super().__init__(command_prefix="!flow ", intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.deleted: list[int] = []

    async def setup_hook(self) -> None:
        await self.add_cog(FlowCog())
        await self.tree.sync()

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.deleted.append(payload.message_id)


async def test_ephemeral_defer_followups_edit_and_delete(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    async with running_bot(fake_discord, FlowBot()):
        ix = await fake_discord.slash(world.member, world.channel, "usage")
        response = await ix.wait_response()
        assert response.kind == "deferred" and response.ephemeral
        await ix.wait_for(lambda i: len(i.followup_ids) == 2 and i.followups[0].deleted, message="the flow to end")
    first, second = ix.followups
    assert first.id == ix.original_message_id and first.ephemeral  # the first followup filled the placeholder
    assert second.ephemeral and second.content == "resets tomorrow" and second.edits[0].content == "details…"
    assert [m.content for m in fake_discord.ephemeral_messages(world.member)] == ["resets tomorrow"]
    assert fake_discord.messages(world.channel) == []


async def test_a_followup_after_the_placeholder_was_deleted_is_a_message_of_its_own(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    async with running_bot(fake_discord, FlowBot()):
        ix = await fake_discord.slash(world.member, world.channel, "withdraw")
        followup, = await ix.wait_followups()
    assert followup.id != ix.original_message_id and followup.ephemeral  # it did not fill the deleted placeholder
    assert fake_discord.messages(world.channel) == []  # nothing public is left
    assert [m.content for m in fake_discord.ephemeral_messages(world.member)] == ["only you can see this"]


async def test_select_menu_and_deferred_update(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    world = discord_world
    async with running_bot(fake_discord, FlowBot()):
        shown = (await (await fake_discord.slash(world.member, world.channel, "pick")).wait_response()).message
        assert shown is not None
        chosen = await fake_discord.select(world.member, shown, "model", ["veo3"])
        reply = (await chosen.wait_response()).message
        assert reply is not None and reply.content == "model: veo3" and reply.ephemeral
        cancel = await fake_discord.click(world.other_member, shown, "cancel")
        assert (await cancel.wait_response()).kind == "deferred_update"
        await fake_discord.wait_until(lambda: fake_discord.message(shown.id).content == "⏹️ Cancelled")
    assert fake_discord.message(shown.id).components == []


async def test_channel_message_delete(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    world = discord_world
    bot = FlowBot()
    async with running_bot(fake_discord, bot):
        await (await fake_discord.slash(world.member, world.channel, "cleanup")).wait_response()
        await fake_discord.wait_until(lambda: bool(bot.deleted), message="MESSAGE_DELETE")
    deleted = fake_discord.messages(world.channel, include_deleted=True)
    assert [(m.content, m.deleted) for m in deleted] == [("temporary", True)] and bot.deleted == [deleted[0].id]
    assert fake_discord.messages(world.channel) == []
