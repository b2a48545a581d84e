"""State the fake keeps: users, roles, members, channels, threads, messages, attachments, commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import mimetypes
from typing import Any

# Channel types.
TEXT = 0
NEWS = 5
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15

# Message types.
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20

# Overwrite target types.
OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1


@dataclasses.dataclass(eq=False)
class User:
    """A Discord account (a person or the bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention string."""
        return f"<@{self.id}>"


@dataclasses.dataclass(eq=False)
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        """The ``<@&id>`` mention string."""
        return f"<@&{self.id}>"


@dataclasses.dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int
    deny: int


@dataclasses.dataclass(eq=False)
class Member:
    """A user's membership of one guild."""

    user: User
    guild_id: int
    role_ids: list[int]
    joined_at: str
    nick: str | None = None

    @property
    def id(self) -> int:
        """The member's user id."""
        return self.user.id


@dataclasses.dataclass(eq=False)
class Channel:
    """A guild text channel or a thread (thread-only fields are ignored for channels)."""

    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: dict[int, Overwrite] = dataclasses.field(default_factory=dict)
    last_message_id: int | None = None
    # Threads only.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: str | None = None
    create_timestamp: str | None = None
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: set[int] = dataclasses.field(default_factory=set)

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread."""
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        """The ``<#id>`` mention string."""
        return f"<#{self.id}>"


@dataclasses.dataclass(eq=False)
class StoredAttachment:
    """An uploaded file, served by the fake's CDN route."""

    id: int
    channel_id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file a test user is about to upload (see ``FakeDiscord.attachment``)."""

    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None

    def guessed_content_type(self) -> str | None:
        """The content type Discord would report (from the filename when not given)."""
        return self.content_type or mimetypes.guess_type(self.filename)[0]


@dataclasses.dataclass(frozen=True)
class Revision:
    """A message's state before one edit."""

    at: dt.datetime
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[str]
    flags: int


@dataclasses.dataclass(eq=False)
class StoredMessage:
    """A message as the fake stores it (the source of both payloads and test-facing views)."""

    id: int
    channel_id: int
    guild_id: int
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    components: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    attachments: list[StoredAttachment] = dataclasses.field(default_factory=list)
    flags: int = 0
    type: int = MESSAGE_DEFAULT
    timestamp: str = ""
    edited_timestamp: str | None = None
    mention_user_ids: list[int] = dataclasses.field(default_factory=list)
    mention_role_ids: list[int] = dataclasses.field(default_factory=list)
    mention_everyone: bool = False
    reference: dict[str, Any] | None = None
    allowed_mentions: dict[str, Any] | None = None
    nonce: str | int | None = None
    tts: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    thread_id: int | None = None
    ephemeral_user_id: int | None = None
    interaction_token: str | None = None
    # Whether Discord lets an app without the Message Content intent read this message (it mentions the app,
    # or it is a reply that pings a regular, non-interaction message of the app).
    readable_without_intent: bool = False
    deleted: bool = False
    revisions: list[Revision] = dataclasses.field(default_factory=list)
    allowed_mentions_history: list[dict[str, Any] | None] = dataclasses.field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        """Whether only one user can see this message."""
        return bool(self.flags & FLAG_EPHEMERAL)

    def snapshot(self) -> Revision:
        """Capture the current visible state (before an edit)."""
        return Revision(
            at=dt.datetime.now(dt.UTC),
            content=self.content,
            embeds=[dict(e) for e in self.embeds],
            components=list(self.components),
            attachments=[a.filename for a in self.attachments],
            flags=self.flags,
        )


@dataclasses.dataclass(eq=False)
class AppCommand:
    """A synced application command (global when ``guild_id`` is None)."""

    id: int
    name: str
    type: int
    data: dict[str, Any]
    guild_id: int | None
    version: int
