"""Per-server settings and the channels where videos may be made."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from bot.store.database import Database
from bot.store.models import GuildSettings

_COLUMNS = tuple(f.name for f in fields(GuildSettings) if f.name not in ("guild_id", "allowed_channel_ids"))


class GuildSettingsRepo:
    """What each server chose; a server that never chose anything gets the defaults."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings:
        """The server's settings, defaults filled in (inside a transaction: locked until it ends)."""
        await self._db.lock("settings", guild_id)
        row = await self._db.fetch_one("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
        channels = await self._db.fetch_all("SELECT channel_id FROM allowed_channels WHERE guild_id = ?", (guild_id,))
        allowed = frozenset(r["channel_id"] for r in channels)
        if row is None:
            return GuildSettings(guild_id=guild_id, allowed_channel_ids=allowed)
        values: dict[str, Any] = {name: row[name] for name in _COLUMNS}
        values["plain_messages_remix"] = bool(values["plain_messages_remix"])
        values["moderators_exempt"] = bool(values["moderators_exempt"])
        return GuildSettings(guild_id=guild_id, allowed_channel_ids=allowed, **values)

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some settings (keyword per field); returns the settings after the change."""
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise TypeError(f"unknown guild settings: {', '.join(sorted(unknown))}")
        async with self._db.transaction():
            current = replace(await self.get(guild_id), **changes)
            values = [getattr(current, name) for name in _COLUMNS]
            await self._db.execute(
                f"INSERT INTO guild_settings (guild_id, {', '.join(_COLUMNS)}, updated_at)"
                f" VALUES (?, {', '.join('?' for _ in _COLUMNS)}, ?)"
                f" ON CONFLICT (guild_id) DO UPDATE SET"
                f" {', '.join(f'{name} = excluded.{name}' for name in _COLUMNS)}, updated_at = excluded.updated_at",
                (guild_id, *values, self._db.now()),
            )
            return current

    async def allow_channel(self, guild_id: int, channel_id: int) -> bool:
        """Add a channel to the allowed list; False if it was already there."""
        return (
            await self._db.execute(
                "INSERT INTO allowed_channels (guild_id, channel_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (guild_id, channel_id),
            )
            == 1
        )

    async def disallow_channel(self, guild_id: int, channel_id: int) -> bool:
        """Remove a channel from the allowed list; False if it was not there."""
        return (
            await self._db.execute(
                "DELETE FROM allowed_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
            == 1
        )
