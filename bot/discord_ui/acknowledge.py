"""Answer first, work after: every start is acknowledged within Discord's three seconds before any database
work, so a burst of hundreds of /video at once never turns into "This interaction failed".

The acknowledgement is Discord's "VideoBot is thinking…" placeholder. It becomes the public post once the
video is admitted; a refusal instead goes privately to the member, and the placeholder is removed.

Acknowledgements also go before every other start's work: one event loop parses the gateway, sends the
acknowledgements and runs the starts' database work, and in a burst of hundreds of commands the starts
already acknowledged would otherwise take the loop from the acknowledgements still to send. So a start,
once acknowledged, waits until every command received before it has been acknowledged too (or has had
`ACK_PRIORITY` seconds, for a command that is answered some other way).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Final

import discord

THINKING: Final = "videobot.thinking"  # in Interaction.extras: a placeholder is showing
# Seconds a received command holds back the work of those acknowledged: Discord's own limit for an answer.
ACK_PRIORITY: Final = 3.0


class AcknowledgementsFirst:
    """The slash commands received and not yet acknowledged, and a wait for there being none."""

    def __init__(self) -> None:
        self._pending: dict[int, float] = {}  # interaction id → until when it holds the others back
        self._waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None

    def received(self, interaction_id: int) -> None:
        """A command arrived (recorded as the gateway event is parsed, before any handler runs)."""
        self._pending[interaction_id] = asyncio.get_running_loop().time() + ACK_PRIORITY

    def answered(self, interaction_id: int) -> None:
        self._pending.pop(interaction_id, None)
        self._wake()

    async def drained(self) -> None:
        """Return once no command received so far is waiting for its acknowledgement."""
        self._expire()
        if not self._pending:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._arm()
        await waiter

    def _expire(self) -> None:
        now = asyncio.get_running_loop().time()
        for interaction_id in [i for i, until in self._pending.items() if until <= now]:
            del self._pending[interaction_id]

    def _arm(self) -> None:
        if self._timer is None and self._pending:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(min(self._pending.values()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()

    def _wake(self) -> None:
        self._expire()
        if self._pending:
            self._arm()
            return
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


_first: weakref.WeakKeyDictionary[discord.Client, AcknowledgementsFirst] = weakref.WeakKeyDictionary()


def command_received(client: discord.Client, interaction: discord.Interaction) -> None:
    """Record a slash command as its gateway event is parsed (buttons and forms are answered other ways)."""
    if interaction.type is discord.InteractionType.application_command:
        acknowledgements_of(client).received(interaction.id)


def acknowledgements_of(client: discord.Client) -> AcknowledgementsFirst:
    """The client's record of commands awaiting their acknowledgement (made on first use)."""
    if client not in _first:
        _first[client] = AcknowledgementsFirst()
    return _first[client]


async def acknowledge(interaction: discord.Interaction) -> None:
    """Show the "thinking…" placeholder now (it costs no database work and no global rate limit); return once
    every command received before this one has been acknowledged as well."""
    first = acknowledgements_of(interaction.client)
    try:
        await interaction.response.defer(thinking=True)
    finally:
        first.answered(interaction.id)
    interaction.extras[THINKING] = True
    await first.drained()


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
