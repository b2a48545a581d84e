"""Message lifecycle shared by REST handlers and test actors: mentions, storage, edits, gateway events."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import payloads
from .errors import EMPTY_MESSAGE, THREAD_ARCHIVED, DiscordHTTPError
from .models import (
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    MESSAGE_DEFAULT,
    MESSAGE_REPLY,
    Channel,
    StoredAttachment,
    StoredMessage,
    User,
)
from .permissions import MENTION_EVERYONE
from .snowflakes import iso, now_iso, snowflake_time
from .validation import is_empty_message
from .world import World

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)\b")

Dispatch = Callable[..., None]
# Told about ephemeral messages, which reach no gateway: only the one person's client shows them.
Private = Callable[[str, StoredMessage], None]


@dataclasses.dataclass(frozen=True)
class Mentions:
    """Who a message pings after ``allowed_mentions`` is applied."""

    users: list[int]
    roles: list[int]
    everyone: bool


def _number_components(components: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copy components, giving each a numeric ``id`` as Discord does when the sender left it out."""
    counter = 0

    def visit(component: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        out = dict(component)
        out.setdefault("id", counter)
        if isinstance(out.get("components"), list):
            out["components"] = [visit(c) for c in out["components"]]
        for key in ("accessory", "component"):
            if isinstance(out.get(key), Mapping):
                out[key] = visit(out[key])
        return out

    return [visit(c) for c in components]


class Messenger:
    """Creates, edits and deletes stored messages and dispatches the matching gateway events."""

    def __init__(self, world: World, dispatch: Dispatch, *, private: Private | None = None) -> None:
        self._world = world
        self._dispatch = dispatch
        self._private: Private = private or (lambda _event, _message: None)
        self._nonces: dict[tuple[int, int, str], int] = {}

    # ---- mentions ------------------------------------------------------------------------------------------
    def mentions(
        self,
        channel: Channel,
        author: User,
        content: str,
        allowed: Mapping[str, Any] | None,
        *,
        replied: StoredMessage | None,
        default_parse: Sequence[str] = ("users", "roles", "everyone"),
    ) -> Mentions:
        """Apply Discord's mention parsing and ``allowed_mentions`` to content (and a reply's author)."""
        guild = self._world.guild_of(channel)
        parse = set(default_parse if allowed is None else allowed.get("parse") or [])
        explicit_users = None if allowed is None else {int(u) for u in allowed.get("users") or []}
        explicit_roles = None if allowed is None else {int(r) for r in allowed.get("roles") or []}
        users: list[int] = []
        for match in USER_MENTION.finditer(content):
            uid = int(match.group(1))
            allowed_user = "users" in parse or (explicit_users is not None and uid in explicit_users)
            if uid in self._world.users and allowed_user and uid not in users:
                users.append(uid)
        can_everyone = bool(self._world.permissions_in(channel, author.id) & MENTION_EVERYONE)
        roles: list[int] = []
        for match in ROLE_MENTION.finditer(content):
            rid = int(match.group(1))
            role = guild.roles.get(rid)
            allowed_role = "roles" in parse or (explicit_roles is not None and rid in explicit_roles)
            if role is not None and allowed_role and (role.mentionable or can_everyone) and rid not in roles:
                roles.append(rid)
        everyone = bool(EVERYONE_MENTION.search(content)) and "everyone" in parse and can_everyone
        if replied is not None:
            replied_user = True if allowed is None else bool(allowed.get("replied_user", False))
            if replied_user and replied.author.id != author.id and replied.author.id not in users:
                users.append(replied.author.id)
        return Mentions(users=users, roles=roles, everyone=everyone)

    def readable_without_intent(self, author: User, content: str, replied: StoredMessage | None, pinged: bool) -> bool:
        """Discord's Message Content exceptions: the app's own messages, mentions of the app, and replies
        that ping a regular (non-interaction) message of the app."""
        bot_id = self._world.bot_user.id
        if author.id == bot_id:
            return True
        if any(int(m.group(1)) == bot_id for m in USER_MENTION.finditer(content)):
            return True
        return (
            replied is not None
            and pinged
            and replied.author.id == bot_id
            and replied.interaction_metadata is None
            and replied.webhook_id is None
        )

    # ---- create / edit / delete ----------------------------------------------------------------------------
    def existing_nonce(self, channel: Channel, author: User, nonce: str | int | None) -> StoredMessage | None:
        """The message already created with this nonce (``enforce_nonce``), if any."""
        if nonce is None:
            return None
        found = self._nonces.get((channel.id, author.id, str(nonce)))
        return None if found is None else self._world.messages.get(found)

    def create(
        self,
        channel: Channel,
        author: User,
        *,
        content: str = "",
        embeds: Sequence[Mapping[str, Any]] = (),
        components: Sequence[Mapping[str, Any]] = (),
        attachments: Sequence[StoredAttachment] = (),
        flags: int = 0,
        reply_to: StoredMessage | None = None,
        allowed_mentions: Mapping[str, Any] | None = None,
        record_allowed_mentions: bool = True,
        default_parse: Sequence[str] = ("users", "roles", "everyone"),
        nonce: str | int | None = None,
        tts: bool = False,
        webhook_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        ephemeral_user_id: int | None = None,
        interaction_token: str | None = None,
        message_type: int | None = None,
        check_empty: bool = True,
    ) -> StoredMessage:
        """Store a new message and dispatch MESSAGE_CREATE (unless ephemeral)."""
        if check_empty and is_empty_message(
            content=content, embeds=embeds, attachments=len(attachments), components=components, stickers=()
        ):
            raise DiscordHTTPError(400, EMPTY_MESSAGE, "Cannot send an empty message")
        mentions = self.mentions(
            channel, author, content, allowed_mentions, replied=reply_to, default_parse=default_parse
        )
        pinged = reply_to is not None and reply_to.author.id in mentions.users
        message_id = self._world.ids.next()
        reference = None
        if reply_to is not None:
            reference = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                "guild_id": str(reply_to.guild_id),
            }
        if message_type is None:
            message_type = MESSAGE_REPLY if reply_to is not None else MESSAGE_DEFAULT
        message = StoredMessage(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=content or "",
            embeds=[dict(e) for e in embeds],
            components=_number_components(components),
            attachments=list(attachments),
            flags=flags,
            type=message_type,
            timestamp=iso(snowflake_time(message_id)),
            mention_user_ids=mentions.users,
            mention_role_ids=mentions.roles,
            mention_everyone=mentions.everyone,
            reference=reference,
            allowed_mentions=dict(allowed_mentions)
            if allowed_mentions is not None and record_allowed_mentions
            else None,
            nonce=nonce,
            tts=tts,
            webhook_id=webhook_id,
            application_id=self._world.application_id if webhook_id is not None else None,
            interaction_metadata=interaction_metadata,
            ephemeral_user_id=ephemeral_user_id,
            interaction_token=interaction_token,
            readable_without_intent=self.readable_without_intent(author, content or "", reply_to, pinged),
        )
        if record_allowed_mentions:
            message.allowed_mentions_history.append(message.allowed_mentions)
        if nonce is not None:
            self._nonces[(channel.id, author.id, str(nonce))] = message.id
        if channel.is_thread:
            channel.member_ids.add(author.id)
        self._world.add_message(message)
        if ephemeral_user_id is None:
            self.publish("MESSAGE_CREATE", message)
        else:
            self._private("MESSAGE_CREATE", message)
        return message

    def edit(
        self,
        message: StoredMessage,
        body: Mapping[str, Any],
        *,
        attachments: Sequence[StoredAttachment] | None = None,
        clear_loading: bool = False,
    ) -> StoredMessage:
        """Apply an edit body to a message, keeping the previous state in ``revisions``."""
        channel = self._world.channels[message.channel_id]
        if channel.is_thread and channel.archived:
            raise DiscordHTTPError(400, THREAD_ARCHIVED, "Thread is archived")
        before = message.snapshot()
        content = message.content
        if "content" in body:
            content = body["content"] or ""
        embeds = message.embeds if "embeds" not in body else [dict(e) for e in body["embeds"] or []]
        components = message.components if "components" not in body else _number_components(body["components"] or [])
        new_attachments = message.attachments if attachments is None else list(attachments)
        flags = message.flags
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can be toggled on an existing message.
            flags = (flags & ~FLAG_SUPPRESS_EMBEDS) | (int(body["flags"]) & FLAG_SUPPRESS_EMBEDS)
        if clear_loading:
            flags &= ~FLAG_LOADING
        if (
            is_empty_message(
                content=content, embeds=embeds, attachments=len(new_attachments), components=components, stickers=()
            )
            and not flags & FLAG_LOADING
        ):
            raise DiscordHTTPError(400, EMPTY_MESSAGE, "Cannot send an empty message")
        allowed = body.get("allowed_mentions")
        # Mentions are only re-parsed when the edit carries content or allowed_mentions; an embed-only edit
        # (discord.py's Message.edit without content sends no allowed_mentions) keeps them as they were.
        reparse = "content" in body or "allowed_mentions" in body
        if reparse:
            replied = None
            if message.reference is not None:
                replied = self._world.messages.get(int(message.reference["message_id"]))
            default_parse = ("users",) if message.webhook_id is not None else ("users", "roles", "everyone")
            mentions = self.mentions(
                channel, message.author, content, allowed, replied=None, default_parse=default_parse
            )
            # An edit never adds or removes the reply ping that was decided when the message was sent.
            reply_ping = [u for u in message.mention_user_ids if replied is not None and u == replied.author.id]
            message.mention_user_ids = list(dict.fromkeys(mentions.users + reply_ping))
            message.mention_role_ids = mentions.roles
            message.mention_everyone = mentions.everyone
            message.allowed_mentions = None if allowed is None else dict(allowed)
        message.content = content
        message.embeds = embeds
        message.components = components
        message.attachments = new_attachments
        message.flags = flags
        message.allowed_mentions_history.append(None if allowed is None else dict(allowed))
        message.edited_timestamp = now_iso()
        message.revisions.append(before)
        self._world.on_change()
        if message.ephemeral_user_id is None:
            self.publish("MESSAGE_UPDATE", message)
        else:
            self._private("MESSAGE_UPDATE", message)
        return message

    def reopen_for_send(self, channel: Channel, *, can_manage_threads: bool) -> None:
        """Sending into an archived thread unarchives it, unless it is locked (THREAD_UPDATE)."""
        if not channel.is_thread or not channel.archived:
            return
        if channel.locked and not can_manage_threads:
            # What Discord answers here, also for a locked one (discord-api-docs #5517, #6884).
            raise DiscordHTTPError(400, THREAD_ARCHIVED, "Thread is archived")
        channel.archived = False
        channel.archive_timestamp = now_iso()
        self._dispatch("THREAD_UPDATE", payloads.thread(channel, bot_id=self._world.bot_user.id))

    def delete(self, message: StoredMessage) -> None:
        """Mark a message deleted and dispatch MESSAGE_DELETE."""
        message.deleted = True
        self._world.on_change()
        if message.ephemeral_user_id is None:
            self._dispatch(
                "MESSAGE_DELETE",
                {"id": str(message.id), "channel_id": str(message.channel_id), "guild_id": str(message.guild_id)},
            )
        else:
            self._private("MESSAGE_DELETE", message)

    def publish(self, event: str, message: StoredMessage) -> None:
        """Dispatch MESSAGE_CREATE/UPDATE with the content-stripped variant for sessions without the intent."""
        full = payloads.message(self._world, message, gateway=True)
        stripped = payloads.message(self._world, message, gateway=True, content_intent=False)
        self._dispatch(event, full, without_content=stripped)
