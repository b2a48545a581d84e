"""What a person would see: immutable views of messages built from the fake's stored state."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from .models import FLAG_EPHEMERAL, FLAG_LOADING, Revision, StoredAttachment, StoredMessage, User
from .snowflakes import snowflake_time


@dataclasses.dataclass(frozen=True)
class AttachmentView:
    """An attachment with its bytes."""

    id: int
    filename: str
    size: int
    content_type: str | None
    url: str
    data: bytes = dataclasses.field(repr=False)

    @classmethod
    def of(cls, attachment: StoredAttachment, url: str) -> AttachmentView:
        """Build from stored state."""
        return cls(
            id=attachment.id,
            filename=attachment.filename,
            size=attachment.size,
            content_type=attachment.content_type,
            url=url,
            data=attachment.data,
        )


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first (rows, containers, sections and their accessories included)."""
    for component in components:
        yield component
        yield from iter_components(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]
        if isinstance(component.get("component"), dict):
            yield component["component"]


@dataclasses.dataclass(frozen=True)
class MessageView:
    """A message as a user sees it now; ``edits`` holds earlier states, oldest first.

    ``mentions`` are the user ids actually pinged. ``allowed_mentions`` is the value that governs the current
    content: as sent with the create, or with the last edit that carried content or allowed_mentions (None means
    Discord's defaults applied). ``allowed_mentions_history`` is what each create/edit request sent (None if omitted).
    """

    id: int
    channel_id: int
    guild_id: int
    author: User
    content: str
    embeds: list[dict[str, Any]]
    attachments: list[AttachmentView]
    components: list[dict[str, Any]]
    flags: int
    type: int
    reference: dict[str, Any] | None
    mentions: list[int]
    mention_roles: list[int]
    mention_everyone: bool
    allowed_mentions: dict[str, Any] | None
    allowed_mentions_history: list[dict[str, Any] | None]
    edits: list[Revision]
    edited_at: str | None
    deleted: bool
    thread_id: int | None
    ephemeral_user_id: int | None
    interaction_id: int | None

    @classmethod
    def of(cls, message: StoredMessage, url_for: Any) -> MessageView:
        """Build from stored state; ``url_for`` maps a stored attachment to its CDN URL."""
        interaction_id = None
        if message.interaction_metadata is not None:
            interaction_id = int(message.interaction_metadata["id"])
        return cls(
            id=message.id,
            channel_id=message.channel_id,
            guild_id=message.guild_id,
            author=message.author,
            content=message.content,
            embeds=[dict(e) for e in message.embeds],
            attachments=[AttachmentView.of(a, url_for(a)) for a in message.attachments],
            components=list(message.components),
            flags=message.flags,
            type=message.type,
            reference=None if message.reference is None else dict(message.reference),
            mentions=list(message.mention_user_ids),
            mention_roles=list(message.mention_role_ids),
            mention_everyone=message.mention_everyone,
            allowed_mentions=message.allowed_mentions,
            allowed_mentions_history=list(message.allowed_mentions_history),
            edits=list(message.revisions),
            edited_at=message.edited_timestamp,
            deleted=message.deleted,
            thread_id=message.thread_id,
            ephemeral_user_id=message.ephemeral_user_id,
            interaction_id=interaction_id,
        )

    @property
    def created_at(self) -> dt.datetime:
        """Creation time (from the snowflake)."""
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        """Whether only one user sees it."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether it is still a deferred "thinking…" placeholder."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def reply_to(self) -> int | None:
        """The id of the message this one replies to."""
        return None if self.reference is None else int(self.reference["message_id"])

    @property
    def mentions_suppressed(self) -> bool:
        """Whether the allowed_mentions in force is "none" (parse nothing, no user/role lists, no reply ping)."""
        allowed = self.allowed_mentions
        if allowed is None:
            return False
        return not (allowed.get("parse") or allowed.get("users") or allowed.get("roles") or allowed.get("replied_user"))

    @property
    def embed(self) -> dict[str, Any] | None:
        """The first embed, if any."""
        return self.embeds[0] if self.embeds else None

    def all_components(self) -> list[dict[str, Any]]:
        """Every component, flattened."""
        return list(iter_components(self.components))

    def buttons(self) -> list[dict[str, Any]]:
        """Every button, in display order."""
        return [c for c in iter_components(self.components) if c.get("type") == 2]

    def button(self, key: str) -> dict[str, Any]:
        """The button whose custom_id or label is ``key`` (KeyError if absent)."""
        for button in self.buttons():
            if key in (button.get("custom_id"), button.get("label")):
                return button
        raise KeyError(f"no button {key!r} on message {self.id}; buttons: {[b.get('label') for b in self.buttons()]}")

    def component(self, custom_id: str) -> dict[str, Any] | None:
        """The component with this custom_id, if present."""
        for component in iter_components(self.components):
            if component.get("custom_id") == custom_id:
                return component
        return None

    def text(self) -> str:
        """Content plus embed titles/descriptions/fields, for quick ``in`` assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        for component in iter_components(self.components):
            if component.get("type") == 10:
                parts.append(component.get("content") or "")
        return "\n".join(p for p in parts if p)
