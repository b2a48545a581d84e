"""Interaction records: the state of one interaction on the fake's side and what tests await on it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import Channel, Member

if TYPE_CHECKING:
    from .readers import MessageView
    from .server import FakeDiscord

# Interaction types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5

# Callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
MODAL = 9
CALLBACK_NAMES = {
    CHANNEL_MESSAGE: "message",
    DEFERRED_CHANNEL_MESSAGE: "deferred",
    DEFERRED_UPDATE_MESSAGE: "deferred_update",
    UPDATE_MESSAGE: "update",
    MODAL: "modal",
}


@dataclasses.dataclass
class InteractionResponse:
    """The initial response a bot gave to an interaction."""

    type: int
    ephemeral: bool
    message_id: int | None
    modal: dict[str, Any] | None
    at: float
    _fake: FakeDiscord = dataclasses.field(repr=False)

    @property
    def kind(self) -> str:
        """``message``, ``deferred``, ``deferred_update``, ``update`` or ``modal``."""
        return CALLBACK_NAMES.get(self.type, str(self.type))

    @property
    def message(self) -> MessageView | None:
        """The response message as it is now (after any edits), or None for modals/deferred updates."""
        if self.message_id is None:
            return None
        return self._fake.message(self.message_id)


class InteractionRecord:
    """An interaction a test user started; await ``wait_response`` / ``wait_for`` instead of sleeping."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        interaction_id: int,
        token: str,
        type_: int,
        member: Member,
        channel: Channel,
        payload: dict[str, Any],
        source_message_id: int | None = None,
    ) -> None:
        self._fake = fake
        self.id = interaction_id
        self.token = token
        self.type = type_
        self.member = member
        self.user = member.user
        self.channel = channel
        self.payload = payload
        self.source_message_id = source_message_id
        self.created_at = time.monotonic()
        self.response: InteractionResponse | None = None
        self.original_message_id: int | None = None
        self.followup_ids: list[int] = []
        self.loading = False
        self.deadline_handle: asyncio.TimerHandle | None = None
        # What the person's client sent along to recognise the outcome (INTERACTION_SUCCESS/FAILURE) as its own.
        self.nonce: str | None = None

    def __repr__(self) -> str:
        return f"<InteractionRecord id={self.id} type={self.type} user={self.user.username!r}>"

    @property
    def responded(self) -> bool:
        """Whether the bot has sent the initial callback."""
        return self.response is not None

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened in response, if any."""
        return None if self.response is None else self.response.modal

    @property
    def original(self) -> MessageView | None:
        """The original response message now (``@original``), if there is one."""
        return None if self.original_message_id is None else self._fake.message(self.original_message_id)

    @property
    def followups(self) -> list[MessageView]:
        """Followup messages in the order they were sent, as they are now."""
        return [self._fake.message(i) for i in self.followup_ids]

    @property
    def messages(self) -> list[MessageView]:
        """The original response (if a message) and every followup."""
        out = [] if self.original is None else [self.original]
        return out + [m for m in self.followups if m.id != self.original_message_id]

    def age(self) -> float:
        """Seconds since the interaction was created."""
        return time.monotonic() - self.created_at

    async def wait_response(self, timeout: float = 5.0) -> InteractionResponse:
        """Wait for the initial callback."""
        await self._fake.wait_until(
            lambda: self.response is not None, timeout=timeout, message=f"no response to {self!r}"
        )
        assert self.response is not None
        return self.response

    async def wait_for(
        self,
        predicate: Callable[[InteractionRecord], bool],
        timeout: float = 5.0,
        message: str = "",
    ) -> InteractionRecord:
        """Wait until ``predicate(self)`` holds (e.g. ``lambda ix: len(ix.followups) == 2``)."""
        await self._fake.wait_until(
            lambda: predicate(self), timeout=timeout, message=message or f"condition on {self!r}"
        )
        return self

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[MessageView]:
        """Wait until at least ``count`` followups exist and return them."""
        await self.wait_for(lambda ix: len(ix.followup_ids) >= count, timeout=timeout, message=f"{count} followups")
        return self.followups

    async def wait_done(self, timeout: float = 5.0) -> MessageView:
        """Wait until the response message is no longer a "thinking…" placeholder and return it."""
        await self.wait_for(
            lambda ix: ix.original_message_id is not None and not ix.loading,
            timeout=timeout,
            message="a non-loading original response",
        )
        original = self.original
        assert original is not None
        return original
