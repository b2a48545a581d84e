"""The Remix form and the custom IDs of a job's buttons and forms, which survive restarts."""

from __future__ import annotations

from typing import Any, Final

import discord

from bot.discord_ui.custom_ids import modal_id
from bot.generation.gate import Origin
from bot.store import Job

__all__ = ["INSTRUCTION_FIELD", "RemixModal", "origin_of", "submitted_text"]

INSTRUCTION_FIELD: Final = "instruction"
INSTRUCTION_LIMIT: Final = 1000


class RemixModal(discord.ui.Modal, title="Remix this video"):
    """Asks what should change. Sent stopped, so discord.py keeps no copy in memory: its submission is
    handled from its custom ID (bot.discord_ui.custom_ids), checked like a button (bot.generation.gate), and still
    works after a restart."""

    instruction: discord.ui.TextInput[RemixModal] = discord.ui.TextInput(
        label="What should change?",
        custom_id=INSTRUCTION_FIELD,
        style=discord.TextStyle.paragraph,
        placeholder="now at night, in the rain",
        min_length=1,
        max_length=INSTRUCTION_LIMIT,
    )

    def __init__(self, job: Job) -> None:
        super().__init__(custom_id=modal_id(job.id, job.button_key))
        self.stop()


def origin_of(interaction: discord.Interaction) -> Origin:
    """Where an interaction came from, as Discord delivered it: server, channel or thread, and the message
    whose button was pressed (a form opened by a button carries that message too)."""
    message = interaction.message
    return Origin(interaction.guild_id, interaction.channel_id, message.id if message is not None else None)


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
