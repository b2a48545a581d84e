"""The custom IDs of a job's buttons and of its Remix form: what they say, and reading them back.

They name the job by its ID and its random key (bot.generation.gate checks both, and where the interaction came
from). Custom IDs made before keys existed have no key part; they are still read, for the buttons already on
messages (see bot.generation.gate for how such a job is protected).
"""

from __future__ import annotations

import re
from typing import Final

from bot.generation.gate import JobReference

__all__ = ["ACTIONS", "BUTTON_PREFIX", "MODAL_PREFIX", "button_id", "modal_id", "read_button", "read_modal"]

BUTTON_PREFIX: Final = "videobot:job:"
MODAL_PREFIX: Final = "videobot:remix-modal:"
ACTIONS: Final = ("cancel", "remix", "reroll", "retry", "refresh", "delete")

_JOB: Final = r"(?P<job_id>[0-9]{1,19})(?::(?P<key>[A-Za-z0-9_-]{1,64}))?"
_BUTTON: Final = re.compile(rf"^{BUTTON_PREFIX}(?P<action>{'|'.join(ACTIONS)}):{_JOB}$")
_MODAL: Final = re.compile(rf"^{MODAL_PREFIX}{_JOB}$")


def button_id(action: str, job_id: int, key: str | None) -> str:
    """The custom ID of one of a job's buttons."""
    return f"{BUTTON_PREFIX}{action}:{job_id}" + (f":{key}" if key else "")


def modal_id(job_id: int, key: str | None) -> str:
    """The custom ID of a job's Remix form."""
    return f"{MODAL_PREFIX}{job_id}" + (f":{key}" if key else "")


def read_button(custom_id: str) -> tuple[str, JobReference] | None:
    """The action and job a button's custom ID names; None for one the bot never made."""
    match = _BUTTON.match(custom_id)
    if match is None:
        return None
    return match["action"], JobReference(int(match["job_id"]), match["key"])


def read_modal(custom_id: str) -> JobReference | None:
    """The job a Remix form's custom ID names; None for one the bot never made."""
    match = _MODAL.match(custom_id)
    return None if match is None else JobReference(int(match["job_id"]), match["key"])
