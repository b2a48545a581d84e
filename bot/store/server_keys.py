"""Each server's own video API key, sealed: this repository only ever sees ciphertext and the last four
characters (the most anyone is shown again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.database import Database, at


@dataclass(frozen=True, slots=True)
class SealedKey:
    """A server's key as stored: the ciphertext, never the key."""

    guild_id: int
    ciphertext: str
    last4: str
    set_by: int
    set_at: datetime


class ServerKeysRepo:
    """One sealed key per server, replaced when a moderator sets another."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, guild_id: int, *, ciphertext: str, last4: str, set_by: int) -> None:
        """Keep a server's sealed key, replacing any earlier one."""
        await self._db.execute(
            "INSERT INTO server_keys (guild_id, ciphertext, last4, set_by, set_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET ciphertext = excluded.ciphertext, last4 = excluded.last4,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (guild_id, ciphertext, last4, set_by, self._db.now()),
        )

    async def get(self, guild_id: int) -> SealedKey | None:
        """The server's sealed key, if it set one."""
        row = await self._db.fetch_one("SELECT * FROM server_keys WHERE guild_id = ?", (guild_id,))
        if row is None:
            return None
        return SealedKey(row["guild_id"], row["ciphertext"], row["last4"], row["set_by"], at(row["set_at"]))

    async def has(self, guild_id: int) -> bool:
        """Whether the server pays with a key of its own."""
        return bool(await self._db.fetch_value("SELECT 1 FROM server_keys WHERE guild_id = ?", (guild_id,)))

    async def clear(self, guild_id: int) -> bool:
        """Forget the server's key; False if it had none."""
        return await self._db.execute("DELETE FROM server_keys WHERE guild_id = ?", (guild_id,)) == 1
