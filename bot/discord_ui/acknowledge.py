"""Answer first, work after: every start is acknowledged within Discord's three seconds before any database
work, so a burst of hundreds of /video at once never turns into "This interaction failed".

The acknowledgement is Discord's "VideoBot is thinking…" placeholder. It becomes the public post once the
video is admitted; a refusal instead goes privately to the member, and the placeholder is removed.
"""

from __future__ import annotations

import contextlib
from typing import Final

import discord

THINKING: Final = "videobot.thinking"  # in Interaction.extras: a placeholder is showing


async def acknowledge(interaction: discord.Interaction) -> None:
    """Show the "thinking…" placeholder now (it costs no database work and no global rate limit)."""
    await interaction.response.defer(thinking=True)
    interaction.extras[THINKING] = True


async def answer_publicly(interaction: discord.Interaction, content: str) -> discord.Message:
    """Turn the placeholder into the public post; returns it (a thread can hang off it)."""
    message = await interaction.edit_original_response(content=content)
    interaction.extras[THINKING] = False
    return message


async def withdraw_placeholder(interaction: discord.Interaction) -> None:
    """Remove the placeholder of a start that was refused (the refusal was sent privately)."""
    if interaction.extras.pop(THINKING, False):
        with contextlib.suppress(discord.HTTPException):  # already gone, or the token expired: nothing to tidy
            await interaction.delete_original_response()
