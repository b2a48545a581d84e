"""The ⭐ button under every finished video: its custom ID (checked again when clicked) and its look."""

from __future__ import annotations

import re
from typing import Any, Final

import discord

STAR_ID: Final = re.compile(r"^videobot:star:(?P<job_id>[0-9]{1,20})$")


def star_id(job_id: int) -> str:
    return f"videobot:star:{job_id}"


def star_button(job_id: int, stars: int) -> discord.ui.Button[Any]:
    """⭐ with how many members starred the video (one star per member; pressing again takes it back)."""
    return discord.ui.Button(label=str(stars), emoji="⭐", custom_id=star_id(job_id))
