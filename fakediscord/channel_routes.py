"""REST routes for users, the application, commands, guilds, channels, threads and channel messages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import errors, payloads
from .errors import DiscordHTTPError, FieldError, form_error
from .models import (
    FLAG_COMPONENTS_V2,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    NEWS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    AppCommand,
    Channel,
    StoredMessage,
)
from .permissions import (
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
)
from .rest_base import Reply, RouteHelpers, read_body, snowflake
from .snowflakes import now_iso
from .validation import validate_commands, validate_thread

# Flags a bot may set on a new message; others (e.g. ephemeral outside interactions) are ignored by Discord.
CHANNEL_MESSAGE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2


class ChannelRoutes(RouteHelpers):
    """Handlers acting with the bot token (everything except interaction callbacks and webhooks)."""

    # ---- users, application, gateway -----------------------------------------------------------------------
    async def get_me(self, request: web.Request) -> Reply:
        """GET /users/@me (login)."""
        return Reply(200, payloads.current_user(self._world.bot_user))

    async def get_user(self, request: web.Request, user_id: str) -> Reply:
        """GET /users/{id}."""
        found = self._world.users.get(int(user_id)) if user_id.isdigit() else None
        if found is None:
            raise errors.not_found(errors.UNKNOWN_USER, "User")
        return Reply(200, payloads.user(found))

    async def get_application(self, request: web.Request) -> Reply:
        """GET /oauth2/applications/@me (login reads the application id from it)."""
        return Reply(200, payloads.application_info(self._world, flags=self._fake.application_flags))

    async def get_gateway(self, request: web.Request) -> Reply:
        """GET /gateway."""
        return Reply(200, {"url": self._fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> Reply:
        """GET /gateway/bot: the recommended shard count and the session start limit."""
        return Reply(200, self._fake.gateway.bot_info(self._fake.gateway_url))

    # ---- commands ------------------------------------------------------------------------------------------
    def _command_scope(self, application_id: str, guild_id: str | None) -> int | None:
        if snowflake(application_id, "application_id") != self._world.application_id:
            raise DiscordHTTPError(403, 20012, "You are not authorized to perform this action on this application")
        if guild_id is None:
            return None
        guild = self._guild(guild_id)
        if self._world.bot_user.id not in guild.members:
            raise errors.missing_access()
        return int(guild.id)

    async def get_commands(self, request: web.Request, application_id: str, guild_id: str | None = None) -> Reply:
        """GET global or guild commands."""
        scope = self._command_scope(application_id, guild_id)
        return Reply(200, [payloads.command(self._world, c) for c in self._world.commands.get(scope, {}).values()])

    async def put_commands(self, request: web.Request, application_id: str, guild_id: str | None = None) -> Reply:
        """PUT (bulk overwrite) global or guild commands, keeping ids of commands that survive."""
        scope = self._command_scope(application_id, guild_id)
        body = (await read_body(request)).json
        if not isinstance(body, list):
            raise form_error([FieldError((), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")])
        problems = validate_commands(body)
        if problems:
            raise form_error(problems)
        old = self._world.commands.get(scope, {})
        new: dict[tuple[str, int], AppCommand] = {}
        for data in body:
            key = (data["name"], int(data.get("type", 1)))
            previous = old.get(key)
            new[key] = AppCommand(
                id=previous.id if previous else self._world.ids.next(),
                name=data["name"],
                type=key[1],
                data=dict(data),
                guild_id=scope,
                version=self._world.ids.next(),
            )
        self._world.commands[scope] = new
        return Reply(200, [payloads.command(self._world, c) for c in new.values()])

    # ---- guilds --------------------------------------------------------------------------------------------
    async def get_guild(self, request: web.Request, guild_id: str) -> Reply:
        """GET /guilds/{id}."""
        guild = self._guild(guild_id)
        data = payloads.guild_create(self._world, guild)
        for key in (
            "channels",
            "threads",
            "members",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "member_count",
        ):
            data.pop(key, None)
        data["approximate_member_count"] = len(guild.members)
        return Reply(200, data)

    async def get_guild_channels(self, request: web.Request, guild_id: str) -> Reply:
        """GET /guilds/{id}/channels."""
        return Reply(200, [payloads.channel(c) for c in self._guild(guild_id).channels])

    async def get_guild_roles(self, request: web.Request, guild_id: str) -> Reply:
        """GET /guilds/{id}/roles."""
        return Reply(200, [payloads.role(r) for r in self._guild(guild_id).roles.values()])

    async def get_member(self, request: web.Request, guild_id: str, user_id: str) -> Reply:
        """GET /guilds/{id}/members/{user}."""
        guild = self._guild(guild_id)
        found = guild.members.get(int(user_id)) if user_id.isdigit() else None
        if found is None:
            raise errors.not_found(errors.UNKNOWN_MEMBER, "Member")
        return Reply(200, payloads.member(found))

    # ---- channels and threads ------------------------------------------------------------------------------
    async def get_channel(self, request: web.Request, channel_id: str) -> Reply:
        """GET /channels/{id}."""
        channel, _ = self._visible_channel(channel_id)
        return Reply(
            200,
            payloads.thread(channel, bot_id=self._world.bot_user.id)
            if channel.is_thread
            else payloads.channel(channel),
        )

    async def edit_channel(self, request: web.Request, channel_id: str) -> Reply:
        """PATCH /channels/{id}: thread name/archived/locked/archive duration/slowmode, or a channel's name/topic."""
        channel, perms = self._visible_channel(channel_id)
        body = (await read_body(request)).json
        if not channel.is_thread:
            if not perms & MANAGE_CHANNELS:
                raise errors.missing_permissions()
            channel.name = body.get("name", channel.name)
            channel.topic = body.get("topic", channel.topic)
            self._fake.dispatch("CHANNEL_UPDATE", payloads.channel(channel))
            return Reply(200, payloads.channel(channel))
        problems = validate_thread(body, creating=False)
        if problems:
            raise form_error(problems)
        is_owner = channel.owner_id == self._world.bot_user.id
        unarchive_only = (
            body.get("archived") is False and not body.get("locked") and set(body) <= {"archived", "locked"}
        )
        if channel.archived and channel.locked and not perms & MANAGE_THREADS:
            raise DiscordHTTPError(400, errors.THREAD_ARCHIVED, "Thread is locked")
        if not (perms & MANAGE_THREADS or is_owner or unarchive_only):
            raise errors.missing_permissions()
        if unarchive_only and not (perms & MANAGE_THREADS or self._world.bot_user.id in channel.member_ids):
            # Unarchiving needs only membership of the thread (discord-api-docs topics/threads).
            raise errors.missing_permissions()
        if "locked" in body and not perms & MANAGE_THREADS:
            raise errors.missing_permissions()
        for key in ("name", "archived", "locked", "auto_archive_duration", "rate_limit_per_user", "invitable"):
            if key in body and body[key] is not None:
                setattr(channel, key, body[key])
        if "archived" in body:
            channel.archive_timestamp = now_iso()
        self._fake.dispatch("THREAD_UPDATE", payloads.thread(channel, bot_id=self._world.bot_user.id))
        return Reply(200, payloads.thread(channel, bot_id=self._world.bot_user.id))

    async def typing(self, request: web.Request, channel_id: str) -> Reply:
        """POST /channels/{id}/typing."""
        channel, perms = self._visible_channel(channel_id)
        if not perms & (SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES):
            raise errors.missing_permissions()
        return Reply(204)

    async def thread_from_message(self, request: web.Request, channel_id: str, message_id: str) -> Reply:
        """POST /channels/{c}/messages/{m}/threads: a public thread with the message's id (THREAD_CREATE)."""
        channel, perms = self._visible_channel(channel_id)
        if channel.type not in (TEXT, NEWS):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        message = self._channel_message(channel, message_id)
        if not perms & CREATE_PUBLIC_THREADS:
            raise errors.missing_permissions()
        body = (await read_body(request)).json
        if message.thread_id is not None:
            raise DiscordHTTPError(
                400, errors.THREAD_ALREADY_CREATED, "A thread has already been created for this message"
            )
        problems = validate_thread(body, creating=True)
        if problems:
            raise form_error(problems)
        thread = self._new_thread(
            channel, body, thread_id=message.id, thread_type=10 if channel.type == NEWS else PUBLIC_THREAD
        )
        message.thread_id = thread.id
        self._fake.dispatch(
            "THREAD_CREATE", payloads.thread(thread, bot_id=self._world.bot_user.id, newly_created=True)
        )
        return Reply(201, payloads.thread(thread, bot_id=self._world.bot_user.id))

    async def thread_without_message(self, request: web.Request, channel_id: str) -> Reply:
        """POST /channels/{c}/threads (type 12 private unless the body says 11)."""
        channel, perms = self._visible_channel(channel_id)
        if channel.type not in (TEXT, NEWS):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        body = (await read_body(request)).json
        thread_type = int(body.get("type") or PRIVATE_THREAD)
        needed = CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD else CREATE_PUBLIC_THREADS
        if not perms & needed:
            raise errors.missing_permissions()
        problems = validate_thread(body, creating=True)
        if problems:
            raise form_error(problems)
        thread = self._new_thread(channel, body, thread_id=self._world.ids.next(), thread_type=thread_type)
        thread.invitable = bool(body.get("invitable", True))
        self._fake.dispatch(
            "THREAD_CREATE", payloads.thread(thread, bot_id=self._world.bot_user.id, newly_created=True)
        )
        return Reply(201, payloads.thread(thread, bot_id=self._world.bot_user.id))

    def _new_thread(self, parent: Channel, body: dict[str, Any], *, thread_id: int, thread_type: int) -> Channel:
        stamp = now_iso()
        thread = Channel(
            id=thread_id,
            guild_id=parent.guild_id,
            type=thread_type,
            name=body["name"],
            parent_id=parent.id,
            owner_id=self._world.bot_user.id,
            auto_archive_duration=body.get("auto_archive_duration") or 1440,
            rate_limit_per_user=body.get("rate_limit_per_user") or 0,
            archive_timestamp=stamp,
            create_timestamp=stamp,
            member_ids={self._world.bot_user.id},
        )
        self._world.channels[thread.id] = thread
        return thread

    async def add_thread_member(self, request: web.Request, channel_id: str, user_id: str) -> Reply:
        """PUT /channels/{thread}/thread-members/@me or /{user}."""
        channel, perms = self._visible_channel(channel_id)
        if not channel.is_thread:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        if channel.archived:
            raise DiscordHTTPError(400, errors.THREAD_ARCHIVED, "Thread is archived")
        target = self._world.bot_user.id if user_id == "@me" else snowflake(user_id, "user_id")
        if target != self._world.bot_user.id and not perms & SEND_MESSAGES_IN_THREADS:
            raise errors.missing_permissions()
        if self._world.member(channel.guild_id, target) is None:
            raise errors.not_found(errors.UNKNOWN_MEMBER, "Member")
        channel.member_ids.add(target)
        return Reply(204)

    # ---- channel messages ----------------------------------------------------------------------------------
    async def list_messages(self, request: web.Request, channel_id: str) -> Reply:
        """GET /channels/{id}/messages (newest first; before/after/around, limit 1-100)."""
        channel, perms = self._visible_channel(channel_id)
        if not perms & READ_MESSAGE_HISTORY:
            return Reply(200, [])
        limit = int(request.query.get("limit", 50))
        if not 1 <= limit <= 100:
            raise form_error([FieldError(("limit",), "NUMBER_TYPE_MAX", "int value should be <= 100.")])
        visible = [m for m in self._world.messages_in(channel.id) if not m.deleted and not m.ephemeral]
        if "before" in request.query:
            visible = [m for m in visible if m.id < int(request.query["before"])]
        if "after" in request.query:
            visible = [m for m in visible if m.id > int(request.query["after"])]
            visible = visible[:limit]
        if "around" in request.query:
            pivot = int(request.query["around"])
            older = [m for m in visible if m.id <= pivot][-(limit // 2 + limit % 2) :]
            newer = [m for m in visible if m.id > pivot][: limit // 2]
            visible = older + newer
        chosen = list(reversed(visible))[:limit]
        return Reply(200, [self._message_payload(m) for m in chosen])

    async def get_message(self, request: web.Request, channel_id: str, message_id: str) -> Reply:
        """GET /channels/{c}/messages/{m}."""
        channel, perms = self._visible_channel(channel_id)
        if not perms & READ_MESSAGE_HISTORY:
            raise errors.missing_permissions()
        return Reply(200, self._message_payload(self._channel_message(channel, message_id)))

    async def create_message(self, request: web.Request, channel_id: str) -> Reply:
        """POST /channels/{id}/messages (JSON or multipart), with permission, size and body checks."""
        channel, perms = self._visible_channel(channel_id)
        in_thread = channel.is_thread
        if not perms & (SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES):
            raise errors.missing_permissions()
        self._fake.messenger.reopen_for_send(channel, can_manage_threads=bool(perms & MANAGE_THREADS))
        body = await read_body(request)
        data = self._validated(body)
        if body.files and not perms & ATTACH_FILES:
            raise errors.missing_permissions()
        reply_to = self._reply_target(channel, data.get("message_reference"), perms)
        existing = self._fake.messenger.existing_nonce(channel, self._world.bot_user, data.get("nonce"))
        if existing is not None and data.get("enforce_nonce"):
            return Reply(200, self._message_payload(existing))
        attachments = self._attachments(body, channel, None) or []
        embeds = data.get("embeds") or []
        if embeds and not perms & EMBED_LINKS:
            # Discord posts the message and silently drops the embeds; the fake records it so tests notice.
            self._fake.record_violation(
                errors.EMBEDS_DROPPED,
                200,
                "embeds dropped: missing Embed Links",
                method="POST",
                route="/channels/{channel_id}/messages",
            )
            embeds = []
        message = self._fake.messenger.create(
            channel,
            self._world.bot_user,
            content=data.get("content") or "",
            embeds=embeds,
            components=data.get("components") or [],
            attachments=attachments,
            flags=int(data.get("flags") or 0) & CHANNEL_MESSAGE_FLAGS,
            reply_to=reply_to,
            allowed_mentions=data.get("allowed_mentions"),
            nonce=data.get("nonce"),
            tts=bool(data.get("tts")),
        )
        return Reply(200, self._message_payload(message))

    def _reply_target(self, channel: Channel, reference: dict[str, Any] | None, perms: int) -> StoredMessage | None:
        if not reference or reference.get("message_id") is None:
            return None
        if not perms & READ_MESSAGE_HISTORY:
            raise errors.missing_permissions()
        target = self._world.messages.get(int(reference["message_id"]))
        ref_channel = int(reference.get("channel_id") or channel.id)
        if target is None or target.deleted or target.ephemeral or target.channel_id != ref_channel:
            if reference.get("fail_if_not_exists", True):
                raise form_error([FieldError(("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message")])
            return None
        return target

    async def edit_message(self, request: web.Request, channel_id: str, message_id: str) -> Reply:
        """PATCH /channels/{c}/messages/{m}: only the author edits content; archived threads refuse (50083)."""
        channel, perms = self._visible_channel(channel_id)
        message = self._channel_message(channel, message_id)
        body = await read_body(request)
        data = self._validated(body)
        if message.author.id != self._world.bot_user.id and (set(data) - {"flags"} or not perms & MANAGE_MESSAGES):
            raise DiscordHTTPError(
                403, errors.CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        if data.get("embeds") and not perms & EMBED_LINKS:
            self._fake.record_violation(
                errors.EMBEDS_DROPPED,
                200,
                "embeds dropped: missing Embed Links",
                method="PATCH",
                route="/channels/{channel_id}/messages/{message_id}",
            )
            data = {**data, "embeds": []}
        if channel.is_thread and channel.archived:
            raise DiscordHTTPError(400, errors.THREAD_ARCHIVED, "Thread is archived")
        attachments = self._attachments(body, channel, message.attachments)
        if attachments is not None and len(attachments) > len(message.attachments) and not perms & ATTACH_FILES:
            raise errors.missing_permissions()
        self._fake.messenger.edit(message, data, attachments=attachments)
        return Reply(200, self._message_payload(message))

    async def delete_message(self, request: web.Request, channel_id: str, message_id: str) -> Reply:
        """DELETE /channels/{c}/messages/{m}: own messages, or anyone's with Manage Messages."""
        channel, perms = self._visible_channel(channel_id)
        message = self._channel_message(channel, message_id)
        if message.author.id != self._world.bot_user.id and not perms & MANAGE_MESSAGES:
            raise errors.missing_permissions()
        self._fake.messenger.delete(message)
        return Reply(204)
