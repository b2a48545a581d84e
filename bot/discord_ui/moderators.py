"""Moderator-only command groups: hidden by Discord unless a member has Manage Server, and checked again here.

Server admins can re-assign who may use a command (Server Settings → Integrations), so Discord's
`default_member_permissions` is only the default; the check in `interaction_check` is what holds.
This is a helper module, not an extension.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.errors import BotError


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
        """Refuse anyone without Manage Server, whatever the server's command permissions say."""
        if not interaction.permissions.manage_guild:
            raise NotModerator(self.refusal)
        return True


async def reply(interaction: discord.Interaction, text: str) -> None:
    """Answer privately: moderator tools and /usage are nobody else's business."""
    await interaction.response.send_message(text, ephemeral=True)
