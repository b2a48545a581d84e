"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY, RESUME with replay, intents, shards, dispatch.

One application, any number of sessions: one per shard (a later IDENTIFY of the same shard takes its place).
Each event goes to the session of the shard that owns its guild (see sessions.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .sessions import (
    ACK,
    DISPATCH,
    EVENT_INTENTS,
    GUILD_MEMBERS,
    HEARTBEAT,
    HEARTBEAT_INTERVAL_MS,
    HELLO,
    IDENTIFY,
    INVALID_SESSION,
    INVALID_SHARD,
    MAX_GUILDS_PER_SHARD,
    MESSAGE_CONTENT,
    PRESENCE,
    REQUEST_MEMBERS,
    RESUME,
    SHARDING_REQUIRED,
    VOICE,
    Connection,
    GrantedIntents,
    IdentifyRecord,
    Session,
    guild_of_event,
    parse_shard,
    shard_of,
)
from .world import World

log = logging.getLogger(__name__)

__all__ = ["Gateway", "GrantedIntents", "IdentifyRecord"]


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
        self._sessions: dict[tuple[int, int], Session] = {}  # the current session of each shard
        self._connections: set[Connection] = set()
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[str] = []
        self.close_codes: list[int] = []
        self.internal_errors: list[str] = []
        self.max_guilds_per_shard = MAX_GUILDS_PER_SHARD
        # GET /gateway/bot: the shard count Discord recommends (None: one per 1,000 guilds, as Discord roughly
        # does), and the session start limit (IDENTIFYs a day; how many may start per 5 seconds).
        self.recommended_shards: int | None = None
        self.max_concurrency = 1
        self.session_start_total = 1000

    # ---- public --------------------------------------------------------------------------------------------
    @property
    def intents(self) -> int | None:
        """Intents of the newest session (None before the first IDENTIFY)."""
        session = self._newest()
        return None if session is None else session.intents

    @property
    def connected(self) -> bool:
        """Whether the newest session has a live socket."""
        session = self._newest()
        return session is not None and session.connection is not None

    @property
    def shards(self) -> list[tuple[int, int]]:
        """The ``(shard_id, num_shards)`` of every session with a live socket, in order."""
        return sorted(shard for shard, session in self._sessions.items() if session.connection is not None)

    def bot_info(self, url: str) -> dict[str, Any]:
        """What GET /gateway/bot answers now."""
        remaining = max(0, self.session_start_total - len(self.identifies))
        return {
            "url": url,
            "shards": self.recommended_shards or max(1, -(-len(self._world.guilds) // 1000)),
            "session_start_limit": {
                "total": self.session_start_total, "remaining": remaining, "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        }

    def sent(self, shard: tuple[int, int]) -> list[str]:
        """The names of the events sent to that shard's current session, in order (for assertions)."""
        session = self._sessions.get(shard)
        return [] if session is None else [json.loads(frame)["t"] for _, frame in session.backlog]

    def serves(self, guild_id: int) -> bool:
        """Whether a session (connected or waiting to RESUME) would receive this guild's events."""
        return any(session.receives(guild_id) for session in self._sessions.values())

    def dispatch(self, event: str, payload: dict[str, Any], *, without_content: dict[str, Any] | None = None) -> None:
        """Send (or buffer for RESUME) one dispatch to the shard that owns its guild, honouring intents;
        ``without_content`` is the stripped form."""
        guild_id = guild_of_event(event, payload)
        for session in list(self._sessions.values()):
            if session.receives(guild_id):
                self._send(session, event, payload, without_content)

    def _send(
        self, session: Session, event: str, payload: dict[str, Any], without_content: dict[str, Any] | None = None
    ) -> None:
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

    def drop(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close a session's socket (the newest, or shard ``shard``'s) as a network failure would; later events
        wait in its backlog for RESUME."""
        session = self._newest() if shard is None else next(
            (s for (shard_id, _), s in self._sessions.items() if shard_id == shard), None
        )
        if session is None or session.connection is None:
            raise RuntimeError("no gateway connection to drop")
        connection = session.connection
        session.connection = None
        connection.session = None
        connection.close(code)

    def invalidate_session(self) -> None:
        """Forget every session so the next RESUME gets INVALID_SESSION (d=false)."""
        self._sessions.clear()

    def _newest(self) -> Session | None:
        return next(reversed(self._sessions.values()), None)

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
        connection = Connection(ws, request.path)
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

    def _on_frame(self, connection: Connection, frame: dict[str, Any]) -> None:
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
            self._request_members(connection.session, data)
        elif op in (PRESENCE, VOICE):
            return
        else:
            connection.close(4001)  # Unknown opcode.
        self._on_change()

    def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            connection.close(4005)  # Already authenticated.
            return
        if data.get("token") != self._world.bot_token:
            connection.close(4004)
            return
        intents = int(data.get("intents", 0))
        shard = parse_shard(data.get("shard"))
        sent = data.get("shard")
        self.identifies.append(
            IdentifyRecord(
                intents=intents, properties=data.get("properties", {}), path=connection.path,
                shard=shard if sent is not None else None, at=time.monotonic(),
            )
        )
        if shard is None:
            connection.close(INVALID_SHARD)
            return
        if self._granted.refused(intents):
            connection.close(4014)
            return
        guilds = [g for g in self._world.guilds.values() if shard_of(g.id, shard[1]) == shard[0]]
        if len(guilds) > self.max_guilds_per_shard:
            connection.close(SHARDING_REQUIRED)
            return
        session = Session(
            session_id=secrets.token_hex(16), intents=intents, shard=shard, sharded=sent is not None,
            connection=connection,
        )
        self._sessions.pop(shard, None)  # a new IDENTIFY of a shard replaces its session
        self._sessions[shard] = session
        connection.session = session
        flags = payloads.application_flags(
            message_content=self._granted.message_content,
            members=self._granted.members,
            presences=self._granted.presences,
        )
        ready = payloads.ready(
            self._world, session_id=session.session_id, resume_gateway_url=self._resume_url(), flags=flags,
            guild_ids=[g.id for g in guilds], shard=list(shard) if session.sharded else None,
        )
        self._send(session, "READY", ready)
        for guild in guilds:
            self._send(session, "GUILD_CREATE", payloads.guild_create(self._world, guild))

    def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self._world.bot_token:
            connection.close(4004)
            return
        session = next((s for s in self._sessions.values() if s.session_id == data.get("session_id")), None)
        if session is None:
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
        self._send(session, "RESUMED", {"_trace": ["fake-discord"]})

    def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        guild = self._world.guilds.get(int(data["guild_id"]))
        if guild is None or not session.receives(guild.id):
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
        self._send(session, "GUILD_MEMBERS_CHUNK", payloads.members_chunk(guild, data.get("nonce"), members))
