"""The Remix form and the custom IDs of a job's buttons and forms, which survive restarts."""

from __future__ import annotations

import re
from typing import Any, Final

import discord

from bot.discord_ui.render import BUTTON_ID, button_id

__all__ = ["BUTTON_ID", "INSTRUCTION_FIELD", "REMIX_MODAL_ID", "RemixModal", "button_id", "submitted_text"]

REMIX_MODAL_ID: Final = re.compile(r"^videobot:remix-modal:(?P<job_id>[0-9]+)$")
INSTRUCTION_FIELD: Final = "instruction"
INSTRUCTION_LIMIT: Final = 1000


class RemixModal(discord.ui.Modal, title="Remix this video"):
    """Asks what should change. Sent stopped, so discord.py keeps no copy in memory: its submission is
    handled from the custom ID alone (see `REMIX_MODAL_ID`), and still works after a restart."""

    instruction: discord.ui.TextInput[RemixModal] = discord.ui.TextInput(
        label="What should change?",
        custom_id=INSTRUCTION_FIELD,
        style=discord.TextStyle.paragraph,
        placeholder="now at night, in the rain",
        min_length=1,
        max_length=INSTRUCTION_LIMIT,
    )

    def __init__(self, job_id: int) -> None:
        super().__init__(custom_id=f"videobot:remix-modal:{job_id}")
        self.stop()


def submitted_text(data: Any, custom_id: str) -> str:
    """The value of one text input in a modal submission's raw data (rows or labels around it)."""
    for component in data.get("components", []) if isinstance(data, dict) else []:
        if component.get("custom_id") == custom_id and "value" in component:
            return str(component["value"])
        nested = component.get("components") or ([component["component"]] if "component" in component else [])
        found = submitted_text({"components": nested}, custom_id)
        if found:
            return found
    return ""
