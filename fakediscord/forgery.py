"""What a modified client (or a self-bot) can send that an honest Discord client never would.

Discord builds an interaction from what the client posts to ``/interactions``: the channel it is sent from, the
message it names and the ``data`` as written. It checks that the user is in the server and can see the channel,
and little else: a modal submission's ``custom_id`` and fields are the client's word (Discord does not tie it to a
modal it showed), and a component press carries whatever ``custom_id`` the client wrote. So the bot must check
every custom ID itself; these actions let a test send exactly what such a client would, where ``Actors`` refuses
what the official client cannot do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ActionRefused
from .interactions import MESSAGE_COMPONENT, MODAL_SUBMIT, InteractionRecord
from .models import Channel, User
from .permissions import SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL, has_all
from .readers import MessageView

if TYPE_CHECKING:
    from .actors import Actors, MessageRef
    from .server import FakeDiscord

TEXT_INPUT, LABEL = 4, 18


class ModifiedClient:
    """Forged interactions and replies, delivered over the gateway like the real ones."""

    def __init__(self, fake: FakeDiscord, actors: Actors) -> None:
        self._fake = fake
        self._actors = actors
        self._world = fake.world

    async def click(self, user: User, message: MessageRef, custom_id: str) -> InteractionRecord:
        """A button press with any ``custom_id`` on one of the bot's messages that the user can see (the message
        need not have such a button): the interaction comes from that message's channel, with that message."""
        stored = self._actors._stored(message)
        self._actors._can_see(user, stored)
        if stored.author.id != self._world.bot_user.id:
            raise ActionRefused("Discord sends a button press to the application whose message it is, not the bot")
        channel = self._world.channels[stored.channel_id]
        member = self._actors._member(user, channel)
        data = {"custom_id": custom_id, "component_type": 2}
        record = self._actors._start(MESSAGE_COMPONENT, member, channel, data, source=stored)
        await asyncio.sleep(0)
        return record

    async def submit_modal(
        self,
        user: User,
        channel: Channel,
        custom_id: str,
        values: Mapping[str, str],
        *,
        message: MessageRef | None = None,
    ) -> InteractionRecord:
        """A modal submission that no modal was shown for: any ``custom_id`` and text fields, sent from
        ``channel`` (optionally naming a message the user can see there, as a form opened by a button does)."""
        channel = self._world.resolve_channel(channel)
        member = self._actors._member(user, channel)
        if not self._world.permissions_in(channel, user.id) & VIEW_CHANNEL:
            raise ActionRefused(f"{user.username} cannot see #{channel.name}")
        source = None
        if message is not None:
            source = self._actors._stored(message)
            self._actors._can_see(user, source)
            if source.channel_id != channel.id:
                raise ActionRefused("an interaction's message is one of the channel it comes from")
        fields = [
            {"type": LABEL, "component": {"type": TEXT_INPUT, "custom_id": name, "value": value}}
            for name, value in values.items()
        ]
        data = {"custom_id": custom_id, "components": fields}
        record = self._actors._start(MODAL_SUBMIT, member, channel, data, source=source)
        await asyncio.sleep(0)
        return record

    async def reply_elsewhere(self, user: User, channel: Channel, text: str, *, reply_to: MessageRef) -> MessageView:
        """A message in ``channel`` whose reply reference names a message of another channel (the official
        client only replies within a channel; whether Discord refuses such a reference is not something the
        bot may count on, so the stand-in delivers it)."""
        channel = self._world.resolve_channel(channel)
        self._actors._member(user, channel)
        send = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
        if not has_all(self._world.permissions_in(channel, user.id), VIEW_CHANNEL | send):
            raise ActionRefused(f"{user.username} cannot send messages in #{channel.name}")
        target = self._actors._stored(reply_to)
        self._actors._can_see(user, target)
        message = self._fake.messenger.create(channel, user, content=text, reply_to=target,
                                              record_allowed_mentions=False)
        await asyncio.sleep(0)
        return self._fake.message(message.id)
