"""/videobot status and /videobot key set|clear: thin adapters added to the /videobot group of cogs/settings.py.

Status is one call to its view (bot/views/status.py) and one pure render; the key is typed into a modal, never
a command option, and its submission is handled from the modal's custom ID (after a restart too)."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import BotError
from bot.discord_ui.boundary import report_failure
from bot.discord_ui.components import submitted_text
from bot.discord_ui.members import member_of
from bot.discord_ui.moderators import ModeratorSubgroup, is_bot_owner, reply, require_moderator
from bot.discord_ui.server_key import (
    KEY_CLEARED,
    KEY_FIELD,
    SERVER_KEY_MODAL_ID,
    ServerKeyModal,
    key_change_log,
    key_set_reply,
)
from bot.discord_ui.services import Services, services_of
from bot.discord_ui.status_render import status_text
from bot.views.status import Where

STATUS_REFUSAL: Final = "Only members with Manage Server can see the bot's status."
KEY_REFUSAL: Final = "Only members with Manage Server can set this server's API key."


class StatusCog(commands.Cog, name="Status"):
    """The bot's state for moderators and its owner, and a server's own API key."""

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.status_command = self._build_status()
        self.key_group = self._build_key_group()
        self._group: app_commands.Group | None = None

    def _videobot(self) -> app_commands.Group:
        # Found by name, not class: discord.py loads an extension as a fresh module, so classes differ by copy.
        group = getattr(self.bot.get_cog("Settings"), "group", None)
        if not isinstance(group, app_commands.Group):
            raise RuntimeError("cogs.status extends /videobot: load cogs.settings first")
        return group

    async def cog_load(self) -> None:
        self._group = group = self._videobot()
        group.add_command(self.status_command)
        group.add_command(self.key_group)

    async def cog_unload(self) -> None:
        if self._group is None:
            return
        self._group.remove_command(self.status_command.name)
        self._group.remove_command(self.key_group.name)

    def _build_status(self) -> app_commands.Command[Any, ..., None]:
        @app_commands.command(
            name="status", description="What runs and waits, the video service's health, quotas and spend",
            extras={"owner_too": True, "refusal": STATUS_REFUSAL},
        )
        async def status(interaction: discord.Interaction) -> None:
            assert interaction.guild is not None
            guild = interaction.guild
            where = Where(
                guild_id=guild.id, shard_id=guild.shard_id, shard_count=self.bot.shard_count or 1,
                # The interaction's attachment_size_limit: this server's upload limit right now.
                upload_limit=interaction.filesize_limit,
                started_at=getattr(self.bot, "started_at", discord.utils.utcnow()),
                servers_here=len(self.bot.guilds),
            )
            owner = await is_bot_owner(interaction)
            view = await self.services.status.status(
                where, member_of(interaction.user, interaction.permissions), owner=owner
            )
            await reply(interaction, status_text(view))

        return status

    def _build_key_group(self) -> ModeratorSubgroup:
        group = ModeratorSubgroup(name="key", description="This server's own video API key", refusal=KEY_REFUSAL)
        services = self.services

        @group.command(name="set", description="Pay for this server's videos with its own API key (typed in a form)")
        async def set_(interaction: discord.Interaction) -> None:
            services.keys.check_can_keep()  # no SERVER_KEY_SECRET: a sentence, before any key is typed
            await interaction.response.send_modal(ServerKeyModal())  # a form must be the first answer

        @group.command(name="clear", description="Stop using this server's own API key")
        async def clear(interaction: discord.Interaction) -> None:
            assert interaction.guild is not None
            await services.keys.clear(interaction.guild.id, interaction.user.id)
            await reply(interaction, KEY_CLEARED)
            services.modlog.change(interaction.guild.id, key_change_log(interaction.user.id, cleared=True))

        return group

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """The key form was sent."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        if data.get("custom_id") != SERVER_KEY_MODAL_ID:
            return
        try:
            await self._key_submitted(interaction, submitted_text(data, KEY_FIELD))
        except Exception as error:
            await report_failure(interaction, error, "server key form")

    async def _key_submitted(self, interaction: discord.Interaction, text: str) -> None:
        if interaction.guild is None:
            raise BotError("This only works inside a server.")
        require_moderator(interaction, KEY_REFUSAL)  # the form may outlive the moderator's role
        status = await self.services.keys.set(interaction.guild.id, interaction.user.id, text)
        assert status.last4 is not None
        await reply(interaction, key_set_reply(status.last4))
        self.services.modlog.change(interaction.guild.id, key_change_log(interaction.user.id, cleared=False))


async def setup(bot: commands.Bot) -> None:
    if "cogs.settings" not in bot.extensions:  # the /videobot group these commands join is built there
        await bot.load_extension("cogs.settings")
    await bot.add_cog(StatusCog(bot, services_of(bot)))
