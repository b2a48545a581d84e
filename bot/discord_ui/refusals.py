"""What a refusal from Discord means for the message the bot was writing, by Discord's JSON error codes."""

from __future__ import annotations

from enum import Enum
from typing import Final

import discord

UNKNOWN_CHANNEL: Final = 10003
UNKNOWN_MESSAGE: Final = 10008
MISSING_ACCESS: Final = 50001
MISSING_PERMISSIONS: Final = 50013
INVALID_FORM_BODY: Final = 50035
THREAD_ARCHIVED: Final = 50083
THREAD_LOCKED: Final = 160005
REQUEST_TOO_LARGE: Final = 40005


class Refusal(Enum):
    """Why Discord refused a write, as far as the next attempt is concerned."""

    PAYLOAD = "payload"  # a different payload may pass: files too large or not allowed, a field too long
    MESSAGE_GONE = "message gone"  # the message was deleted: write a new one
    CHANNEL_GONE = "channel gone"  # the thread or channel was deleted: write somewhere else
    ARCHIVED = "archived"  # the thread is archived: it may be reopened (unless locked)
    CLOSED = "closed"  # locked, or the bot may no longer write there: write somewhere else
    TRANSIENT = "transient"  # Discord failed (discord.py already retried): the same place may work later


def classify(error: discord.HTTPException, *, with_files: bool) -> Refusal:
    """What `error` says about the place and the payload of a write (`with_files`: files were attached)."""
    code = error.code
    if code == UNKNOWN_MESSAGE:
        return Refusal.MESSAGE_GONE
    if code == UNKNOWN_CHANNEL:
        return Refusal.CHANNEL_GONE
    if code == THREAD_ARCHIVED:
        return Refusal.ARCHIVED
    if code == THREAD_LOCKED:
        return Refusal.CLOSED
    if code in (REQUEST_TOO_LARGE, INVALID_FORM_BODY) or error.status == 413:
        return Refusal.PAYLOAD
    if error.status == 403:
        # Without Attach Files only the files are refused; without Send Messages or View Channel, everything.
        return Refusal.PAYLOAD if with_files and code == MISSING_PERMISSIONS else Refusal.CLOSED
    if error.status == 404:
        return Refusal.CHANNEL_GONE
    return Refusal.TRANSIENT if error.status >= 500 else Refusal.CLOSED


def in_words(error: discord.HTTPException) -> str:
    """A refusal as an operator reads it in the job's record."""
    text = error.text or "no reason given"
    return f"Discord answered {error.status} ({error.code}: {text})"
