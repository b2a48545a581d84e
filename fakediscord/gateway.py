"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY, RESUME with replay, intents, dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .world import World

log = logging.getLogger(__name__)

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

# Intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
MESSAGE_CONTENT = 1 << 15

HEARTBEAT_INTERVAL_MS = 41250

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


class _Connection:
    """One websocket; a writer task sends queued frames in order so ``dispatch`` can stay synchronous."""

    def __init__(self, ws: web.WebSocketResponse, path: str) -> None:
        self.ws = ws
        self.path = path
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.session: _Session | None = None
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
class _Session:
    session_id: str
    intents: int
    seq: int = 0
    backlog: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    connection: _Connection | None = None


@dataclasses.dataclass(frozen=True)
class IdentifyRecord:
    """What the client sent in one IDENTIFY (token left out)."""

    intents: int
    properties: dict[str, Any]
    path: str


class Gateway:
    """Serves ``GET /`` and ``GET /resume/`` websockets for the single bot application of the fake."""

    def __init__(
        self,
        world: World,
        *,
        granted: GrantedIntents,
        resume_url: Callable[[], str],
        on_change: Callable[[], None],
    ) -> None:
        self._world = world
        self._granted = granted
        self._resume_url = resume_url
        self._on_change = on_change
        self._session: _Session | None = None
        self._connections: set[_Connection] = set()
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[str] = []
        self.close_codes: list[int] = []
        self.internal_errors: list[str] = []

    # ---- public --------------------------------------------------------------------------------------------
    @property
    def intents(self) -> int | None:
        """Intents of the current session (None before the first IDENTIFY)."""
        return None if self._session is None else self._session.intents

    @property
    def connected(self) -> bool:
        """Whether a session currently has a live socket."""
        return self._session is not None and self._session.connection is not None

    def dispatch(self, event: str, payload: dict[str, Any], *, without_content: dict[str, Any] | None = None) -> None:
        """Send (or buffer for RESUME) one dispatch, honouring intents; ``without_content`` is the stripped form."""
        session = self._session
        if session is None:
            return
        required = EVENT_INTENTS.get(event, 0)
        if required and not session.intents & required:
            return
        if without_content is not None and not session.intents & MESSAGE_CONTENT:
            payload = without_content
        session.seq += 1
        frame = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": payload})
        session.backlog.append((session.seq, frame))
        if session.connection is not None:
            session.connection.send(frame)

    def drop(self, code: int = 4000) -> None:
        """Close the current socket as a network failure would; later events wait in the backlog for RESUME."""
        session = self._session
        if session is None or session.connection is None:
            raise RuntimeError("no gateway connection to drop")
        connection = session.connection
        session.connection = None
        connection.session = None
        connection.close(code)

    def invalidate_session(self) -> None:
        """Forget the session so the next RESUME gets INVALID_SESSION (d=false)."""
        self._session = None

    async def close(self) -> None:
        """Close every socket and wait for their writer tasks."""
        for connection in list(self._connections):
            connection.close(1001)
        writers = [c.writer for c in self._connections if c.writer is not None]
        if writers:
            await asyncio.wait(writers, timeout=2.0)
        for writer in writers:
            writer.cancel()
        for writer in writers:
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    # ---- websocket handler ---------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for one gateway connection."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        connection = _Connection(ws, request.path)
        connection.writer = asyncio.create_task(connection.run_writer(), name="fake-discord-gateway-writer")
        self._connections.add(connection)
        connection.send(json.dumps({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    connection.close(4002)  # Decode error: the client only ever sends JSON text.
                    continue
                try:
                    self._on_frame(connection, json.loads(msg.data))
                except Exception as exc:
                    # A bug in the fake (or a frame it cannot parse): fail the test instead of hanging it.
                    log.exception("fake gateway crashed on %s", msg.data[:200])
                    self.internal_errors.append(f"gateway frame {msg.data[:80]!r}: {exc!r}")
                    connection.close(4002)
        finally:
            # The code the fake sent when it closed the socket, else the one the client sent.
            self.close_codes.append(connection.close_code or ws.close_code or 0)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
            if connection.close_code is None:
                connection.close(1000)
            await asyncio.wait([connection.writer], timeout=2.0)
            connection.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connection.writer
            self._connections.discard(connection)
            self._on_change()
        return ws

    def _on_frame(self, connection: _Connection, frame: dict[str, Any]) -> None:
        op, raw = frame.get("op"), frame.get("d")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if op == HEARTBEAT:
            connection.send(json.dumps({"op": ACK}))
        elif op in (IDENTIFY, RESUME, REQUEST_MEMBERS) and not isinstance(raw, dict):
            connection.close(4002)  # Decode error: these opcodes carry an object.
        elif op == IDENTIFY:
            self._identify(connection, data)
        elif op == RESUME:
            self._resume(connection, data)
        elif connection.session is None:
            connection.close(4003)  # Not authenticated.
        elif op == REQUEST_MEMBERS:
            self._request_members(data)
        elif op in (PRESENCE, VOICE):
            return
        else:
            connection.close(4001)  # Unknown opcode.
        self._on_change()

    def _identify(self, connection: _Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            connection.close(4005)  # Already authenticated.
            return
        if data.get("token") != self._world.bot_token:
            connection.close(4004)
            return
        intents = int(data.get("intents", 0))
        self.identifies.append(
            IdentifyRecord(intents=intents, properties=data.get("properties", {}), path=connection.path)
        )
        if self._granted.refused(intents):
            connection.close(4014)
            return
        session = _Session(session_id=secrets.token_hex(16), intents=intents, connection=connection)
        self._session = session
        connection.session = session
        flags = payloads.application_flags(
            message_content=self._granted.message_content,
            members=self._granted.members,
            presences=self._granted.presences,
        )
        self.dispatch(
            "READY",
            payloads.ready(
                self._world, session_id=session.session_id, resume_gateway_url=self._resume_url(), flags=flags
            ),
        )
        for guild in self._world.guilds.values():
            self.dispatch("GUILD_CREATE", payloads.guild_create(self._world, guild))

    def _resume(self, connection: _Connection, data: dict[str, Any]) -> None:
        session = self._session
        if data.get("token") != self._world.bot_token:
            connection.close(4004)
            return
        if session is None or data.get("session_id") != session.session_id:
            connection.send(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        if session.connection is not None and session.connection is not connection:
            old = session.connection
            old.session = None
            old.close(4000)
        session.connection = connection
        connection.session = session
        self.resumes.append(connection.path)
        last_seen = int(data.get("seq") or 0)
        for seq, frame in session.backlog:
            if seq > last_seen:
                connection.send(frame)
        # discord.py writes into the RESUMED payload, so it must be an object, not null.
        self.dispatch("RESUMED", {"_trace": ["fake-discord"]})

    def _request_members(self, data: dict[str, Any]) -> None:
        guild = self._world.guilds.get(int(data["guild_id"]))
        session = self._session
        if guild is None or session is None:
            return
        members = list(guild.members.values())
        user_ids = {int(u) for u in data.get("user_ids") or []}
        if user_ids:
            members = [m for m in members if m.user.id in user_ids]
        elif not session.intents & GUILD_MEMBERS:
            members = [guild.bot_member]
        else:
            query = (data.get("query") or "").lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        self.dispatch("GUILD_MEMBERS_CHUNK", payloads.members_chunk(guild, data.get("nonce"), members))
