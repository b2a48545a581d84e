"""The one error boundary for slash commands: users read a sentence, operators read a traceback."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.core.errors import BotError
from bot.discord_ui.acknowledge import withdraw_placeholder
from bot.discord_ui.permissions import permission_label
from bot.discord_ui.render import timestamp
from bot.quotas.admission import QuotaRefused

log = logging.getLogger(__name__)

def user_sentence(error: BotError) -> str:
    """A refusal as the member reads it; moments become timestamps in each reader's own time zone."""
    return error.worded(timestamp) if isinstance(error, QuotaRefused) else error.user_message


def describe_failure(error: app_commands.AppCommandError) -> str | None:
    """The sentence a user should see for an error they can act on, or None for a bug."""
    original = getattr(error, "original", error)
    if isinstance(original, BotError):
        return user_sentence(original)
    if isinstance(error, app_commands.MissingPermissions):
        needed = " and ".join(permission_label(p) for p in error.missing_permissions)
        return f"Only members with **{needed}** can do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(permission_label(p) for p in error.missing_permissions)
        return f"I can't do that here: I'm missing **{needed}**. Ask a moderator to grant it."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This only works inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


async def reply_privately(interaction: discord.Interaction, message: str) -> None:
    """Send an ephemeral sentence whether or not the interaction was already answered."""
    # A public "thinking…" placeholder goes first: the next followup would otherwise fill it, publicly.
    await withdraw_placeholder(interaction)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s: %s", interaction.user.id, message)


async def report_failure(interaction: discord.Interaction, error: Exception, where: str) -> None:
    """Tell the user what went wrong in one sentence; log a traceback only for bugs."""
    message = describe_failure(error) if isinstance(error, app_commands.AppCommandError) else None
    if isinstance(error, BotError):
        message = user_sentence(error)
    if message is None:
        log.error("%s failed", where, exc_info=error)
        message = "Something went wrong on my side. It has been logged; please try again."
    await reply_privately(interaction, message)


class VideoCommandTree(app_commands.CommandTree):
    """Shows a BotError's message ephemerally and logs everything else with its traceback."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        await report_failure(interaction, error, f"/{command}")
