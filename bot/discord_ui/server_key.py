"""The form a moderator types a server's own API key into: a modal, so the key never appears as a command
option (which Discord shows in the command's invocation and the bot's logs would see as options)."""

from __future__ import annotations

from typing import Final

import discord

SERVER_KEY_MODAL_ID: Final = "videobot:server-key"
KEY_FIELD: Final = "api_key"


class ServerKeyModal(discord.ui.Modal, title="This server's video API key"):
    """Asks for the key. Sent stopped, so discord.py keeps no copy: its submission is handled from the custom ID
    alone (see cogs/status.py), after a restart too."""

    api_key: discord.ui.TextInput[ServerKeyModal] = discord.ui.TextInput(
        label="API key (it is never shown again)",
        custom_id=KEY_FIELD,
        style=discord.TextStyle.short,
        placeholder="sk-…",
        min_length=8,
        max_length=512,
    )

    def __init__(self) -> None:
        super().__init__(custom_id=SERVER_KEY_MODAL_ID)
        self.stop()


def key_set_reply(last4: str) -> str:
    """Confirms /videobot key set: the key is never repeated, only its last four characters."""
    return (
        f"This server's own API key is set (…{last4}). Its videos now use it and still count against this "
        "server's quotas. The key is never shown again."
    )


KEY_CLEARED: Final = "This server's own API key is removed; its videos use the bot's key again."


def key_change_log(actor_id: int, *, cleared: bool) -> str:
    """The moderator-log line of a key change, without any part of the key."""
    return (f"🔑 <@{actor_id}> removed this server's own video API key" if cleared
            else f"🔑 <@{actor_id}> set this server's own video API key")
