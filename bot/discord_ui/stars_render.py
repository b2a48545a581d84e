"""The ⭐ button under every finished video: its custom ID (checked again when clicked) and its look.

Like the job's other buttons, the custom ID names the job with its key, and a press is checked against the job it
names (bot.generation.gate): a forged ⭐ of one video pressed under another would otherwise redraw that message
with the first video's buttons."""

from __future__ import annotations

import re
from typing import Any, Final

import discord

STAR_ID: Final = re.compile(r"^videobot:star:(?P<job_id>[0-9]{1,19})(?::(?P<key>[A-Za-z0-9_-]{1,64}))?$")


def star_id(job_id: int, key: str | None) -> str:
    return f"videobot:star:{job_id}" + (f":{key}" if key else "")


def star_button(job_id: int, key: str | None, stars: int) -> discord.ui.Button[Any]:
    """⭐ with how many members starred the video (one star per member; pressing again takes it back)."""
    return discord.ui.Button(label=str(stars), emoji="⭐", custom_id=star_id(job_id, key))
