"""Live events for people's own Discord clients, as Discord's user gateway sends them: messages, threads
and channel changes they may see, their ephemeral messages, and how their interactions went
(INTERACTION_SUCCESS, INTERACTION_FAILURE, INTERACTION_MODAL_CREATE).

The bot's gateway (gateway.py) is untouched by this: the feed only watches what the stand-in shows.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from .models import User
from .permissions import VIEW_CHANNEL

if TYPE_CHECKING:
    from .server import FakeDiscord

MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"})
CHANNEL_EVENTS = frozenset(
    {"CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE"}
)
GUILD_EVENTS = frozenset(
    {
        "GUILD_CREATE",
        "GUILD_UPDATE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_UPDATE",
        "GUILD_MEMBER_REMOVE",
    }
)
MAX_BACKLOG = 10_000  # a client this far behind is cut off; it reconnects and reloads, as Discord's would


@dataclasses.dataclass(frozen=True)
class ClientEvent:
    """One event for one person's client: Discord's event name and its payload (shared: do not mutate)."""

    type: str
    data: dict[str, Any]


class Subscription:
    """The events of one connected client, in order. ``get`` raises ``ConnectionResetError`` once it is
    closed (by the client leaving, the feed closing, or the client falling ``MAX_BACKLOG`` events behind)."""

    def __init__(self, feed: ClientFeed, user: User) -> None:
        self.user = user
        self._feed = feed
        self._queue: asyncio.Queue[ClientEvent | None] = asyncio.Queue()
        self.closed = False

    def push(self, event: str, data: dict[str, Any]) -> None:
        """Queue an event (also used by a client's own requests, so answers stay in order with events)."""
        if self.closed:
            return
        if self._queue.qsize() >= MAX_BACKLOG:
            self.close()
            return
        self._queue.put_nowait(ClientEvent(event, data))

    async def get(self) -> ClientEvent:
        """The next event."""
        if self.closed and self._queue.empty():
            raise ConnectionResetError("the feed subscription is closed")
        item = await self._queue.get()
        if item is None:
            raise ConnectionResetError("the feed subscription is closed")
        return item

    def drain(self) -> list[ClientEvent]:
        """The events already queued, without waiting."""
        out = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                out.append(item)
        return out

    def close(self) -> None:
        """Stop receiving; a pending ``get`` wakes up and raises."""
        if not self.closed:
            self.closed = True
            self._feed.forget(self)
            self._queue.put_nowait(None)


class ClientFeed:
    """Fans what the stand-in shows out to subscribed people, each getting only what they may see."""

    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._world = fake.world
        self._subscriptions: set[Subscription] = set()
        fake.watchers.append(self._watch)

    def subscribe(self, user: User) -> Subscription:
        """Start receiving events for ``user``."""
        subscription = Subscription(self, user)
        self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: Subscription) -> None:
        """Drop a closed subscription."""
        self._subscriptions.discard(subscription)

    def close(self) -> None:
        """Stop watching the stand-in and close every subscription."""
        if self._watch in self._fake.watchers:
            self._fake.watchers.remove(self._watch)
        for subscription in list(self._subscriptions):
            subscription.close()

    # ---- who sees what -------------------------------------------------------------------------------------
    def _watch(self, event: str, payload: dict[str, Any], only_user_id: int | None) -> None:
        for subscription in list(self._subscriptions):
            if self._audience(event, payload, only_user_id, subscription.user):
                subscription.push(event, payload)

    def _audience(self, event: str, payload: dict[str, Any], only_user_id: int | None, user: User) -> bool:
        if only_user_id is not None:
            return user.id == only_user_id
        if event in MESSAGE_EVENTS:
            return self._can_view(payload.get("channel_id"), user)
        if event in CHANNEL_EVENTS:
            return self._can_view(payload.get("id"), user)
        if event in GUILD_EVENTS:
            guild_id = payload.get("guild_id") or payload.get("id")
            guild = self._world.guilds.get(int(guild_id)) if guild_id else None
            return guild is not None and user.id in guild.members
        return False  # READY, INTERACTION_CREATE, member chunks…: the bot's business only

    def _can_view(self, channel_id: Any, user: User) -> bool:
        channel = self._world.channels.get(int(channel_id)) if channel_id else None
        return channel is not None and bool(self._world.permissions_in(channel, user.id) & VIEW_CHANNEL)
