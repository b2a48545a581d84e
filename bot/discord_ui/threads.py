"""Reopening an archived thread before an action posts or edits in it.

Discord archives a thread after a day without messages. In an archived thread it refuses every edit (50083
"Thread is archived"); a message sent there reopens it, unless a moderator locked it, which only Manage Threads
overrides (discord-api-docs topics/threads; #5517). A button pressed or a form sent under an old video would
otherwise fail half-way, after the member's units were reserved: so the thread is reopened first, or the member
is told in one sentence why it cannot be.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import discord

from bot.core.errors import BotError
from bot.discord_ui.refusals import in_words

log = logging.getLogger(__name__)

# Reopening comes before the interaction is answered, which Discord allows 3 s: a slower answer is not awaited,
# and the action meets Discord's own answer instead.
PATIENCE: Final = 2.0
LOCKED: Final = (
    "This thread is locked, so I can't post in it. A moderator can unlock it, or give me **Manage Threads**."
)
NOT_REOPENED: Final = (
    "This thread is archived and I couldn't reopen it, so I can't do that here. A moderator can reopen it."
)
NO_PERMISSION: Final = (
    "This thread is archived and I can't reopen it: I'm missing **Manage Threads** here. Ask a moderator to "
    "reopen it or grant it."
)


async def reopen_for(interaction: discord.Interaction) -> None:
    """Unarchive the thread an interaction came from, if it is archived; a BotError says why it can't be."""
    thread = interaction.channel
    if not isinstance(thread, discord.Thread) or not thread.archived:
        return
    if thread.locked and not interaction.app_permissions.manage_threads:
        raise BotError(LOCKED)
    try:
        async with asyncio.timeout(PATIENCE):
            await thread.edit(archived=False)
    except TimeoutError:
        log.warning("reopening archived thread %s took longer than %.0f s; going on", thread.id, PATIENCE)
        return
    except discord.HTTPException as error:
        log.info("archived thread %s could not be reopened: %s", thread.id, in_words(error))
        raise BotError(NO_PERMISSION if error.status == 403 else NOT_REOPENED) from error
    log.info("reopened archived thread %s for %s's action", thread.id, interaction.user.id)
