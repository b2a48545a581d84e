"""What a job's progress message shows at one moment, as plain data: no Discord, no rendering."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from bot.store import Job, Shown, Turn


class Phase(StrEnum):
    """What the person watching the message is waiting for."""

    QUEUED = "queued"  # in the bot's own line, behind its concurrency limits
    WAITING = "waiting"  # accepted by the video service, not generating yet
    GENERATING = "generating"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (Phase.FINISHED, Phase.FAILED, Phase.CANCELLED)


@dataclass(frozen=True, slots=True)
class ProgressState:
    """Everything the progress message shows at one moment."""

    job_id: int
    phase: Phase
    prompt: str
    model: str
    orientation: str
    duration: int | None
    started_at: datetime
    task_id: str | None = None
    progress: int | None = None
    queue_position: int | None = None
    queue_reason: str | None = None
    retry: tuple[int, int] | None = None  # (attempt, of) while the service is not answering
    finished_at: datetime | None = None
    error: str | None = None
    cancelled_by: int | None = None
    preview_url: str | None = None
    video_url: str | None = None
    video_attached: bool = False  # the mp4 is uploaded with the message (Discord plays it inline)
    attached_preview: str | None = None  # filename when the preview is uploaded with the message
    too_large_limit: int | None = None  # bytes; set when the video could not be attached
    reencoded_for: int | None = None  # bytes; the attached video is a re-encode made to fit this limit
    fit_failed: bool = False  # too large even re-encoded; without too_large_limit: the video could not be prepared
    fitting_for: int | None = None  # bytes; a re-encode for this limit is under way (before the final state)
    link_gone: bool = False  # Refresh link found that the vendor no longer has the video
    deleted_by: int | None = None  # the video was deleted by its requester or a moderator
    remix_number: int | None = None  # "Remixing video 2 of this thread"
    trimmed_to: int | None = None  # history was cut to the first prompt and this many turns
    quota_note: str | None = None  # e.g. "3 of 5 left today"
    service_note: str | None = None  # the service made something else than asked, e.g. portrait for landscape
    button_key: str | None = None  # the job's key, in its buttons' custom IDs (None: a job made before keys)


def progress_state(job: Job, **changes: Any) -> ProgressState:
    """What a job's progress message shows, from its record; `changes` override fields."""
    base = ProgressState(
        job_id=job.id,
        phase=Phase.QUEUED,
        prompt=job.params.prompt,
        model=job.model,
        orientation=job.params.orientation,
        duration=job.params.duration,
        started_at=job.started_at or job.created_at,
        task_id=job.task_id,
        progress=job.progress,
        quota_note=job.quota_note,
        remix_number=job.remix_number,
        button_key=job.button_key,
    )
    return dataclasses.replace(base, **changes) if changes else base


def finished_state(job: Job, turn: Turn) -> ProgressState:
    """A finished video's message as it was shown, from its records (for Refresh link and Delete)."""
    shown = job.shown
    return progress_state(
        job, phase=Phase.FINISHED, progress=100, finished_at=job.finished_at, video_url=turn.video_url,
        preview_url=turn.preview_url, video_attached=shown.video_attached, attached_preview=shown.attached_preview,
        reencoded_for=shown.reencoded_for, too_large_limit=shown.too_large_limit, fit_failed=shown.fit_failed,
        trimmed_to=shown.trimmed_to, link_gone=shown.link_gone, service_note=shown.service_note,
        deleted_by=turn.deleted_by,
    )


def shown_of(state: ProgressState) -> Shown:
    """What of a shown state its records keep (see `finished_state`)."""
    return Shown(
        video_attached=state.video_attached, attached_preview=state.attached_preview,
        reencoded_for=state.reencoded_for, too_large_limit=state.too_large_limit, fit_failed=state.fit_failed,
        trimmed_to=state.trimmed_to, link_gone=state.link_gone, service_note=state.service_note,
    )


DeliveredTo = Literal["message", "thread", "channel"]


@dataclass(frozen=True, slots=True)
class Places:
    """Where a job can speak to its member, most specific first; None where that place never came to be."""

    guild_id: int
    thread_id: int | None = None  # the thread of the progress message
    message_id: int | None = None  # the progress message
    # (channel, message) outside the thread: the post it hangs off, or only the channel where the member
    # asked when the bot stopped before it could post (message None)
    outside: tuple[int, int | None] | None = None
    upload_limit: int | None = None  # bytes per file there, as the job's own interaction reported it


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a final state was shown, as Discord accepted it; `to` is None when it was shown nowhere."""

    to: DeliveredTo | None
    channel_id: int | None = None
    message_id: int | None = None
    reason: str | None = None  # why it was shown nowhere, in words for the record
    state: ProgressState | None = None  # the state as Discord accepted it (with or without its files)

    @property
    def shown(self) -> bool:
        return self.to is not None
