"""Builders for every JSON object the fake sends; each is unit-tested through discord.py's own parsers."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .models import (
    FLAG_EPHEMERAL,
    AppCommand,
    Channel,
    Member,
    Overwrite,
    Role,
    StoredAttachment,
    StoredMessage,
    User,
)
from .snowflakes import iso, snowflake_time

if TYPE_CHECKING:
    from .world import Guild, World

GATEWAY_VERSION = 10

# Application flags that tell discord.py which privileged intents are enabled for the app.
APP_FLAG_GATEWAY_PRESENCE = 1 << 12
APP_FLAG_GATEWAY_GUILD_MEMBERS = 1 << 14
APP_FLAG_GATEWAY_MESSAGE_CONTENT = 1 << 18
APP_FLAG_APPLICATION_COMMAND_BADGE = 1 << 23


def user(u: User) -> dict[str, Any]:
    """A full user object (discord.py requires id, username, discriminator and avatar)."""
    data: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if u.bot:
        data["bot"] = True
    return data


def current_user(u: User) -> dict[str, Any]:
    """``GET /users/@me``: the user object plus the fields only the owner of the token sees."""
    return {**user(u), "verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
    """A guild member; ``permissions`` is set only in interaction payloads (channel-resolved)."""
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.role_ids],
        "joined_at": m.joined_at,
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(r: Role) -> dict[str, Any]:
    """A role (permissions as a string, as Discord sends them)."""
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": r.managed,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def overwrite(o: Overwrite) -> dict[str, Any]:
    """A permission overwrite."""
    return {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}


def channel(c: Channel) -> dict[str, Any]:
    """A guild channel object (threads are delegated to ``thread``)."""
    if c.is_thread:
        return thread(c)
    return {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "parent_id": None,
        "topic": c.topic,
        "nsfw": c.nsfw,
        "rate_limit_per_user": c.rate_limit_per_user,
        "permission_overwrites": [overwrite(o) for o in c.overwrites.values()],
        "last_message_id": None if c.last_message_id is None else str(c.last_message_id),
        "default_auto_archive_duration": 1440,
        "flags": 0,
    }


def resolved_channel(c: Channel, permissions: int) -> dict[str, Any]:
    """A channel in ``data.resolved.channels`` of a slash command (carries the invoker's permissions)."""
    return {**channel(c), "permissions": str(permissions)}


def thread_member(c: Channel, user_id: int) -> dict[str, Any]:
    """A thread member object (the ``member`` field of a thread the bot is in)."""
    return {"id": str(c.id), "user_id": str(user_id), "join_timestamp": c.create_timestamp, "flags": 0}


def thread(c: Channel, *, bot_id: int | None = None, newly_created: bool = False) -> dict[str, Any]:
    """A thread channel object; pass ``bot_id`` to include the bot's thread membership."""
    data: dict[str, Any] = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "parent_id": str(c.parent_id),
        "owner_id": str(c.owner_id),
        "name": c.name,
        "last_message_id": None if c.last_message_id is None else str(c.last_message_id),
        "message_count": c.message_count,
        "member_count": len(c.member_ids),
        "total_message_sent": c.total_message_sent,
        "rate_limit_per_user": c.rate_limit_per_user,
        "flags": 0,
        "thread_metadata": {
            "archived": c.archived,
            "auto_archive_duration": c.auto_archive_duration,
            "archive_timestamp": c.archive_timestamp,
            "locked": c.locked,
            "invitable": c.invitable,
            "create_timestamp": c.create_timestamp,
        },
    }
    if bot_id is not None and bot_id in c.member_ids:
        data["member"] = thread_member(c, bot_id)
    if newly_created:
        data["newly_created"] = True
    return data


def attachment(world: World, a: StoredAttachment) -> dict[str, Any]:
    """An attachment whose URL points at the fake's CDN route."""
    url = world.attachment_url(a)
    data: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": url,
        "proxy_url": url,
        "content_type": a.content_type,
    }
    if a.description is not None:
        data["description"] = a.description
    if a.ephemeral:
        data["ephemeral"] = True
    return data


