"""Typed records the repositories return. Nothing outside `bot/store/` sees a database row."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from bot.core.periods import Period

Role = Literal["user", "assistant"]
Scope = Literal["guild", "role", "user"]


class JobStatus(StrEnum):
    """Where a job is in its life. Only the first two are unfinished."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A bot thread, which is one conversation with the video API."""

    id: int
    guild_id: int
    channel_id: int
    thread_id: int
    owner_id: int
    model: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation; assistant content is the verbatim streamed text."""

    id: int
    conversation_id: int
    parent_id: int | None
    role: Role
    content: str
    discord_message_id: int | None
    author_id: int | None
    task_id: str | None
    sid: str | None
    video_url: str | None
    preview_url: str | None
    created_at: datetime
    deleted_by: int | None = None  # the video was deleted (its requester or a moderator): no longer remixable
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_by is not None


@dataclass(frozen=True, slots=True)
class Shown:
    """What a finished video's message showed beyond its job and turn: the files and notes that went with it."""

    video_attached: bool = False  # the mp4 was uploaded with the message
    attached_preview: str | None = None  # file name of the uploaded image
    reencoded_for: int | None = None  # the upload limit (bytes) the uploaded re-encode was made for
    too_large_limit: int | None = None  # the upload limit (bytes) the video was linked for
    fit_failed: bool = False  # linked although a re-encode was tried; no too_large_limit: it could not be prepared
    trimmed_to: int | None = None  # the history sent was cut to the first prompt and this many turns
    link_gone: bool = False  # the vendor no longer has the video
    service_note: str | None = None  # the service made something else than asked


@dataclass(frozen=True, slots=True)
class JobParams:
    """What was asked for; stored as JSON so a re-roll or a resume can repeat it exactly."""

    prompt: str
    orientation: str = "portrait"
    duration: int | None = None
    size: str | None = None
    image_url: str | None = None
    # Not sent to the vendor: Discord's per-file limit where the video goes, in bytes, as the interaction that
    # asked for it reported (None: none did). Kept with the job so that a restart or another process adopting
    # it fits the video to the same live number.
    upload_limit: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobParams:
        data = json.loads(text)
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True, slots=True)
class Job:
    """One generation, from acceptance to its end."""

    id: int
    guild_id: int
    user_id: int
    conversation_id: int | None
    request_turn_id: int | None
    result_turn_id: int | None
    status: JobStatus
    model: str
    params: JobParams
    task_id: str | None
    progress: int | None
    channel_id: int | None
    message_id: int | None
    error: str | None
    error_kind: str | None
    cancelled_by: int | None
    cost: int
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    remix_number: int | None = None  # "Remixing video 2 of this thread"
    quota_note: str | None = None  # "3 of 5 left today", as it stood at admission
    post_channel_id: int | None = None  # the post the video answers (public post, announcement or reply)
    post_message_id: int | None = None
    cancel_requested_by: int | None = None  # a recorded Cancel, honoured even across a restart
    delivered_to: str | None = None  # where the final state was shown: message | thread | channel
    owner: str | None = None  # the process holding the job's lease (bot/store/leases.py)
    heartbeat_at: datetime | None = None  # when that process last renewed it; None: released or never claimed
    shown: Shown = Shown()  # what its finished message showed, for Refresh link and Delete
    button_key: str | None = None  # random; in its buttons' and form's custom IDs (None: made before keys)
    link_checked_at: datetime | None = None  # when Refresh link last asked the vendor about it
    sending_at: datetime | None = None  # its generation request was let out then (it may have reached the vendor)
    failure_code: str | None = None  # the vendor's code for a refusal or failure (sentinel_block, …)
    vendor_billing: str | None = None  # ended without a video: billed | maybe_billed | not_billed (likely)

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_requested_by is not None


@dataclass(frozen=True, slots=True)
class QuotaPolicy:
    """A limit for the server, a role or a member."""

    id: int
    guild_id: int
    scope: Scope
    target_id: int
    period: Period
    max_units: int
    max_concurrent: int | None
    updated_by: int | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """Units charged for one job; refunded_at is set when the job produced no video."""

    id: int
    guild_id: int
    user_id: int
    job_id: int
    units: int
    created_at: datetime
    refunded_at: datetime | None
    forgiven_at: datetime | None = None  # a moderator reset the member's usage: it no longer counts


@dataclass(frozen=True, slots=True)
class MemberUsage:
    """What one member spent in a period (refunds excluded, forgiven charges included: they were spent)."""

    user_id: int
    units: int
    videos: int


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """A server's spending in a period."""

    units: int
    videos: int
    members: int


@dataclass(frozen=True, slots=True)
class ModlogPost:
    """The moderator-log message that shows one generation."""

    job_id: int
    channel_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Reservation:
    """The outcome of an atomic reserve: whether it was granted and the usage it was judged against."""

    granted: bool
    used: int


CapName = Literal["member", "server", "bot"]


@dataclass(frozen=True, slots=True)
class LeaseStart:
    """The outcome of starting a job under the caps counted in the database."""

    started: bool
    full: CapName | None = None  # the cap that keeps it waiting; None when started or when it is not ours to start


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who changed what, with before and after in `details`."""

    id: int
    guild_id: int
    actor_id: int
    action: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A server's choices; `default()` is what a server that never changed anything gets."""

    guild_id: int
    default_model: str | None = None
    plain_messages_remix: bool = False
    moderators_exempt: bool = True
    mod_log_channel_id: int | None = None
    cooldown_seconds: int = 0
    max_jobs_per_user: int | None = None
    max_jobs_per_guild: int | None = None
    allowed_channel_ids: frozenset[int] = frozenset()
