"""``/api/feed``: the page's websocket, its own "user gateway" to the stand-in.

Server → page: ``{"t": EVENT, "d": payload}``. ``READY`` first (who you are, the server), then the
stand-in's events as this person may see them (fakediscord.feed), ``STATE`` after any change to channels,
threads, roles or members, and ``MESSAGES`` answering a request for a channel's history.
Page → server: ``{"op": "open", "channel_id": …}`` asks for a channel's messages. Answers travel in the
same queue as events, so a history never arrives after (and overwrites) a newer edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from fakediscord import ClientFeed, ClientView, FakeDiscord, Subscription, UnknownObject
from fakediscord.feed import CHANNEL_EVENTS, GUILD_EVENTS
from fakediscord.payloads import user as user_payload
from playground.world import PlaygroundWorld

log = logging.getLogger(__name__)

HEARTBEAT = 20.0  # seconds between websocket pings, so a closed tab is noticed


class LiveFeed:
    """Serves the page's websocket and closes every one on shutdown."""

    def __init__(self, fake: FakeDiscord, world: PlaygroundWorld) -> None:
        self._fake = fake
        self._world = world
        self._feed = ClientFeed(fake)
        self._sockets: set[web.WebSocketResponse] = set()

    def install(self, app: web.Application) -> None:
        """Add the route."""
        app.router.add_get("/api/feed", self.handle)
        app.router.add_get("/api/people", self.people)

    async def close(self) -> None:
        """Stop the feed and close the open sockets (their handlers then finish)."""
        self._feed.close()
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"playground stopping")

    def identities(self) -> list[dict[str, Any]]:
        """The people the page can play, the member first."""
        return [{"user": user_payload(i.user), "label": i.label} for i in self._world.identities]

    async def people(self, request: web.Request) -> web.Response:
        """``GET /api/people``: who the page can play."""
        return web.json_response(self.identities())

    def ready(self, view: ClientView) -> dict[str, Any]:
        """Who the page plays, who it could play, and the server as this person sees it."""
        return {
            "user": user_payload(view.user),
            "identities": self.identities(),
            "bot": user_payload(self._fake.bot_user),
            "guild": view.guild_state(self._world.guild),
        }

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One page's connection, for the person in ``?as=``."""
        as_id = request.query.get("as", "")
        identity = self._world.identity(int(as_id)) if as_id.isdigit() else None
        if identity is None:
            raise web.HTTPBadRequest(text="'as' must be one of the playground's people")
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT)
        await ws.prepare(request)
        self._sockets.add(ws)
        view = ClientView(self._fake, identity.user)
        subscription = self._feed.subscribe(identity.user)
        subscription.push("READY", self.ready(view))
        writer = asyncio.create_task(self._write(ws, subscription, view), name="playground feed writer")
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._request(subscription, view, message.data)
        finally:
            subscription.close()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self._sockets.discard(ws)
        return ws

    def _request(self, subscription: Subscription, view: ClientView, text: str) -> None:
        try:
            request = json.loads(text)
            channel_id = int(request["channel_id"]) if request.get("op") == "open" else None
        except (ValueError, KeyError, TypeError):
            subscription.push("ERROR", {"message": "unreadable request"})
            return
        if channel_id is None:
            return
        try:
            channel = self._fake.channel(channel_id)
        except UnknownObject:
            subscription.push("ERROR", {"message": f"unknown channel {channel_id}"})
            return
        subscription.push("MESSAGES", {"channel_id": str(channel_id), "messages": view.messages(channel)})

    async def _write(self, ws: web.WebSocketResponse, subscription: Subscription, view: ClientView) -> None:
        try:
            while True:
                event = await subscription.get()
                await ws.send_str(json.dumps({"t": event.type, "d": event.data}))
                if event.type in CHANNEL_EVENTS or event.type in GUILD_EVENTS:
                    # What the sidebar and the pickers show depends on all of these; send it whole.
                    await ws.send_str(json.dumps({"t": "STATE", "d": view.guild_state(self._world.guild)}))
        except (ConnectionResetError, RuntimeError):
            # The subscription ended (page gone, feed closed, or too far behind): close so the page reconnects.
            await ws.close(code=1001)
        except Exception:
            log.exception("the playground feed broke; the page will reconnect")
            await ws.close(code=1011)
