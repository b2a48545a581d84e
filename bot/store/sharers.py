"""The processes sharing one bot token's Discord REST budget: who is alive, and since when."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class Sharer:
    """One live process: its lease owner ID and when (Unix ms) it first announced itself."""

    owner: str
    joined_at: int


class RestSharers:
    """A row per process, renewed by `beat`; a row not renewed within `ttl_ms` is no longer counted."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def beat(self, owner: str, now_ms: int, ttl_ms: int) -> list[Sharer]:
        """Renew `owner`'s row (made on its first beat), forget the silent ones, return those alive."""
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO rest_sharers (owner, joined_at, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at",
                (owner, now_ms, now_ms),
            )
            await self._db.execute("DELETE FROM rest_sharers WHERE seen_at < ?", (now_ms - ttl_ms,))
            rows = await self._db.fetch_all("SELECT owner, joined_at FROM rest_sharers ORDER BY joined_at, owner")
        return [Sharer(str(row[0]), int(row[1])) for row in rows]

    async def leave(self, owner: str) -> None:
        """A process that sends no more requests gives its share back at once."""
        await self._db.execute("DELETE FROM rest_sharers WHERE owner = ?", (owner,))
