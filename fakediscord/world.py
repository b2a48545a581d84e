"""The fake's world: users, guilds, channels, messages; world-building methods dispatch gateway events."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

import discord

from . import payloads
from .errors import UnknownObject
from .models import (
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    TEXT,
    AppCommand,
    Channel,
    Member,
    Overwrite,
    Role,
    StoredAttachment,
    StoredMessage,
    Upload,
    User,
)
from .permissions import BOT_ROLE_DEFAULT, DEFAULT_EVERYONE, as_int, base_permissions, channel_permissions
from .snowflakes import SnowflakeGenerator, now_iso

MiB = 1024 * 1024
OverwriteTarget = Role | Member | User
PermissionValue = discord.Permissions | int
OverwriteSpec = tuple[PermissionValue, PermissionValue] | discord.PermissionOverwrite

Emitter = Callable[[str, dict[str, Any]], None]


# Discord's default per-file upload limit: 20 MiB since September 2026 (discord-api-docs #8572, #8578); it was
# 10 MiB from 2025-01-16, 25 MiB before. Boosts raise it: tier 2 = 50 MiB, tier 3 = 100 MiB.
DEFAULT_UPLOAD_LIMIT = 20 * MiB


def filesize_limit_for_tier(premium_tier: int) -> int:
    """Per-file upload limit by boost tier (20 MiB for tiers 0-1, 50 MiB for 2, 100 MiB for 3)."""
    return {2: 50 * MiB, 3: 100 * MiB}.get(premium_tier, DEFAULT_UPLOAD_LIMIT)


class World:
    """Everything the fake knows; REST handlers, actors and readers all work on this one object."""

    def __init__(self, *, bot_name: str = "VideoBot") -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self.commands: dict[int | None, dict[tuple[str, int], AppCommand]] = {}
        # Server Settings > Integrations: (guild id, command name) -> user/role ids allowed despite
        # default_member_permissions.
        self.command_overrides: dict[tuple[int, str], set[int]] = {}
        self.application_id = self.ids.next()
        self.bot_user = User(id=self.application_id, username=bot_name, global_name=bot_name, bot=True)
        self.users[self.bot_user.id] = self.bot_user
        self.bot_token = f"fake.{secrets.token_urlsafe(24)}"
        self.owner = self.create_user("app-owner")
        self.cdn_base = "http://127.0.0.1:0"
        self.emit: Emitter = lambda _event, _payload: None
        self.on_change: Callable[[], None] = lambda: None

    # ---- users and guilds ----------------------------------------------------------------------------------
    def create_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        """Create a Discord account."""
        user = User(id=self.ids.next(), username=username, global_name=global_name or username, bot=bot)
        self.users[user.id] = user
        return user

    def create_guild(
        self,
        name: str,
        *,
        owner: User,
        premium_tier: int = 0,
        everyone_permissions: PermissionValue = DEFAULT_EVERYONE,
        bot_permissions: PermissionValue = BOT_ROLE_DEFAULT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """Create a guild with @everyone, the bot's managed role, the owner and the bot as members; ``shard``
        gives it an id that shard owns."""
        guild_id = self.ids.next() if shard is None else self.ids.next_on_shard(*shard)
        guild = Guild(self, guild_id, name, owner.id, premium_tier)
        guild.roles[guild.id] = Role(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=as_int(everyone_permissions)
        )
        bot_role = Role(
            id=self.ids.next(),
            guild_id=guild.id,
            name=self.bot_user.username,
            permissions=as_int(bot_permissions),
            position=1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        guild.members[owner.id] = Member(user=owner, guild_id=guild.id, role_ids=[], joined_at=now_iso())
        guild.members[self.bot_user.id] = Member(
            user=self.bot_user, guild_id=guild.id, role_ids=[bot_role.id], joined_at=now_iso()
        )
        self.guilds[guild.id] = guild
        self.emit("GUILD_CREATE", payloads.guild_create(self, guild))
        return guild

    # ---- lookups -------------------------------------------------------------------------------------------
    def guild_of(self, channel: Channel) -> Guild:
        """The guild a channel or thread belongs to."""
        return self.guilds[channel.guild_id]

    def parent_of(self, channel: Channel) -> Channel:
        """The channel whose overwrites apply (a thread's parent, else the channel itself)."""
        if channel.is_thread and channel.parent_id is not None:
            return self.channels[channel.parent_id]
        return channel

    def member(self, guild_id: int, user_id: int) -> Member | None:
        """A guild member, or None."""
        guild = self.guilds.get(guild_id)
        return None if guild is None else guild.members.get(user_id)

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """The resolved permissions of a member in a channel or thread (0 if not a member)."""
        guild = self.guild_of(channel)
        member = guild.members.get(user_id)
        if member is None:
            return 0
        parent = self.parent_of(channel)
        return channel_permissions(
            guild_id=guild.id,
            owner_id=guild.owner_id,
            roles=guild.roles,
            member=member,
            overwrites=parent.overwrites,
            in_thread=channel.is_thread,
        )

    def bot_permissions_in(self, channel: Channel) -> int:
        """The bot's resolved permissions in a channel or thread."""
        return self.permissions_in(channel, self.bot_user.id)

    def channel(self, channel_id: int) -> Channel | None:
        """A channel or thread by id."""
        return self.channels.get(channel_id)

    def resolve_channel(self, channel: Channel | int) -> Channel:
        """Accept a Channel or an id; raise UnknownObject for ids the fake does not know."""
        if isinstance(channel, Channel):
            return channel
        found = self.channels.get(int(channel))
        if found is None:
            raise UnknownObject(f"unknown channel {channel}")
        return found

    def messages_in(self, channel_id: int) -> list[StoredMessage]:
        """All stored messages of a channel in creation order (including deleted and ephemeral ones)."""
        return [self.messages[i] for i in self.channel_messages.get(channel_id, [])]

    def threads_of(self, channel_id: int) -> list[Channel]:
        """Threads whose parent is the given channel, oldest first."""
        return sorted(
            (c for c in self.channels.values() if c.is_thread and c.parent_id == channel_id), key=lambda c: c.id
        )

    # ---- messages and uploads ------------------------------------------------------------------------------
    def add_message(self, message: StoredMessage) -> None:
        """Store a new message and bump the channel's counters."""
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        channel = self.channels[message.channel_id]
        if message.ephemeral_user_id is None:
            channel.last_message_id = message.id
            if channel.is_thread:
                channel.message_count += 1
                channel.total_message_sent += 1
        self.on_change()

    def store_upload(self, upload: Upload, channel_id: int, *, ephemeral: bool = False) -> StoredAttachment:
        """Store an uploaded file so the CDN route can serve it."""
        attachment = StoredAttachment(
            id=self.ids.next(),
            channel_id=channel_id,
            filename=upload.filename,
            data=upload.data,
            content_type=upload.guessed_content_type(),
            description=upload.description,
            ephemeral=ephemeral,
        )
        self.attachments[attachment.id] = attachment
        return attachment

    def attachment_url(self, attachment: StoredAttachment) -> str:
        """The CDN URL discord.py's ``Attachment.read()`` fetches."""
        return f"{self.cdn_base}/attachments/{attachment.channel_id}/{attachment.id}/{attachment.filename}"

    # ---- commands ------------------------------------------------------------------------------------------
    def find_command(self, name: str, guild_id: int | None, type_: int = 1) -> AppCommand | None:
        """A synced command visible in a guild: the guild's own first, then global (as the Discord client)."""
        if guild_id is not None:
            found = self.commands.get(guild_id, {}).get((name, type_))
            if found is not None:
                return found
        return self.commands.get(None, {}).get((name, type_))


class Guild:
    """A fake guild plus the world-building methods tests use (usable before and after the bot connects)."""

    def __init__(self, world: World, guild_id: int, name: str, owner_id: int, premium_tier: int) -> None:
        self._world = world
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        self.premium_tier = premium_tier
        # A limit of this server's own (Discord's default changed three times in three years, and may differ
        # per server while it rolls out); None: the boost tier's.
        self.upload_limit: int | None = None
        self.roles: dict[int, Role] = {}
        self.members: dict[int, Member] = {}
        self.channel_ids: list[int] = []
        self.bot_role_id = 0

    def __repr__(self) -> str:
        return f"<fake Guild {self.name!r} id={self.id}>"

    @property
    def filesize_limit(self) -> int:
        """Per-file upload limit in bytes: what interactions report as `attachment_size_limit` and what uploads
        are refused above (413, 40005)."""
        return self.upload_limit if self.upload_limit is not None else filesize_limit_for_tier(self.premium_tier)

    @property
    def everyone(self) -> Role:
        """The @everyone role."""
        return self.roles[self.id]

    @property
    def bot_role(self) -> Role:
        """The bot's managed role."""
        return self.roles[self.bot_role_id]

    @property
    def bot_member(self) -> Member:
        """The bot's membership."""
        return self.members[self._world.bot_user.id]

    @property
    def channels(self) -> list[Channel]:
        """Top-level channels in creation order."""
        return [self._world.channels[i] for i in self.channel_ids]

    def create_role(
        self, name: str, permissions: PermissionValue = 0, *, mentionable: bool = False, color: int = 0
    ) -> Role:
        """Create a role (GUILD_ROLE_CREATE once connected)."""
        position = max(r.position for r in self.roles.values()) + 1
        role = Role(
            id=self._world.ids.next(),
            guild_id=self.id,
            name=name,
            permissions=as_int(permissions),
            position=position,
            mentionable=mentionable,
            color=color,
        )
        self.roles[role.id] = role
        self._world.emit("GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": payloads.role(role)})
        return role

    def set_role_permissions(self, role: Role, permissions: PermissionValue) -> None:
        """Change a role's permissions (GUILD_ROLE_UPDATE)."""
        role.permissions = as_int(permissions)
        self._world.emit("GUILD_ROLE_UPDATE", {"guild_id": str(self.id), "role": payloads.role(role)})
        self._world.on_change()

    def set_bot_permissions(self, permissions: PermissionValue) -> None:
        """Set the bot role's permissions. @everyone still applies; use ``set_overwrite`` to deny in a channel."""
        self.set_role_permissions(self.bot_role, permissions)

    def set_premium_tier(self, premium_tier: int) -> None:
        """Boosts gained or lost: the tier, and with it the upload limit, changes (GUILD_UPDATE)."""
        self.premium_tier = premium_tier
        self._world.emit("GUILD_UPDATE", payloads.guild_update(self._world, self))
        self._world.on_change()

    def set_upload_limit(self, limit: int | None) -> None:
        """Give this server a per-file upload limit of its own (None: its boost tier's again)."""
        self.upload_limit = limit
        self._world.on_change()

    def add_member(self, user: User, roles: list[Role] | None = None, *, nick: str | None = None) -> Member:
        """Add a user to the guild (GUILD_MEMBER_ADD, delivered only with the members intent)."""
        member = Member(
            user=user, guild_id=self.id, role_ids=[r.id for r in roles or []], joined_at=now_iso(), nick=nick
        )
        self.members[user.id] = member
        self._world.emit("GUILD_MEMBER_ADD", {**payloads.member(member), "guild_id": str(self.id)})
        return member

    def set_member_roles(self, user: User, roles: list[Role]) -> None:
        """Replace a member's roles (GUILD_MEMBER_UPDATE)."""
        member = self._require_member(user)
        member.role_ids = [r.id for r in roles]
        self._world.emit("GUILD_MEMBER_UPDATE", {**payloads.member(member), "guild_id": str(self.id)})
        self._world.on_change()

    def create_text_channel(
        self,
        name: str,
        *,
        overwrites: Mapping[OverwriteTarget, OverwriteSpec] | None = None,
        topic: str | None = None,
    ) -> Channel:
        """Create a text channel, optionally with ``{role_or_member: (allow, deny)}`` overwrites."""
        channel = Channel(
            id=self._world.ids.next(), guild_id=self.id, type=TEXT, name=name, position=len(self.channel_ids)
        )
        channel.topic = topic
        for target, spec in (overwrites or {}).items():
            channel.overwrites[target.id] = self._overwrite(target, spec)
        self._world.channels[channel.id] = channel
        self.channel_ids.append(channel.id)
        self._world.emit("CHANNEL_CREATE", payloads.channel(channel))
        return channel

    def set_overwrite(
        self,
        channel: Channel,
        target: OverwriteTarget,
        *,
        allow: PermissionValue = 0,
        deny: PermissionValue = 0,
    ) -> None:
        """Set one overwrite on a channel (CHANNEL_UPDATE); threads use their parent's overwrites."""
        if channel.is_thread:
            raise UnknownObject("threads have no overwrites of their own; set them on the parent channel")
        channel.overwrites[target.id] = self._overwrite(target, (allow, deny))
        self._world.emit("CHANNEL_UPDATE", payloads.channel(channel))
        self._world.on_change()

    def allow_command(self, name: str, target: Role | User) -> None:
        """Let a role or user use a command despite its default_member_permissions (Integrations settings)."""
        self._world.command_overrides.setdefault((self.id, name), set()).add(target.id)

    def permissions_for(self, user: User, channel: Channel | None = None) -> discord.Permissions:
        """A member's permissions, guild-wide or resolved in a channel/thread."""
        if channel is not None:
            return discord.Permissions(self._world.permissions_in(channel, user.id))
        member = self._require_member(user)
        return discord.Permissions(
            base_permissions(guild_id=self.id, owner_id=self.owner_id, roles=self.roles, member=member)
        )

    def _require_member(self, user: User) -> Member:
        member = self.members.get(user.id)
        if member is None:
            raise UnknownObject(f"{user.username} is not a member of {self.name}")
        return member

    @staticmethod
    def _overwrite(target: OverwriteTarget, spec: OverwriteSpec) -> Overwrite:
        kind = OVERWRITE_ROLE if isinstance(target, Role) else OVERWRITE_MEMBER
        if isinstance(spec, discord.PermissionOverwrite):
            allow, deny = spec.pair()
            return Overwrite(id=target.id, type=kind, allow=allow.value, deny=deny.value)
        allow_value, deny_value = spec
        return Overwrite(id=target.id, type=kind, allow=as_int(allow_value), deny=as_int(deny_value))
