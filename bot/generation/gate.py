"""Every interaction that names a job is checked against that job before anything happens.

A button or form names its job in its custom ID, and a modified client can send any custom ID from any channel
it can write in: the Remix form of a job in server A, submitted from a thread in server B, would otherwise send
A's conversation to the vendor and post A's continuation in B. So, whatever discord.py happens to check, the
job is only acted on when

* the custom ID carries the job's own random key (job IDs are small sequential numbers; the key is not), and
* the interaction comes from where the job lives: its server, the channel or thread of its message, and that
  message itself when Discord says which message was clicked.

A job made before keys existed (its buttons still carry the old custom IDs, without a key) is accepted without
one: for those, the location check is the protection, as it is for every job.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from bot.core.errors import BotError
from bot.store import Job

__all__ = ["ELSEWHERE", "UNRECOGNISED", "JobReference", "Origin", "check_interaction"]

UNRECOGNISED: Final = "I don't recognise this button or form, so I did nothing."
ELSEWHERE: Final = "This button or form belongs to a video somewhere else, so I did nothing."


@dataclass(frozen=True, slots=True)
class JobReference:
    """A job as a custom ID names it: its ID and, since keys exist, its key."""

    job_id: int
    key: str | None  # None: an old custom ID, made before jobs had keys


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an interaction came from, as Discord delivered it."""

    guild_id: int | None
    channel_id: int | None
    message_id: int | None = None  # the message whose button was pressed (or that opened the form), if known


def check_interaction(job: Job, reference: JobReference, origin: Origin) -> None:
    """Refuse, with one sentence, an interaction that does not belong to `job` (see the module's docstring)."""
    _check_key(job, reference)
    _check_origin(job, origin)


def _check_key(job: Job, reference: JobReference) -> None:
    if job.button_key is None:  # made before keys: only an old custom ID can name it
        if reference.key is not None:
            raise BotError(UNRECOGNISED)
        return
    if reference.key is None or not hmac.compare_digest(reference.key.encode(), job.button_key.encode()):
        raise BotError(UNRECOGNISED)


def _check_origin(job: Job, origin: Origin) -> None:
    if origin.guild_id is None or origin.guild_id != job.guild_id:
        raise BotError(ELSEWHERE)
    # The job's message lives in its thread (or, when the thread was gone, beside the post in the channel);
    # a job that never got a message has no buttons anywhere.
    places = {job.channel_id, job.post_channel_id} - {None}
    if origin.channel_id not in places:
        raise BotError(ELSEWHERE)
    if origin.message_id is None:  # a form sent without its message: only from the video's own channel or thread
        if origin.channel_id != job.channel_id:
            raise BotError(ELSEWHERE)
        return
    if origin.message_id == job.message_id:
        return
    # A final state shown in a new message (the progress message was gone, or never came to be) has buttons there
    # too; a video's is recorded as the job's message, a failure's only as "shown in the thread / the channel".
    if job.delivered_to in ("thread", "channel") and origin.channel_id == job.channel_id:
        return
    if job.delivered_to == "channel" and origin.channel_id == job.post_channel_id:
        return
    raise BotError(ELSEWHERE)
