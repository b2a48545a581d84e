"""Small facts the bot keeps about itself between runs."""

from __future__ import annotations

from bot.store.database import Database


class AppState:
    """A key-value table for the bot's own bookkeeping (not for anything a server or member owns)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """The value stored under `key`, or None."""
        value = await self._db.fetch_value("SELECT value FROM app_state WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def put(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing what was there."""
        await self._db.execute(
            "INSERT INTO app_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def delete(self, key: str) -> None:
        """Forget `key` (nothing happens when it is not there)."""
        await self._db.execute("DELETE FROM app_state WHERE key = ?", (key,))