def message(
    world: World, m: StoredMessage, *, gateway: bool = False, nested: bool = False, content_intent: bool = True
) -> dict[str, Any]:
    """A message object. ``gateway`` adds ``guild_id``/``member`` as MESSAGE_CREATE/UPDATE carry them;
    ``content_intent=False`` blanks what Discord hides from apps without the Message Content intent."""
    guild = world.guilds.get(m.guild_id)
    hidden = not content_intent and not m.readable_without_intent
    data: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "content": "" if hidden else m.content,
        "author": user(m.author),
        "timestamp": m.timestamp or iso(snowflake_time(m.id)),
        "edited_timestamp": m.edited_timestamp,
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": [_mention(world, guild, uid, gateway=gateway) for uid in m.mention_user_ids],
        "mention_roles": [str(r) for r in m.mention_role_ids],
        "attachments": [] if hidden else [attachment(world, a) for a in m.attachments],
        "embeds": [] if hidden else copy.deepcopy(m.embeds),
        "components": [] if hidden else copy.deepcopy(m.components),
        "reactions": [],
        "pinned": False,
        "flags": m.flags,
    }
    if m.nonce is not None:
        data["nonce"] = m.nonce
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
    if m.application_id is not None:
        data["application_id"] = str(m.application_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = copy.deepcopy(m.interaction_metadata)
    if m.reference is not None:
        data["message_reference"] = dict(m.reference)
        if not nested:
            ref_id = int(m.reference["message_id"])
            referenced = world.messages.get(ref_id)
            if referenced is None or referenced.deleted:
                data["referenced_message"] = None
            else:
                data["referenced_message"] = message(world, referenced, nested=True, content_intent=content_intent)
    if m.thread_id is not None and m.thread_id in world.channels:
        data["thread"] = thread(world.channels[m.thread_id], bot_id=world.bot_user.id)
    if gateway and guild is not None:
        data["guild_id"] = str(guild.id)
        author_member = guild.members.get(m.author.id)
        if author_member is not None and m.webhook_id is None:
            data["member"] = member(author_member, with_user=False)
    return data


def _mention(world: World, guild: Guild | None, user_id: int, *, gateway: bool) -> dict[str, Any]:
    data = user(world.users[user_id])
    if gateway and guild is not None and user_id in guild.members:
        data["member"] = member(guild.members[user_id], with_user=False)
    return data


def interaction_metadata(interaction_id: int, type_: int, u: User, **extra: Any) -> dict[str, Any]:
    """``interaction_metadata`` on a message created by an interaction response."""
    data: dict[str, Any] = {
        "id": str(interaction_id),
        "type": type_,
        "user": user(u),
        "authorizing_integration_owners": {},
    }
    data.update({k: str(v) if isinstance(v, int) else v for k, v in extra.items()})
    return data


def guild_update(world: World, g: Guild) -> dict[str, Any]:
    """GUILD_UPDATE: the guild object alone, without the lists only GUILD_CREATE carries."""
    created = guild_create(world, g)
    for key in ("channels", "threads", "members", "voice_states", "presences", "stage_instances",
                "guild_scheduled_events", "soundboard_sounds", "joined_at", "large", "member_count", "lazy"):
        created.pop(key, None)
    return created


def guild_create(world: World, g: Guild) -> dict[str, Any]:
    """GUILD_CREATE: roles, text channels, active threads, and (like Discord) only the bot's own member."""
    channels = [channel(c) for c in g.channels]
    threads = [
        thread(c, bot_id=world.bot_user.id)
        for c in world.channels.values()
        if c.is_thread and c.guild_id == g.id and not c.archived
    ]
    bot_member = g.members[world.bot_user.id]
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": g.premium_tier,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "joined_at": bot_member.joined_at,
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "members": [member(bot_member)],
        "channels": channels,
        "threads": threads,
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_progress_bar_enabled": False,
        "application_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "lazy": True,
    }


def members_chunk(g: Guild, nonce: str | None, members: list[Member]) -> dict[str, Any]:
    """GUILD_MEMBERS_CHUNK answering op 8 in one chunk."""
    data: dict[str, Any] = {
        "guild_id": str(g.id),
        "members": [member(m) for m in members],
        "chunk_index": 0,
        "chunk_count": 1,
        "not_found": [],
    }
    if nonce is not None:
        data["nonce"] = nonce
    return data


def application_flags(*, message_content: bool, members: bool, presences: bool) -> int:
    """The application flags matching the privileged intents the app has been granted."""
    flags = APP_FLAG_APPLICATION_COMMAND_BADGE
    if message_content:
        flags |= APP_FLAG_GATEWAY_MESSAGE_CONTENT
    if members:
        flags |= APP_FLAG_GATEWAY_GUILD_MEMBERS
    if presences:
        flags |= APP_FLAG_GATEWAY_PRESENCE
    return flags


