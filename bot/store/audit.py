"""The audit log: every moderator change, with who, what, before and after."""

from __future__ import annotations

import json
from typing import Any

from bot.store.database import Database, at
from bot.store.models import AuditEntry


class AuditLog:
    """Append-only record of changes made inside Discord."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, *, guild_id: int, actor_id: int, action: str, details: dict[str, Any]) -> AuditEntry:
        """Write one entry; `details` usually holds target, before and after."""
        entry_id = await self._db.insert(
            "INSERT INTO audit_log (guild_id, actor_id, action, details, created_at) VALUES (?, ?, ?, ?, ?)",
            (guild_id, actor_id, action, json.dumps(details, ensure_ascii=False, sort_keys=True), self._db.now()),
        )
        return (await self._entries("WHERE id = ?", (entry_id,)))[0]

    async def recent(self, guild_id: int, limit: int = 50) -> list[AuditEntry]:
        """A server's newest entries first."""
        return await self._entries("WHERE guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit))

    async def _entries(self, where: str, params: tuple[Any, ...]) -> list[AuditEntry]:
        rows = await self._db.fetch_all(f"SELECT * FROM audit_log {where}", params)
        return [
            AuditEntry(
                id=row["id"],
                guild_id=row["guild_id"],
                actor_id=row["actor_id"],
                action=row["action"],
                details=json.loads(row["details"]),
                created_at=at(row["created_at"]),
            )
            for row in rows
        ]
