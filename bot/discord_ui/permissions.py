"""The permissions the bot itself needs where it makes a video, named as Discord's settings screens name them."""

from __future__ import annotations

from typing import Final

import discord

from bot.core.errors import BotError

# What the bot must be allowed to do where it makes a video: start a thread from its post and work in it.
NEEDED_IN_CHANNEL: Final = (
    "view_channel",
    "create_public_threads",
    "send_messages_in_threads",
    "embed_links",
    "attach_files",
    "read_message_history",
)
NEEDED_IN_THREAD: Final = ("view_channel", "send_messages_in_threads", "embed_links", "attach_files")


# Discord's UI names for the permissions whose API names differ.
_UI_NAMES: Final = {"manage_guild": "Manage Server", "create_public_threads": "Create Public Threads"}


def permission_label(name: str) -> str:
    """`manage_guild` → `Manage Server`, as Discord's settings screens call it."""
    return _UI_NAMES.get(name, name.replace("_", " ").title())


def check_bot_permissions(permissions: discord.Permissions, *, in_thread: bool) -> None:
    """Name the permissions the bot lacks here, so a moderator knows exactly what to grant."""
    needed = NEEDED_IN_THREAD if in_thread else NEEDED_IN_CHANNEL
    missing = [permission_label(name) for name in needed if not getattr(permissions, name)]
    if missing:
        listed = " and ".join(f"**{name}**" for name in missing)
        raise BotError(f"I can't do that here: I'm missing {listed}. Ask a moderator to grant it.")


def check_log_channel(guild: discord.Guild, channel_id: int) -> None:
    """Refuse a moderator-log channel the bot could not post in, naming what is missing."""
    channel, me = guild.get_channel(channel_id), guild.me
    if channel is None or me is None:
        return  # not in the cache: trust the moderator; a failed post is logged
    permissions = channel.permissions_for(me)
    missing = [name for name, ok in (("View Channel", permissions.view_channel),
                                     ("Send Messages", permissions.send_messages)) if not ok]
    if missing:
        listed = " and ".join(f"**{name}**" for name in missing)
        raise BotError(f"I can't post in <#{channel_id}>: I'm missing {listed} there. Grant it, then try again.")