def ready(
    world: World,
    *,
    session_id: str,
    resume_gateway_url: str,
    flags: int,
    guild_ids: list[int] | None = None,
    shard: list[int] | None = None,
) -> dict[str, Any]:
    """READY (``session_id``, ``resume_gateway_url`` and ``guilds`` are required by discord.py): the guilds of the
    session's shard (all by default), and ``shard`` when the session IDENTIFYed with one."""
    ids = list(world.guilds) if guild_ids is None else guild_ids
    extra: dict[str, Any] = {} if shard is None else {"shard": shard}
    return {
        "v": GATEWAY_VERSION,
        "user": {**current_user(world.bot_user)},
        "guilds": [{"id": str(g), "unavailable": True} for g in ids],
        **extra,
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "application": {"id": str(world.application_id), "flags": flags},
        "private_channels": [],
        "relationships": [],
        "user_settings": {},
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["local"],
        "auth_session_id_hash": "fake",
        "_trace": ["fake-discord"],
    }


def application_info(world: World, *, flags: int) -> dict[str, Any]:
    """``GET /oauth2/applications/@me`` (no ``interactions_endpoint_url``, so discord.py gets gateway interactions)."""
    return {
        "id": str(world.application_id),
        "name": world.bot_user.username,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user(world.owner),
        "team": None,
        "flags": flags,
        "bot": user(world.bot_user),
        "interactions_endpoint_url": None,
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "integration_types_config": {"0": {}},
    }


def command(world: World, c: AppCommand) -> dict[str, Any]:
    """A synced application command as Discord returns it."""
    data = copy.deepcopy(c.data)
    perms = data.get("default_member_permissions")
    data.update(
        {
            "id": str(c.id),
            "application_id": str(world.application_id),
            "version": str(c.version),
            "type": c.type,
            "name": c.name,
            "description": data.get("description", ""),
            "default_member_permissions": None if perms is None else str(perms),
            "nsfw": bool(data.get("nsfw", False)),
        }
    )
    data.setdefault("options", [])
    data.setdefault("contexts", None)
    data.setdefault("integration_types", [0])
    if c.guild_id is not None:
        data["guild_id"] = str(c.guild_id)
    data.pop("dm_permission", None)
    return data


def interaction(
    world: World,
    *,
    interaction_id: int,
    token: str,
    type_: int,
    invoker: Member,
    in_channel: Channel,
    data: dict[str, Any],
    source_message: StoredMessage | None = None,
) -> dict[str, Any]:
    """INTERACTION_CREATE for a guild channel or thread, with channel-resolved ``member.permissions``."""
    guild = world.guild_of(in_channel)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(world.application_id),
        "type": type_,
        "token": token,
        "version": 1,
        "guild_id": str(guild.id),
        "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
        "channel_id": str(in_channel.id),
        "channel": channel(in_channel),
        "member": member(invoker, permissions=world.permissions_in(in_channel, invoker.user.id)),
        "app_permissions": str(world.bot_permissions_in(in_channel)),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild.id)},
        "context": 0,
        "attachment_size_limit": guild.filesize_limit,
        "data": data,
    }
    if source_message is not None:
        msg = message(world, source_message)
        if source_message.ephemeral:
            msg["flags"] = source_message.flags | FLAG_EPHEMERAL
        payload["message"] = msg
    return payload


def callback_response(
    *,
    interaction_id: int,
    interaction_type: int,
    response_type: int,
    message_payload: dict[str, Any] | None,
    loading: bool,
    ephemeral: bool,
) -> dict[str, Any]:
    """The ``?with_response=1`` body of an interaction callback (a 204 would break discord.py)."""
    info: dict[str, Any] = {
        "id": str(interaction_id),
        "type": interaction_type,
        "response_message_loading": loading,
        "response_message_ephemeral": ephemeral,
    }
    if message_payload is not None:
        info["response_message_id"] = message_payload["id"]
    body: dict[str, Any] = {"interaction": info}
    if response_type != 6:
        resource: dict[str, Any] = {"type": response_type}
        if message_payload is not None:
            resource["message"] = message_payload
        body["resource"] = resource
    return body
