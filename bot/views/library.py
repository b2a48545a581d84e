"""/videos: a page of a server's finished videos, as one member may see them.

Which channels the member can see is decided by the Discord side (from the server's channels and their
overwrites) and comes in as `channel_ids`: only videos made in those channels are counted and listed, so a
page never holds, and a page count never betrays, a video from a channel the member cannot open.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.errors import BotError
from bot.store import LibrarySettings, LibraryVideo, Store

PAGE_SIZE: Final = 10
LIBRARY_OFF: Final = "Moderators turned the video library off in this server."
NOT_YOURS: Final = "This list belongs to someone else. Use /videos to see your own."

Whose = Literal["mine", "server", "member"]


@dataclass(frozen=True, slots=True)
class LibraryQuery:
    """What a page shows: whose videos (the asking member's, the server's, or one member's), of which model,
    which page (from 0)."""

    whose: Whose
    user_id: int | None = None  # the member for "mine" and "member"
    model: str | None = None
    page: int = 0


@dataclass(frozen=True, slots=True)
class LibraryPage:
    """One page of videos, and what the buttons around it need."""

    query: LibraryQuery
    videos: list[LibraryVideo]
    total: int
    stars_shown: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def has_previous(self) -> bool:
        return self.query.page > 0

    @property
    def has_next(self) -> bool:
        return self.query.page + 1 < self.pages


class LibraryView:
    """Reads pages of /videos: a read, never a change."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def settings(self, guild_id: int) -> LibrarySettings:
        """The server's library settings."""
        return await self._store.library.settings(guild_id)

    async def page(
        self, guild_id: int, viewer_id: int, channel_ids: Collection[int], query: LibraryQuery
    ) -> LibraryPage:
        """The page `query` asks for, as `viewer_id` (who can see `channel_ids`) may see it. A page past the
        end shows the last one; "mine" is only ever the viewer's own list."""
        settings = await self._store.library.settings(guild_id)
        if not settings.library_enabled:
            raise BotError(LIBRARY_OFF)
        if query.whose == "mine" and query.user_id != viewer_id:
            raise BotError(NOT_YOURS)
        user = query.user_id if query.whose in ("mine", "member") else None
        library = self._store.library
        videos, total = await library.page(
            guild_id, channel_ids, user_id=user, model=query.model, offset=query.page * PAGE_SIZE, limit=PAGE_SIZE
        )
        last = max(0, -(-total // PAGE_SIZE) - 1)
        if query.page > last:  # the list shrank since the buttons were drawn (or the page was made up)
            query = LibraryQuery(query.whose, query.user_id, query.model, last)
            videos, total = await library.page(
                guild_id, channel_ids, user_id=user, model=query.model, offset=last * PAGE_SIZE, limit=PAGE_SIZE
            )
        return LibraryPage(query, videos, total, stars_shown=settings.stars_enabled)
