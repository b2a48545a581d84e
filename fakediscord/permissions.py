"""Permission resolution the way Discord computes it (roles, owner/administrator, channel overwrites)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import discord

from .models import OVERWRITE_MEMBER, Member, Overwrite, Role

ALL = discord.Permissions.all().value
ALL_CHANNEL = discord.Permissions.all_channel().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
SEND_MESSAGES_IN_THREADS = discord.Permissions(send_messages_in_threads=True).value
CREATE_PUBLIC_THREADS = discord.Permissions(create_public_threads=True).value
CREATE_PRIVATE_THREADS = discord.Permissions(create_private_threads=True).value
MANAGE_THREADS = discord.Permissions(manage_threads=True).value
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value
EMBED_LINKS = discord.Permissions(embed_links=True).value
ATTACH_FILES = discord.Permissions(attach_files=True).value
MENTION_EVERYONE = discord.Permissions(mention_everyone=True).value
READ_MESSAGE_HISTORY = discord.Permissions(read_message_history=True).value
ADD_REACTIONS = discord.Permissions(add_reactions=True).value
USE_APPLICATION_COMMANDS = discord.Permissions(use_application_commands=True).value
SEND_TTS = discord.Permissions(send_tts_messages=True).value

# Lost when the member cannot send in the channel (Discord's "implicit permissions").
_NEED_SEND = SEND_TTS | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES

DEFAULT_EVERYONE = discord.Permissions(
    view_channel=True,
    create_instant_invite=True,
    change_nickname=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    use_application_commands=True,
    connect=True,
    speak=True,
).value
"""@everyone in a fake guild. Unlike a brand-new real guild it leaves out thread creation and @everyone
mentions, so that the bot's own role is what grants those and a test can take them away."""

BOT_ROLE_DEFAULT = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    use_external_emojis=True,
    add_reactions=True,
).value
"""The bot's managed "VideoBot" role: what the invite link asks for, nothing more."""


def as_int(permissions: discord.Permissions | int) -> int:
    """Accept ``discord.Permissions`` or a raw bit field."""
    return permissions.value if isinstance(permissions, discord.Permissions) else int(permissions)


def base_permissions(*, guild_id: int, owner_id: int, roles: Mapping[int, Role], member: Member) -> int:
    """Guild-level permissions: @everyone plus the member's roles; the owner and administrators get all."""
    if member.user.id == owner_id:
        return ALL
    value = roles[guild_id].permissions
    for role_id in member.role_ids:
        role = roles.get(role_id)
        if role is not None:
            value |= role.permissions
    if value & ADMINISTRATOR:
        return ALL
    return value


def apply_overwrites(value: int, *, guild_id: int, member: Member, overwrites: Mapping[int, Overwrite]) -> int:
    """Apply channel overwrites in Discord's order: @everyone, then all the member's roles together, then member."""
    everyone = overwrites.get(guild_id)
    if everyone is not None:
        value = (value & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        overwrite = overwrites.get(role_id)
        if overwrite is not None and overwrite.type != OVERWRITE_MEMBER:
            allow |= overwrite.allow
            deny |= overwrite.deny
    value = (value & ~deny) | allow
    own = overwrites.get(member.user.id)
    if own is not None and own.type == OVERWRITE_MEMBER:
        value = (value & ~own.deny) | own.allow
    return value


def channel_permissions(
    *,
    guild_id: int,
    owner_id: int,
    roles: Mapping[int, Role],
    member: Member,
    overwrites: Mapping[int, Overwrite],
    in_thread: bool,
) -> int:
    """Permissions in a channel (or, with the parent's overwrites and ``in_thread``, in one of its threads)."""
    base = base_permissions(guild_id=guild_id, owner_id=owner_id, roles=roles, member=member)
    if base & ADMINISTRATOR or base == ALL:
        return ALL
    value = apply_overwrites(base, guild_id=guild_id, member=member, overwrites=overwrites)
    send = SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES
    if not value & send:
        value &= ~_NEED_SEND
    if not value & VIEW_CHANNEL:
        value &= ~ALL_CHANNEL
    return value


def has_all(value: int, required: int) -> bool:
    """Whether ``value`` holds every bit of ``required``."""
    return value & required == required


def names(value: int) -> list[str]:
    """Human-readable names of the permission bits set in ``value`` (for error messages)."""
    return [name for name, enabled in discord.Permissions(value) if enabled]


def missing(value: int, required: int) -> list[str]:
    """Names of the permissions in ``required`` that ``value`` lacks."""
    return names(required & ~value)


def combine(values: Iterable[int]) -> int:
    """OR a set of permission values together."""
    out = 0
    for value in values:
        out |= value
    return out
