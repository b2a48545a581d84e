"""How often Refresh link may ask the vendor: each ask spends the bot's API key, and anyone may press it.

A self-bot pressing Refresh in a loop must not turn the bot into a request pump against the vendor. So a video is
asked about at most once a minute (recorded in its job row: it holds across restarts and processes), and one
member may make the bot ask at most every 20 seconds, whichever video they press it under. In between, Refresh
answers from the last result and says when it can be asked again.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Final

from bot.store import Store

__all__ = ["MEMBER_INTERVAL", "VIDEO_INTERVAL", "RefreshPacer"]

VIDEO_INTERVAL: Final = timedelta(seconds=60)
MEMBER_INTERVAL: Final = timedelta(seconds=20)
MEMBERS_KEPT: Final = 10_000  # members remembered at once; the oldest asks are forgotten first


class RefreshPacer:
    """Decides whether a Refresh link press may ask the vendor now."""

    def __init__(
        self,
        store: Store,
        *,
        per_video: timedelta = VIDEO_INTERVAL,
        per_member: timedelta = MEMBER_INTERVAL,
        members_kept: int = MEMBERS_KEPT,
    ) -> None:
        self._store = store
        self._per_video = per_video
        self._per_member = per_member
        self._members_kept = members_kept
        # Per process: a server's interactions all reach the process that runs its shard.
        self._members: OrderedDict[int, datetime] = OrderedDict()

    async def claim(self, job_id: int, member_id: int) -> datetime | None:
        """None: ask now (the ask is recorded). Otherwise when the next ask is allowed, and nothing is recorded."""
        now = self._store.db.clock()
        last = self._members.get(member_id)
        if last is not None and now - last < self._per_member:
            return last + self._per_member
        if not await self._store.jobs.claim_link_check(job_id, not_since=now - self._per_video):
            checked = (await self._store.jobs.get(job_id)).link_checked_at or now
            return checked + self._per_video
        self._members[member_id] = now
        self._members.move_to_end(member_id)
        while len(self._members) > self._members_kept:
            self._members.popitem(last=False)
        return None
