"""What one person's own Discord client shows them: their servers, the channels and threads they may see,
the messages there (their own ephemeral ones included), and the slash commands the client would offer.

Everything is returned in Discord's JSON shapes (the ones in ``payloads``), so a web client of the stand-in
reads the same objects a real client would. Reading never changes the world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import ActionRefused
from .models import Channel, Member, StoredMessage, User
from .permissions import READ_MESSAGE_HISTORY, VIEW_CHANNEL
from .world import Guild

if TYPE_CHECKING:
    from .server import FakeDiscord

CHAT_INPUT = 1
HISTORY_LIMIT = 100  # what the client loads when a channel is opened, as Discord's own client does


class ClientView:
    """One signed-in person's view of the stand-in."""

    def __init__(self, fake: FakeDiscord, user: User) -> None:
        self._fake = fake
        self._world = fake.world
        self.user = user

    # ---- places --------------------------------------------------------------------------------------------
    def guilds(self) -> list[Guild]:
        """The servers this person is a member of, oldest first."""
        return [g for g in self._world.guilds.values() if self.user.id in g.members]

    def member(self, channel: Channel) -> Member:
        """This person's membership of the channel's server (ActionRefused if they are not in it)."""
        member = self._world.member(channel.guild_id, self.user.id)
        if member is None:
            raise ActionRefused(f"{self.user.username} is not a member of the server of #{channel.name}")
        return member

    def permissions(self, channel: Channel) -> int:
        """This person's resolved permissions in a channel or thread."""
        return self._world.permissions_in(channel, self.user.id)

    def can_view(self, channel: Channel) -> bool:
        """Whether the channel (or the thread's parent) is visible to this person."""
        return bool(self.permissions(channel) & VIEW_CHANNEL)

    def guild_state(self, guild: Guild) -> dict[str, Any]:
        """One server as the sidebar and the pickers need it: visible channels with their threads, roles,
        members. Each channel carries this person's resolved ``permissions``, as in interaction payloads."""
        channels = []
        for channel in guild.channels:
            if not self.can_view(channel):
                continue
            threads = [self._with_permissions(payloads.thread(t), t) for t in self._world.threads_of(channel.id)]
            channels.append({**self._with_permissions(payloads.channel(channel), channel), "threads": threads})
        return {
            "id": str(guild.id),
            "name": guild.name,
            "owner_id": str(guild.owner_id),
            "channels": channels,
            "roles": [payloads.role(r) for r in sorted(guild.roles.values(), key=lambda r: -r.position)],
            "members": [payloads.member(m) for m in guild.members.values()],
        }

    def _with_permissions(self, data: dict[str, Any], channel: Channel) -> dict[str, Any]:
        return {**data, "permissions": str(self.permissions(channel))}

    # ---- messages ------------------------------------------------------------------------------------------
    def messages(self, channel: Channel, *, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
        """The newest ``limit`` messages this person sees in a channel, oldest first (ephemeral ones only if
        they are theirs; nothing without Read Message History, as Discord shows nothing then either)."""
        if not self.can_view(channel) or not self.permissions(channel) & READ_MESSAGE_HISTORY:
            return []
        visible = [m for m in self._world.messages_in(channel.id) if self.sees(m)]
        return [payloads.message(self._world, m, gateway=True) for m in visible[-limit:]]

    def sees(self, message: StoredMessage) -> bool:
        """Whether this message is on this person's screen (not deleted, not someone else's ephemeral)."""
        return not message.deleted and message.ephemeral_user_id in (None, self.user.id)

    # ---- commands ------------------------------------------------------------------------------------------
    def commands(self, channel: Channel) -> list[dict[str, Any]]:
        """The slash commands the client lists in this channel: the server's own, then global ones it does
        not shadow, minus those hidden from this person (default_member_permissions, contexts)."""
        member = self.member(channel)
        found = dict(self._world.commands.get(None, {}))
        found.update(self._world.commands.get(channel.guild_id, {}))
        offered = [
            c
            for (_name, type_), c in sorted(found.items())
            if type_ == CHAT_INPUT and self._fake.actors.command_refusal(member, channel, c) is None
        ]
        return [payloads.command(self._world, c) for c in offered]
