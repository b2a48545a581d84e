"""Rules for a video after it was shown: a fresh link when the vendor's expires, and deletion.

Who may delete a video and what deleting does to the conversation live here, not in the cogs. Both work
from the records alone, so they behave the same after a restart: the message is shown again from
`finished_state`, exactly as it was delivered, with only the link (or the deletion) changed.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.core.catalog import ProviderProfile
from bot.core.errors import BotError
from bot.generation.gate import UNRECOGNISED, JobReference, Origin, check_interaction
from bot.generation.pacing import RefreshPacer
from bot.generation.recovery import recovery_sources
from bot.generation.state import ProgressState, finished_state
from bot.quotas.keys import KeyLookup
from bot.quotas.policy import Member
from bot.store import Job, JobStatus, Store, Turn
from bot.videoapi import (
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    TaskStatus,
    VideoAPI,
    VideoAPIError,
    parse_transcript,
    paying_with,
)

__all__ = ["FinishedVideos", "Refreshed"]

log = logging.getLogger(__name__)

NOT_FINISHED: Final = "This video hasn't finished, so there is nothing to do with it yet."
DELETED: Final = "This video was deleted."
ONLY_OWNER_DELETES: Final = "Only the person who asked for this video or a moderator can delete it."
NO_TASK: Final = "I have no task ID for this video, so I can't ask the video service for a fresh link."
NOT_OFFERED: Final = "The bot no longer offers this video's model, so it can't ask for a fresh link."
NOWHERE_TO_ASK: Final = "The video service offers no way to look this video up again, so its link can't be renewed."
NOT_ANSWERING: Final = "The video service isn't answering right now; try Refresh link again in a minute."
NO_ANSWER: Final = "The video service didn't give a fresh link this time; try again in a minute."


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What Refresh link found: the message as it reads now, and whether the link works again."""

    state: ProgressState
    renewed: bool  # False: the vendor no longer has the video, and the message now says so
    paced_until: datetime | None = None  # set: the vendor was not asked; this is the last result, until then


class FinishedVideos:
    """Refresh link and Delete, for anyone who may."""

    def __init__(
        self,
        store: Store,
        api: VideoAPI,
        provider: ProviderProfile,
        *,
        vendor_key: KeyLookup | None = None,
        pacer: RefreshPacer | None = None,
    ) -> None:
        self._store = store
        self._api = api
        self._provider = provider
        self._vendor_key = vendor_key  # a server paying with its own key asks about its videos with that key
        self._pacer = pacer or RefreshPacer(store)

    async def refresh_link(self, reference: JobReference, origin: Origin, member_id: int) -> Refreshed:
        """Ask the vendor again for the video's link (signed links expire; a new one does not), where its
        provider says a finished task can be found: the Raw Data page its answer linked to, the task endpoints.

        When the vendor no longer has the video, that is recorded and shown instead of a dead link. Asking is
        paced per video and per member (each ask spends the bot's key): in between, the answer is the last
        result, with when it can be asked again.
        """
        job, turn = await self._video(reference, origin)
        paced_until = await self._pacer.claim(job.id, member_id)
        if paced_until is not None:
            return Refreshed(finished_state(job, turn), renewed=False, paced_until=paced_until)
        key = await self._vendor_key(job.guild_id) if self._vendor_key is not None else None
        with paying_with(key):
            status = await self._ask(job, turn)
        if status is None:
            return await self._gone(job, turn)
        if status.state == "completed" and status.video_url:
            async with self._store.transaction():
                await self._store.conversations.set_video_link(turn.id, status.video_url, status.preview_url)
                if job.shown.link_gone:  # it came back
                    await self._store.jobs.record_shown(job.id, dataclasses.replace(job.shown, link_gone=False))
            return Refreshed(await self._state(job.id, turn.id), renewed=True)
        if status.state in ("completed", "failed"):  # finished without a link, or expired on the vendor's side
            return await self._gone(job, turn)
        raise BotError(NO_ANSWER)

    async def delete(self, reference: JobReference, origin: Origin, actor: Member) -> ProgressState:
        """Delete a finished video: only its requester or a moderator may. The turn can no longer be remixed
        (replies to it, its Remix button and later plain remixes skip it) and the deletion is audit-logged.
        Returns the message as it reads now: the video is gone from it."""
        job, turn = await self._video(reference, origin)
        if actor.user_id != job.user_id and not actor.is_moderator:
            raise BotError(ONLY_OWNER_DELETES)
        async with self._store.transaction():
            if not await self._store.conversations.mark_deleted(turn.id, actor.user_id):
                raise BotError(DELETED)
            await self._store.audit.record(
                guild_id=job.guild_id, actor_id=actor.user_id, action="video.delete",
                details={
                    "target": {"job": job.id, "turn": turn.id, "requester": job.user_id},
                    "before": {"video_url": turn.video_url, "thread": job.channel_id, "message": job.message_id},
                    "after": None,
                },
            )
        return await self._state(job.id, turn.id)

    async def _ask(self, job: Job, turn: Turn) -> TaskStatus | None:
        """The task as the first source that knows it tells; None when every source says it is not there."""
        task_id = turn.task_id or job.task_id
        if task_id is None:
            raise BotError(NO_TASK)
        if not self._provider.has_model(job.model):
            raise BotError(NOT_OFFERED)
        raw_link = parse_transcript(turn.content, member_words=(job.params.prompt,)).raw_data_url
        sources = recovery_sources(self._api, self._provider, self._provider.model(job.model), task_id, raw_link)
        if not sources:
            raise BotError(NOWHERE_TO_ASK)
        unanswered = 0
        for source in sources:
            try:
                return await source.fetch()
            except RequestRejected as error:
                if error.status not in (404, 410):
                    raise BotError(error.user_message) from error
                log.info("job %s: %s no longer knows task %s", job.id, source.name, task_id)
            except (ServiceUnavailable, RateLimited) as error:
                log.info("job %s: %s did not answer about task %s (%s)", job.id, source.name, task_id, error)
                unanswered += 1
            except VideoAPIError as error:
                raise BotError(error.user_message) from error
        if unanswered:  # an outage is not an answer: say so, and change nothing
            raise BotError(NOT_ANSWERING)
        return None

    async def _gone(self, job: Job, turn: Turn) -> Refreshed:
        await self._store.jobs.record_shown(job.id, dataclasses.replace(job.shown, link_gone=True))
        return Refreshed(await self._state(job.id, turn.id), renewed=False)

    async def _state(self, job_id: int, turn_id: int) -> ProgressState:
        job = await self._store.jobs.get(job_id)
        return finished_state(job, await self._store.conversations.turn(turn_id))

    async def _video(self, reference: JobReference, origin: Origin) -> tuple[Job, Turn]:
        """A finished, not deleted video's job and turn, or the sentence why there is none; only for an
        interaction that belongs to it (bot.generation.gate)."""
        try:
            job = await self._store.jobs.get(reference.job_id)
        except LookupError:  # a guessed ID: the same sentence as a wrong key
            raise BotError(UNRECOGNISED) from None
        check_interaction(job, reference, origin)
        if job.status is not JobStatus.SUCCEEDED or job.result_turn_id is None:
            raise BotError(NOT_FINISHED)
        turn = await self._store.conversations.turn(job.result_turn_id)
        if turn.deleted:
            raise BotError(DELETED)
        return job, turn
