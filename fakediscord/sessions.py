"""Gateway plumbing: opcodes, intents, one websocket connection, one session and the shard it serves.

Sharding as Discord documents it: a session IDENTIFYs with ``shard: [shard_id, num_shards]`` (none means
``[0, 1]``) and receives only the events of the guilds with ``(guild_id >> 22) % num_shards == shard_id``;
events that belong to no guild (DMs) go to shard 0 only. An invalid pair closes the socket with 4010; a
shard that would hold more guilds than one session may closes it with 4011 (sharding required).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from aiohttp import web

# Opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, ACK = (
    0,
    1,
    2,
    3,
    4,
    6,
    7,
    8,
    9,
    10,
    11,
)

# Close codes a sharded client can meet.
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011

# Intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
MESSAGE_CONTENT = 1 << 15

HEARTBEAT_INTERVAL_MS = 41250
MAX_GUILDS_PER_SHARD = 2500  # Discord: a session handling more must shard (close 4011)

EVENT_INTENTS: dict[str, int] = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "THREAD_MEMBER_UPDATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "THREAD_MEMBERS_UPDATE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
}

# Events whose guild is the payload itself rather than its ``guild_id``.
_GUILD_OBJECT_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def shard_of(guild_id: int, num_shards: int) -> int:
    """The shard that receives a guild's events (Discord's formula)."""
    return (guild_id >> 22) % num_shards


def guild_of_event(event: str, payload: dict[str, Any]) -> int | None:
    """The guild an event belongs to; None for events outside any guild (they go to shard 0)."""
    value = payload.get("id") if event in _GUILD_OBJECT_EVENTS else payload.get("guild_id")
    return int(value) if value is not None else None


def parse_shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` field as ``(shard_id, num_shards)``; None when it is not a valid pair."""
    if value is None:
        return (0, 1)
    if not isinstance(value, list) or len(value) != 2 or not all(type(v) is int for v in value):
        return None
    shard_id, num_shards = value
    return (shard_id, num_shards) if num_shards >= 1 and 0 <= shard_id < num_shards else None


@dataclasses.dataclass(frozen=True)
class GrantedIntents:
    """Which privileged intents the fake application has been granted (the developer-portal switches)."""

    message_content: bool = True
    members: bool = False
    presences: bool = False

    def refused(self, requested: int) -> int:
        """The privileged bits in ``requested`` that are not granted (a non-zero result means close 4014)."""
        missing = 0
        if requested & MESSAGE_CONTENT and not self.message_content:
            missing |= MESSAGE_CONTENT
        if requested & GUILD_MEMBERS and not self.members:
            missing |= GUILD_MEMBERS
        if requested & GUILD_PRESENCES and not self.presences:
            missing |= GUILD_PRESENCES
        return missing


_CLOSE = object()


class Connection:
    """One websocket; a writer task sends queued frames in order so ``dispatch`` can stay synchronous."""

    def __init__(self, ws: web.WebSocketResponse, path: str) -> None:
        self.ws = ws
        self.path = path
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.session: Session | None = None
        self.close_code: int | None = None
        self.writer: asyncio.Task[None] | None = None

    def send(self, frame: str) -> None:
        """Queue a text frame."""
        self.queue.put_nowait(frame)

    def close(self, code: int) -> None:
        """Close after the frames already queued (the first code wins)."""
        if self.close_code is None:
            self.close_code = code
            self.queue.put_nowait(_CLOSE)

    async def run_writer(self) -> None:
        """Send queued frames in order until closed."""
        try:
            while True:
                frame = await self.queue.get()
                if frame is _CLOSE:
                    await self.ws.close(code=self.close_code or 1000)
                    return
                await self.ws.send_str(frame)
        except (ConnectionResetError, RuntimeError):
            # The peer went away mid-send; the reader side notices and cleans up.
            return


@dataclasses.dataclass
class Session:
    """A gateway session: what it asked for, the shard it serves, and what it was sent (for RESUME)."""

    session_id: str
    intents: int
    shard: tuple[int, int] = (0, 1)  # (shard_id, num_shards)
    sharded: bool = False  # whether IDENTIFY named a shard (READY then echoes it)
    seq: int = 0
    backlog: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    connection: Connection | None = None

    def receives(self, guild_id: int | None) -> bool:
        """Whether this session's shard gets the events of ``guild_id`` (None: outside any guild)."""
        shard_id, num_shards = self.shard
        return shard_id == 0 if guild_id is None else shard_of(guild_id, num_shards) == shard_id


@dataclasses.dataclass(frozen=True)
class IdentifyRecord:
    """What the client sent in one IDENTIFY (token left out), and when (``time.monotonic()``)."""

    intents: int
    properties: dict[str, Any]
    path: str
    shard: tuple[int, int] | None = None  # as sent; None when the client did not shard
    at: float = 0.0
