"""The library's data: finished videos as /videos lists them, members' stars, best-of reposts, and what each
server chose for them. Deleted videos (their turn marked deleted) and unfinished jobs are never listed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Final

from bot.store.database import Database, Row, at, to_epoch
from bot.store.models import JobParams

DEFAULT_BEST_OF_STARS: Final = 3

# One finished, not deleted video: its job, its thread's home channel and its turn.
_FROM = (
    " FROM jobs j JOIN conversations c ON c.id = j.conversation_id JOIN turns t ON t.id = j.result_turn_id"
    " WHERE j.guild_id = ? AND j.status = 'succeeded' AND t.deleted_by IS NULL"
)
_COLUMNS = (
    "SELECT j.id, j.user_id, j.model, j.params, j.finished_at, j.channel_id AS thread_id, j.message_id,"
    " j.video_attached, j.link_gone, c.channel_id AS home_channel_id, c.thread_id AS conversation_thread_id,"
    " t.video_url, t.preview_url,"
    " (SELECT COUNT(*) FROM video_stars s WHERE s.job_id = j.id) AS stars"
)


@dataclass(frozen=True, slots=True)
class LibraryVideo:
    """A finished video as the library shows it."""

    job_id: int
    user_id: int
    model: str
    prompt: str
    finished_at: datetime
    thread_id: int | None  # where its message is (the thread, or wherever it was delivered)
    message_id: int | None  # the message showing it
    home_channel_id: int  # the channel its thread hangs off: who may see it is decided there
    conversation_thread_id: int  # the bot thread it belongs to (where a remix of it goes)
    video_attached: bool
    link_gone: bool
    video_url: str | None  # the vendor's link
    preview_url: str | None  # the vendor's picture
    stars: int


@dataclass(frozen=True, slots=True)
class LibrarySettings:
    """A server's choices for /videos and ⭐; a server that never chose gets these defaults."""

    guild_id: int
    library_enabled: bool = True
    stars_enabled: bool = True
    best_of_channel_id: int | None = None
    best_of_stars: int = DEFAULT_BEST_OF_STARS


_SETTING_COLUMNS = tuple(f.name for f in fields(LibrarySettings) if f.name != "guild_id")


def _video(row: Row) -> LibraryVideo:
    return LibraryVideo(
        job_id=row["id"], user_id=row["user_id"], model=row["model"], prompt=JobParams.from_json(row["params"]).prompt,
        finished_at=at(row["finished_at"]), thread_id=row["thread_id"], message_id=row["message_id"],
        home_channel_id=row["home_channel_id"], conversation_thread_id=row["conversation_thread_id"],
        video_attached=bool(row["video_attached"]),
        link_gone=bool(row["link_gone"]), video_url=row["video_url"], preview_url=row["preview_url"],
        stars=int(row["stars"]),
    )


def _in(column: str, values: Collection[int]) -> str:
    return f" AND {column} IN ({', '.join('?' for _ in values)})"


