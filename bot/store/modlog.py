"""Which moderator-log message shows which generation."""

from __future__ import annotations

from bot.store.database import Database
from bot.store.models import ModlogPost


class ModlogPosts:
    """Remembered across restarts, so a job's line is edited when it ends rather than posted twice."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, job_id: int, channel_id: int, message_id: int) -> None:
        """Record the message that shows a job (replacing any earlier one)."""
        await self._db.execute(
            "INSERT INTO modlog_posts (job_id, channel_id, message_id) VALUES (?, ?, ?)"
            " ON CONFLICT (job_id) DO UPDATE SET channel_id = excluded.channel_id, message_id = excluded.message_id",
            (job_id, channel_id, message_id),
        )

    async def of_job(self, job_id: int) -> ModlogPost | None:
        """The message that shows a job, if one was posted."""
        row = await self._db.fetch_one("SELECT * FROM modlog_posts WHERE job_id = ?", (job_id,))
        return None if row is None else ModlogPost(row["job_id"], row["channel_id"], row["message_id"])
