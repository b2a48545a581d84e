"""Time-based snowflake ids and Discord-style timestamps."""

from __future__ import annotations

import datetime as dt
import time

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeGenerator:
    """Makes strictly increasing snowflakes whose timestamp part is the current time.

    discord.py derives ``created_at`` and ``Interaction.expires_at`` from ids and history pagination compares
    them, so ids must encode real time and never go backwards.
    """

    def __init__(self, worker: int = 1, process: int = 0) -> None:
        self._worker = worker & 0x1F
        self._process = process & 0x1F
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        """Return a new snowflake."""
        ms = max(int(time.time() * 1000), self._last_ms)
        if ms == self._last_ms:
            self._increment += 1
            if self._increment > 0xFFF:
                # 4096 ids in one millisecond: borrow the next millisecond rather than repeat an id.
                ms += 1
                self._increment = 0
        else:
            self._increment = 0
        self._last_ms = ms
        return ((ms - DISCORD_EPOCH_MS) << 22) | (self._worker << 17) | (self._process << 12) | self._increment


    def next_on_shard(self, shard_id: int, num_shards: int) -> int:
        """A new snowflake that, as a guild id, belongs to that shard: ``(id >> 22) % num_shards == shard_id``.

        The shard is the id's millisecond modulo ``num_shards``, so the id takes the next such millisecond
        (at most ``num_shards - 1`` ms ahead; later ids follow it, never going backwards)."""
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        ms += (shard_id - (ms - DISCORD_EPOCH_MS)) % num_shards
        self._last_ms, self._increment = ms, 0
        return ((ms - DISCORD_EPOCH_MS) << 22) | (self._worker << 17) | (self._process << 12)


def snowflake_time(snowflake: int) -> dt.datetime:
    """Return the UTC creation time encoded in a snowflake."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """Format a datetime the way Discord does (ISO 8601 with an explicit +00:00 offset)."""
    return moment.astimezone(dt.UTC).isoformat()


def now_iso() -> str:
    """Return the current UTC time as a Discord timestamp string."""
    return iso(dt.datetime.now(dt.UTC))