class LibraryRepo:
    """Reads for /videos, stars, best-of claims and the library's settings."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- videos -----------------------------------------------------------------------------------

    async def page(
        self, guild_id: int, channel_ids: Collection[int], *, user_id: int | None = None, model: str | None = None,
        offset: int = 0, limit: int = 10,
    ) -> tuple[list[LibraryVideo], int]:
        """Finished videos made in `channel_ids` of a server, newest first: `limit` from `offset`, and how many
        there are in all. Only those channels are searched, so what a member may not see is never counted."""
        if not channel_ids:
            return [], 0
        where = _FROM + _in("c.channel_id", channel_ids)
        params: list[object] = [guild_id, *channel_ids]
        if user_id is not None:
            where, params = where + " AND j.user_id = ?", [*params, user_id]
        if model is not None:
            where, params = where + " AND j.model = ?", [*params, model]
        total = int(await self._db.fetch_value("SELECT COUNT(*)" + where, params))
        rows = await self._db.fetch_all(
            _COLUMNS + where + " ORDER BY j.finished_at DESC, j.id DESC LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [_video(r) for r in rows], total

    async def video(self, guild_id: int, job_id: int) -> LibraryVideo | None:
        """One finished, not deleted video of the server, or None."""
        row = await self._db.fetch_one(_COLUMNS + _FROM + " AND j.id = ?", (guild_id, job_id))
        return None if row is None else _video(row)

    async def best_of_candidates(
        self, guild_id: int, channel_ids: Collection[int], *, since: datetime, min_stars: int, limit: int
    ) -> list[LibraryVideo]:
        """Videos finished since `since` in `channel_ids` with at least `min_stars` stars and not reposted yet,
        most-starred first (the older first among equals, so the order never changes between two looks)."""
        if not channel_ids:
            return []
        rows = await self._db.fetch_all(
            f"SELECT * FROM ({_COLUMNS}{_FROM}{_in('c.channel_id', channel_ids)} AND j.finished_at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM best_of_posts b WHERE b.job_id = j.id)) AS v"
            " WHERE v.stars >= ? ORDER BY v.stars DESC, v.finished_at, v.id LIMIT ?",
            [guild_id, *channel_ids, to_epoch(since), min_stars, limit],
        )
        return [_video(r) for r in rows]

    # --- stars ------------------------------------------------------------------------------------

    async def toggle_star(self, guild_id: int, job_id: int, user_id: int) -> tuple[bool, int]:
        """Star the video for the member, or take their star back; returns (starred now, the video's stars)."""
        async with self._db.transaction():
            await self._db.lock("star", job_id, user_id)
            removed = await self._db.execute(
                "DELETE FROM video_stars WHERE job_id = ? AND user_id = ?", (job_id, user_id)
            )
            if not removed:
                await self._db.execute(
                    "INSERT INTO video_stars (job_id, user_id, guild_id, starred_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (job_id, user_id, guild_id, self._db.now()),
                )
            return not removed, await self.stars(job_id)

    async def stars(self, job_id: int) -> int:
        """How many members starred the video."""
        return int(await self._db.fetch_value("SELECT COUNT(*) FROM video_stars WHERE job_id = ?", (job_id,)))

    # --- best-of reposts --------------------------------------------------------------------------

    async def claim_best_of(self, guild_id: int, job_id: int, channel_id: int) -> bool:
        """Reserve the video's one repost; False when it was already claimed (by this or another process)."""
        return await self._db.execute(
            "INSERT INTO best_of_posts (job_id, guild_id, channel_id, posted_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (job_id, guild_id, channel_id, self._db.now()),
        ) == 1

    async def best_of_posted(self, job_id: int, message_id: int) -> None:
        """Discord accepted the repost."""
        await self._db.execute("UPDATE best_of_posts SET message_id = ? WHERE job_id = ?", (message_id, job_id))

    async def release_best_of(self, job_id: int) -> None:
        """The repost failed for a reason that may pass: a later look may try again."""
        await self._db.execute("DELETE FROM best_of_posts WHERE job_id = ? AND message_id IS NULL", (job_id,))

    async def best_of_message(self, job_id: int) -> int | None:
        """The repost's message, once posted."""
        value = await self._db.fetch_value("SELECT message_id FROM best_of_posts WHERE job_id = ?", (job_id,))
        return None if value is None else int(value)

    # --- settings ---------------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> LibrarySettings:
        """The server's library settings, defaults filled in."""
        row = await self._db.fetch_one("SELECT * FROM library_settings WHERE guild_id = ?", (guild_id,))
        return LibrarySettings(guild_id) if row is None else _settings(row)

    async def update_settings(
        self, guild_id: int, actor_id: int, **changes: Any
    ) -> tuple[LibrarySettings, LibrarySettings]:
        """Change some settings; returns (before, after)."""
        unknown = set(changes) - set(_SETTING_COLUMNS)
        if unknown:
            raise TypeError(f"unknown library settings: {', '.join(sorted(unknown))}")
        async with self._db.transaction():
            await self._db.lock("library-settings", guild_id)
            before = await self.settings(guild_id)
            after = replace(before, **changes)
            values = [getattr(after, name) for name in _SETTING_COLUMNS]
            await self._db.execute(
                f"INSERT INTO library_settings (guild_id, {', '.join(_SETTING_COLUMNS)}, updated_by, updated_at)"
                f" VALUES (?, {', '.join('?' for _ in _SETTING_COLUMNS)}, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                f" {', '.join(f'{n} = excluded.{n}' for n in _SETTING_COLUMNS)},"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (guild_id, *values, actor_id, self._db.now()),
            )
            return before, after

    async def with_best_of(self) -> Sequence[LibrarySettings]:
        """Every server with a best-of channel and stars on."""
        rows = await self._db.fetch_all(
            "SELECT * FROM library_settings WHERE best_of_channel_id IS NOT NULL AND stars_enabled = 1"
            " ORDER BY guild_id"
        )
        return [_settings(r) for r in rows]


def _settings(row: Row) -> LibrarySettings:
    return LibrarySettings(
        guild_id=row["guild_id"], library_enabled=bool(row["library_enabled"]),
        stars_enabled=bool(row["stars_enabled"]), best_of_channel_id=row["best_of_channel_id"],
        best_of_stars=int(row["best_of_stars"]),
    )
