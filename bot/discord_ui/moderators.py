"""Moderator-only command groups: hidden by Discord unless a member has Manage Server, and checked again here.

Server admins can re-assign who may use a command (Server Settings → Integrations), so Discord's
`default_member_permissions` is only the default; the check in `interaction_check` is what holds.
This is a helper module, not an extension.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import BotError
from bot.discord_ui.services import Services


class NotModerator(BotError, app_commands.CheckFailure):
    """A member without Manage Server used a moderator command; the tree shows them the sentence."""


class ModeratorGroup(app_commands.Group):
    """A guild-only command group for members with Manage Server."""

    def __init__(self, *, name: str, description: str, refusal: str) -> None:
        super().__init__(
            name=name,
            description=description,
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.refusal = refusal

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse anyone without Manage Server, whatever the server's command permissions say.

        A command may say, in its `extras`, its own refusal (`refusal`) and that the bot's owner may use it
        anywhere (`owner_too`)."""
        if interaction.permissions.manage_guild:
            return True
        extras = interaction.command.extras if interaction.command is not None else {}
        if extras.get("owner_too") and await is_bot_owner(interaction):
            return True
        raise NotModerator(extras.get("refusal", self.refusal))


class ModeratorSubgroup(app_commands.Group):
    """A group inside a ModeratorGroup (`/videobot key …`): discord.py checks only a command's direct parent,
    so the subgroup refuses members without Manage Server itself."""

    def __init__(self, *, name: str, description: str, refusal: str) -> None:
        super().__init__(name=name, description=description)
        self.refusal = refusal

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse anyone without Manage Server."""
        require_moderator(interaction, self.refusal)
        return True


def require_moderator(interaction: discord.Interaction, refusal: str) -> None:
    """Raise NotModerator (the member reads `refusal`) unless the user has Manage Server here."""
    if not interaction.permissions.manage_guild:
        raise NotModerator(refusal)


async def is_bot_owner(interaction: discord.Interaction) -> bool:
    """Whether the user owns the bot: the application's owner (or a member of its team), or one of OWNER_IDS."""
    client = interaction.client
    services = getattr(client, "services", None)
    if isinstance(services, Services) and interaction.user.id in services.settings.owner_ids:
        return True
    return isinstance(client, commands.Bot | commands.AutoShardedBot) and await client.is_owner(interaction.user)


async def reply(interaction: discord.Interaction, text: str) -> None:
    """Answer privately: moderator tools and /usage are nobody else's business."""
    await interaction.response.send_message(text, ephemeral=True)
