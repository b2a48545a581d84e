"""Discord's per-file upload limit where a video goes, read live rather than assumed.

The limit changed three times in three years (25 MiB, then 10 MiB from 2025-01-16, then 20 MiB from September
2026: discord-api-docs #8572, #8578), and boosts raise it per server (tier 2: 50 MiB, tier 3: 100 MiB).
discord.py's `Guild.filesize_limit` still hard-codes the old 10 MiB default, so it is not asked. Every
interaction carries the server's live number (`attachment_size_limit`, discord.py's
`Interaction.filesize_limit`): a job started from one (/video, a button, the Remix form) keeps that number, and
every interaction seen in a server refreshes what this process knows of it. A job started without one (a reply
in a thread) takes the latest number this process saw in that server; if it saw none since it started, the
default for the server's boost tier. Any of these may be stale by the time the video is uploaded (boosts
lapse): a 413 then steps down the known limits (`STEP_DOWN`), re-fitting the video each time, and links it
only when none is left.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

import discord

MiB: Final = 1024 * 1024
DEFAULT_UPLOAD_LIMIT: Final = 20 * MiB  # tiers 0 and 1, since September 2026
TIER_LIMITS: Final = {2: 50 * MiB, 3: 100 * MiB}
# What a refused upload steps down through: every limit a server can have today, and the previous default
# (Discord's API still refused more than 10 MiB for a while after its docs said 20: discord-api-docs #8572).
STEP_DOWN: Final = (100 * MiB, 50 * MiB, 20 * MiB, 10 * MiB)
# An interaction's number outside this range is not believed (the payload is untrusted like any other).
PLAUSIBLE: Final = range(1 * MiB, 1024 * MiB + 1)
REMEMBERED: Final = 10_000  # servers remembered, the least recently seen forgotten first


def limit_for_tier(premium_tier: int | None) -> int:
    """What a server of this boost tier allows per file (the default when the tier is unknown)."""
    return TIER_LIMITS.get(premium_tier or 0, DEFAULT_UPLOAD_LIMIT)


def best_known_limit(seen: int | None, premium_tier: int | None) -> int:
    """The limit to fit a video to where no interaction of its own said: the latest seen in the server, else
    its boost tier's (the default when the server is not even known)."""
    return seen if seen is not None else limit_for_tier(premium_tier)


def plausible(limit: object) -> int | None:
    """`limit` if it is a believable per-file limit in bytes, else None."""
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit in PLAUSIBLE else None


class UploadLimits:
    """The latest upload limit each server's interactions reported to this process (bounded)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._seen: OrderedDict[int, int] = OrderedDict()

    def note(self, guild_id: int, limit: int) -> None:
        """Remember a number Discord reported for a server."""
        self._seen[guild_id] = limit
        self._seen.move_to_end(guild_id)
        if len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)

    def of_interaction(self, interaction: discord.Interaction) -> int | None:
        """The live limit an interaction reports for its server, remembered for later starts there."""
        limit = plausible(interaction.filesize_limit)
        if limit is not None and interaction.guild_id is not None:
            self.note(interaction.guild_id, limit)
        return limit

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Listener for every interaction: a /usage or a Cancel in a server refreshes its limit too."""
        self.of_interaction(interaction)

    def for_guild(self, guild_id: int) -> int:
        """The best known limit of a server, for a start no interaction of its own reported one for."""
        guild = self._client.get_guild(guild_id)
        return best_known_limit(self._seen.get(guild_id), guild.premium_tier if guild is not None else None)
