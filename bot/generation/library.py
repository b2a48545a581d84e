"""Rules of the library: who may star a video or remix it from /videos, what moderators may turn off, and which
videos the best-of channel gets.

Every click is untrusted: a star or a Remix names a job by its custom ID, which a modified client can make up.
So each one is checked again here against the server it came from, the video's state (finished, not deleted)
and the channels the clicking member can see, which the Discord side passes in as `channel_ids`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.core.errors import BotError
from bot.store import LibrarySettings, LibraryVideo, Store

STARS_OFF: Final = "Moderators turned stars off in this server."
LIBRARY_OFF: Final = "Moderators turned the video library off in this server."
GONE: Final = "This video was deleted or isn't finished, so it isn't in the library."
CANT_SEE: Final = "You can't see the channel this video was made in."
BEST_OF_WINDOW: Final = timedelta(days=7)  # "the week's" most-starred: finished in the last seven days
BEST_OF_PER_LOOK: Final = 5  # reposts per server per look, most-starred first: a burst never floods the channel


@dataclass(frozen=True, slots=True)
class LibraryEdit:
    """A moderator's change to the library settings; None leaves a setting as it is."""

    library_enabled: bool | None = None
    stars_enabled: bool | None = None
    best_of_channel_id: int | None = None
    best_of_off: bool | None = None
    best_of_stars: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in asdict(self).values())


class Library:
    """Stars, access checks for library items, the library's settings, and best-of picks."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def toggle_star(self, guild_id: int, job_id: int, user_id: int, channel_ids: Collection[int]) -> int:
        """Star the video for the member, or take the star back; returns the video's stars now."""
        if not (await self._store.library.settings(guild_id)).stars_enabled:
            raise BotError(STARS_OFF)
        await self.visible_video(guild_id, job_id, channel_ids)
        _, count = await self._store.library.toggle_star(guild_id, job_id, user_id)
        return count

    async def stars(self, guild_id: int, job_id: int) -> int | None:
        """The video's stars, or None when the server turned stars off (no ⭐ button is drawn then)."""
        if not (await self._store.library.settings(guild_id)).stars_enabled:
            return None
        return await self._store.library.stars(job_id)

    async def remixable(self, guild_id: int, job_id: int, channel_ids: Collection[int]) -> LibraryVideo:
        """A video a member may remix from /videos: the library is on, and they can see it."""
        if not (await self._store.library.settings(guild_id)).library_enabled:
            raise BotError(LIBRARY_OFF)
        return await self.visible_video(guild_id, job_id, channel_ids)

    async def visible_video(self, guild_id: int, job_id: int, channel_ids: Collection[int]) -> LibraryVideo:
        """The finished, not deleted video of this server, made in a channel the member can see."""
        video = await self._store.library.video(guild_id, job_id)
        if video is None:
            raise BotError(GONE)
        if video.home_channel_id not in channel_ids:
            raise BotError(CANT_SEE)
        return video

    # --- settings ---------------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> LibrarySettings:
        """The server's library settings."""
        return await self._store.library.settings(guild_id)

    async def edit_settings(
        self, guild_id: int, actor_id: int, edit: LibraryEdit
    ) -> tuple[LibrarySettings, LibrarySettings]:
        """A moderator's change, audit-logged with before and after; returns (before, after)."""
        changes: dict[str, object] = {}
        for name in ("library_enabled", "stars_enabled", "best_of_stars", "best_of_channel_id"):
            value = getattr(edit, name)
            if value is not None:
                changes[name] = value
        if edit.best_of_off:
            changes["best_of_channel_id"] = None
        async with self._store.transaction():
            before, after = await self._store.library.update_settings(guild_id, actor_id, **changes)
            if before != after:
                await self._store.audit.record(
                    guild_id=guild_id, actor_id=actor_id, action="library.settings",
                    details={"before": _public(before), "after": _public(after)},
                )
        return before, after

    # --- best of ----------------------------------------------------------------------------------

    async def best_of_due(
        self, settings: LibrarySettings, public_channel_ids: Collection[int], now: datetime
    ) -> list[LibraryVideo]:
        """The server's videos of the last seven days that reached its star threshold and were never reposted,
        most-starred first. Only videos made where everyone in the server can look are reposted: the best-of
        channel must not show a private channel's video to people who cannot open that channel."""
        if not settings.stars_enabled or settings.best_of_channel_id is None:
            return []
        return await self._store.library.best_of_candidates(
            settings.guild_id, public_channel_ids, since=now - BEST_OF_WINDOW, min_stars=settings.best_of_stars,
            limit=BEST_OF_PER_LOOK,
        )

    async def servers_with_best_of(self) -> list[LibrarySettings]:
        """Every server with a best-of channel and stars on."""
        return list(await self._store.library.with_best_of())

    async def claim_repost(self, video: LibraryVideo, channel_id: int, guild_id: int) -> bool:
        """Reserve the video's one repost (False: already reposted, or another process is posting it)."""
        return await self._store.library.claim_best_of(guild_id, video.job_id, channel_id)

    async def reposted(self, job_id: int, message_id: int) -> None:
        """Discord accepted the repost."""
        await self._store.library.best_of_posted(job_id, message_id)

    async def repost_failed(self, job_id: int, *, retry: bool) -> None:
        """The repost was refused: give the claim back if a later look may succeed, else keep it (posted never)."""
        if retry:
            await self._store.library.release_best_of(job_id)


def _public(settings: LibrarySettings) -> dict[str, object]:
    return {k: v for k, v in asdict(settings).items() if k != "guild_id"}
