"""Conversations (one per bot thread) and their turns, which form a tree."""

from __future__ import annotations

from bot.store.database import Database, Row, at, from_epoch
from bot.store.models import Conversation, Role, Turn


def _conversation(row: Row) -> Conversation:
    return Conversation(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        thread_id=row["thread_id"],
        owner_id=row["owner_id"],
        model=row["model"],
        created_at=at(row["created_at"]),
    )


def _turn(row: Row) -> Turn:
    return Turn(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        discord_message_id=row["discord_message_id"],
        author_id=row["author_id"],
        task_id=row["task_id"],
        sid=row["sid"],
        video_url=row["video_url"],
        preview_url=row["preview_url"],
        created_at=at(row["created_at"]),
        deleted_by=row["deleted_by"],
        deleted_at=from_epoch(row["deleted_at"]),
    )


class Conversations:
    """Threads the bot made, and the turn tree inside each."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, *, guild_id: int, channel_id: int, thread_id: int, owner_id: int, model: str
    ) -> Conversation:
        """Record a new bot thread."""
        conversation_id = await self._db.insert(
            "INSERT INTO conversations (guild_id, channel_id, thread_id, owner_id, model, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, channel_id, thread_id, owner_id, model, self._db.now()),
        )
        return await self.get(conversation_id)

    async def get(self, conversation_id: int) -> Conversation:
        """The conversation with this id (it must exist)."""
        row = await self._db.fetch_one("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if row is None:
            raise LookupError(f"no conversation {conversation_id}")
        return _conversation(row)

    async def by_thread(self, thread_id: int) -> Conversation | None:
        """The conversation living in a Discord thread, if the bot made that thread."""
        row = await self._db.fetch_one("SELECT * FROM conversations WHERE thread_id = ?", (thread_id,))
        return None if row is None else _conversation(row)

    async def claim_intent_hint(self, conversation_id: int) -> bool:
        """True the first time only: whether this thread still needs the how-to-remix explanation."""
        changed = await self._db.execute(
            "UPDATE conversations SET intent_hint_sent = 1 WHERE id = ? AND intent_hint_sent = 0", (conversation_id,)
        )
        return changed == 1

    async def add_turn(
        self,
        *,
        conversation_id: int,
        parent_id: int | None,
        role: Role,
        content: str,
        discord_message_id: int | None = None,
        author_id: int | None = None,
        task_id: str | None = None,
        sid: str | None = None,
        video_url: str | None = None,
        preview_url: str | None = None,
    ) -> Turn:
        """Append a turn under `parent_id` (None for the first prompt of the thread)."""
        turn_id = await self._db.insert(
            "INSERT INTO turns (conversation_id, parent_id, role, content, discord_message_id, author_id,"
            " task_id, sid, video_url, preview_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id, parent_id, role, content, discord_message_id, author_id,
                task_id, sid, video_url, preview_url, self._db.now(),
            ),
        )
        return await self.turn(turn_id)

    async def move_turn_message(self, turn_id: int, discord_message_id: int) -> None:
        """The message showing a turn changed (its video was shown in a new message): replies follow it."""
        await self._db.execute(
            "UPDATE turns SET discord_message_id = ? WHERE id = ?", (discord_message_id, turn_id)
        )

    async def set_video_link(self, turn_id: int, video_url: str, preview_url: str | None) -> None:
        """The vendor gave a fresh link for a finished video (its old one expires)."""
        await self._db.execute(
            "UPDATE turns SET video_url = ?, preview_url = COALESCE(?, preview_url) WHERE id = ?",
            (video_url, preview_url, turn_id),
        )

    async def mark_deleted(self, turn_id: int, by_user_id: int) -> bool:
        """Mark a video deleted; False if it already was (the first deletion stands)."""
        changed = await self._db.execute(
            "UPDATE turns SET deleted_by = ?, deleted_at = ? WHERE id = ? AND deleted_by IS NULL",
            (by_user_id, self._db.now(), turn_id),
        )
        return changed == 1

    async def turn(self, turn_id: int) -> Turn:
        """The turn with this id (it must exist)."""
        row = await self._db.fetch_one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        if row is None:
            raise LookupError(f"no turn {turn_id}")
        return _turn(row)

    async def turn_by_message(self, discord_message_id: int) -> Turn | None:
        """The turn a Discord message shows, so that a reply to it can find what it answers."""
        row = await self._db.fetch_one(
            "SELECT * FROM turns WHERE discord_message_id = ?", (discord_message_id,)
        )
        return None if row is None else _turn(row)

    async def path(self, turn_id: int) -> list[Turn]:
        """The turns from the thread's first prompt down to `turn_id`, in order: the history to send."""
        rows = await self._db.fetch_all(
            "WITH RECURSIVE path (id, depth) AS ("
            "  SELECT id, 0 FROM turns WHERE id = ?"
            "  UNION ALL"
            "  SELECT turns.parent_id, path.depth + 1 FROM turns JOIN path ON turns.id = path.id"
            "  WHERE turns.parent_id IS NOT NULL"
            ") SELECT turns.* FROM turns JOIN path ON turns.id = path.id ORDER BY path.depth DESC",
            (turn_id,),
        )
        return [_turn(row) for row in rows]

    async def latest_video_turn(self, conversation_id: int) -> Turn | None:
        """The newest assistant turn that carries a video, deleted ones aside: what a plain (non-reply) message
        continues from."""
        row = await self._db.fetch_one(
            "SELECT * FROM turns WHERE conversation_id = ? AND role = 'assistant'"
            " AND video_url IS NOT NULL AND deleted_by IS NULL ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        )
        return None if row is None else _turn(row)

    async def video_number(self, turn: Turn) -> int:
        """Which video of its thread an assistant turn is: 1 for the first."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM turns WHERE conversation_id = ? AND role = 'assistant'"
                " AND video_url IS NOT NULL AND id <= ?",
                (turn.conversation_id, turn.id),
            )
        )

    async def count_videos(self, conversation_id: int) -> int:
        """How many finished videos the thread holds."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM turns WHERE conversation_id = ? AND role = 'assistant' AND video_url IS NOT NULL",
                (conversation_id,),
            )
        )
