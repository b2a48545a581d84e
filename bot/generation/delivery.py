"""DeliveryGuard: a job's end is always shown or recorded as not shown, whatever goes wrong while showing it.

Showing a finished video means fetching, inspecting and maybe re-encoding a file the vendor chose, then
uploading it: the most exposed step of a job. The guard stands between the job's execution and the presenter
and makes every way it can go wrong end the job instead of killing its task:

- an exception while showing a finished video: it is shown again as a link only (nothing fetched), with
  "could not be prepared": the member can reach the video, so it is delivered and charged;
- an exception even then (or while showing a failure): the member is told in one sentence where possible,
  and the job ends as not shown (failed, its units given back), because nothing reachable was shown;
- a process that dies while preparing a video (the machine's OOM killer, a crash) would make every adoption
  try the same file again: each attempt is recorded in the database before it starts, and after
  `MEDIA_ATTEMPTS` the video is shown as a link only, without fetching it again.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Final

from bot.core.tasks import TaskGroup
from bot.generation.state import Delivery, Phase, Places, ProgressState
from bot.store import Store

if TYPE_CHECKING:  # execution.py wraps its presenter in this guard
    from bot.generation.execution import Presenter

__all__ = ["MEDIA_ATTEMPTS", "DeliveryGuard"]

log = logging.getLogger(__name__)

MEDIA_ATTEMPTS: Final = 2  # a restart in the middle of one is no reason to link; a file that killed two is
NOT_SHOWN_MADE: Final = "⚠️ This video was made, but the bot could not show it here, so nothing was charged."
NOT_SHOWN_ENDED: Final = "⚠️ This video ended, but the bot could not show how here; nothing was charged."
_UNSHOWABLE: Final = "the bot could not show it (logged)"


def attempts_key(job_id: int) -> str:
    """Where a finished video's delivery attempts are counted (the bot's own bookkeeping, in app_state)."""
    return f"delivery_attempts:{job_id}"


class DeliveryGuard:
    """A Presenter whose `conclude` never raises (except when cancelled); see the module docstring."""

    def __init__(self, presenter: Presenter, store: Store) -> None:
        self._presenter = presenter
        self._store = store
        self._forgetting = TaskGroup()

    def show(self, places: Places, state: ProgressState) -> None:
        self._presenter.show(places, state)

    async def notify(self, places: Places, text: str) -> Delivery:
        try:
            return await self._presenter.notify(places, text)
        except Exception:
            log.exception("job message could not be sent")
            return Delivery(None, reason=_UNSHOWABLE)

    async def conclude(self, places: Places, state: ProgressState) -> Delivery:
        counted = with_media = state.phase is Phase.FINISHED and bool(state.video_url) and not state.fit_failed
        if counted and await self._attempt(state.job_id) > MEDIA_ATTEMPTS:
            log.warning("job %s: preparing its video was tried %d times without ending; linking it",
                        state.job_id, MEDIA_ATTEMPTS)
            state, with_media = _link_only(state), False
        try:
            delivery = await self._presenter.conclude(places, state)
        except Exception:
            log.exception("job %s: showing its end failed", state.job_id)
            delivery = await self._fallback(places, state, with_media)
        if counted:  # it ended, one way or the other: nothing left to count. In the background: the job's end is
            # recorded right after this returns, and its buttons answer "not finished" until it is.
            self._forgetting.spawn(self._forget(state.job_id), f"forget-delivery-attempts-{state.job_id}")
        return delivery

    async def close(self) -> None:
        """Stop forgetting counts (one left behind belongs to a job that ended: it is never read again)."""
        await self._forgetting.close()

    async def _fallback(self, places: Places, state: ProgressState, with_media: bool) -> Delivery:
        if with_media:
            try:
                return await self._presenter.conclude(places, _link_only(state))
            except Exception:
                log.exception("job %s: showing it as a link failed too", state.job_id)
        made = state.phase is Phase.FINISHED
        told = await self.notify(places, NOT_SHOWN_MADE if made else NOT_SHOWN_ENDED)
        # Not shown, whatever the note did: a video the member cannot reach from its message is not charged.
        return Delivery(None, reason=_UNSHOWABLE if told.shown else f"{_UNSHOWABLE}; {told.reason}")

    async def _attempt(self, job_id: int) -> int:
        """Record one more attempt at preparing the job's video, before it starts; return how many there were."""
        key = attempts_key(job_id)
        try:
            tried = int(await self._store.state.get(key) or 0) + 1
            await self._store.state.put(key, str(tried))
        except Exception:  # the count protects against loops; a database hiccup must not stop the delivery
            log.exception("job %s: its delivery attempt could not be recorded", job_id)
            return 1
        return tried

    async def _forget(self, job_id: int) -> None:
        try:
            await self._store.state.delete(attempts_key(job_id))
        except Exception:
            log.exception("job %s: its delivery attempts could not be forgotten", job_id)


def _link_only(state: ProgressState) -> ProgressState:
    """The finished state shown with its link and no file: "the video could not be prepared"."""
    return dataclasses.replace(state, fit_failed=True, video_attached=False, reencoded_for=None,
                               too_large_limit=None, attached_preview=None)
