"""What the page asks the stand-in to do as the person it plays: run a slash command, press a button,
send a form, post a message or a reply, and list the commands the Discord client would offer.

Each request goes through fakediscord's actors, which refuse what the Discord client would not send;
the refusal's sentence comes back as ``{"message": …}`` with status 400, for the page to show.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fakediscord import (
    ActionRefused,
    Channel,
    ClientView,
    FakeDiscord,
    FakeDiscordError,
    InteractionRecord,
    Role,
    UnknownObject,
    Upload,
    User,
)
from playground.world import PlaygroundWorld

SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT = 6, 7, 8, 9, 11
MAX_FILES = 10  # Discord's limit of attachments on one message

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Request:
    """A page request: the person it acts as, its JSON and its files (multipart ``payload_json`` +
    ``files[n]``, the way Discord's own client uploads)."""

    def __init__(self, world: PlaygroundWorld, body: dict[str, Any], files: dict[int, Upload]) -> None:
        self.body = body
        self.files = files
        identity = world.identity(_snowflake(body.get("as")))
        if identity is None:
            raise web.HTTPBadRequest(text="'as' must be one of the playground's people")
        self.user = identity.user
        nonce = body.get("nonce")
        self.nonce = str(nonce)[:64] if nonce is not None else None

    @classmethod
    async def read(cls, request: web.Request, world: PlaygroundWorld) -> Request:
        """Parse JSON or multipart."""
        files: dict[int, Upload] = {}
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body = _json(str(form.get("payload_json", "{}")))
            for key, value in form.items():
                if key.startswith("files[") and key.endswith("]") and isinstance(value, web.FileField):
                    index = _snowflake(key[6:-1])
                    if len(files) >= MAX_FILES:
                        raise web.HTTPBadRequest(text=f"at most {MAX_FILES} files")
                    files[index] = Upload(filename=value.filename, data=value.file.read(),
                                          content_type=value.content_type or None)
        else:
            body = _json(await request.text())
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body must be a JSON object")
        return cls(world, body, files)


def _json(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError as error:
        raise web.HTTPBadRequest(text="invalid JSON") from error


def _snowflake(value: Any) -> int:
    text = "" if value is None or isinstance(value, bool) else str(value)
    if not text.isdigit():
        raise web.HTTPBadRequest(text=f"{value!r} is not an id")
    return int(text)


class Actions:
    """The page's write routes and the command list."""

    def __init__(self, fake: FakeDiscord, world: PlaygroundWorld) -> None:
        self._fake = fake
        self._world = world

    def install(self, app: web.Application) -> None:
        """Add the routes."""
        app.router.add_get("/api/commands", self._guarded(self.commands))
        app.router.add_post("/api/slash", self._guarded(self.slash))
        app.router.add_post("/api/click", self._guarded(self.click))
        app.router.add_post("/api/modal", self._guarded(self.submit_modal))
        app.router.add_post("/api/messages", self._guarded(self.say))

    @staticmethod
    def _guarded(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except ActionRefused as refusal:
                return web.json_response({"message": str(refusal)}, status=400)
            except UnknownObject as missing:
                return web.json_response({"message": str(missing)}, status=404)
            except FakeDiscordError as error:  # e.g. the bot is not connected (yet)
                return web.json_response({"message": str(error)}, status=503)

        return wrapped

    def _channel(self, value: Any) -> Channel:
        return self._fake.channel(_snowflake(value))

    # ---- reading -------------------------------------------------------------------------------------------
    async def commands(self, request: web.Request) -> web.Response:
        """``GET /api/commands?as=…&channel_id=…``: the commands the client offers this person there."""
        identity = self._world.identity(_snowflake(request.query.get("as")))
        if identity is None:
            raise web.HTTPBadRequest(text="'as' must be one of the playground's people")
        channel = self._channel(request.query.get("channel_id"))
        return web.json_response(ClientView(self._fake, identity.user).commands(channel))

    # ---- acting --------------------------------------------------------------------------------------------
    async def slash(self, request: web.Request) -> web.Response:
        """``POST /api/slash`` {as, channel_id, command: "quota set", options: {name: value}, nonce}.
        User, role, channel and mentionable values are ids; an attachment's value is its file index."""
        req = await Request.read(request, self._world)
        channel = self._channel(req.body.get("channel_id"))
        command = str(req.body.get("command") or "")
        raw = req.body.get("options") or {}
        if not isinstance(raw, dict):
            raise web.HTTPBadRequest(text="options must be an object")
        schema = self._schema(channel, command)
        options = {name: self._value(schema.get(name), value, req.files) for name, value in raw.items()}
        record = await self._fake.slash(req.user, channel, command, **options)
        return self._started(record, req.nonce)

    def _schema(self, channel: Channel, command: str) -> dict[str, dict[str, Any]]:
        """The options of ``command`` ("quota set" walks into the subcommand), by name."""
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise ActionRefused("no command given")
        synced = self._fake.world.find_command(parts[0], channel.guild_id)
        options: list[dict[str, Any]] = (synced.data.get("options") or []) if synced else []
        for part in parts[1:]:
            sub = next((o for o in options if o["name"] == part and o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP)), {})
            options = sub.get("options") or []
        return {o["name"]: o for o in options}

    def _value(self, option: dict[str, Any] | None, value: Any, files: dict[int, Upload]) -> Any:
        """Turn the page's JSON value into what the actor takes (a User, Role, Channel or Upload)."""
        if option is None or value is None or option["type"] not in (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT):
            return value  # unknown names and plain values: the actor judges them as Discord's client would
        kind, name = option["type"], option["name"]
        if kind == ATTACHMENT:
            upload = files.get(_snowflake(value))
            if upload is None:
                raise ActionRefused(f"no file was uploaded for option {name!r}")
            return upload
        target_id = _snowflake(value)
        found: User | Role | Channel | None = None
        if kind in (USER, MENTIONABLE):
            found = self._fake.world.users.get(target_id)
        if found is None and kind in (ROLE, MENTIONABLE):
            found = self._world.guild.roles.get(target_id)
        if found is None and kind == CHANNEL:
            found = self._fake.world.channels.get(target_id)
        if found is None:
            raise UnknownObject(f"nothing with id {target_id} for option {name!r}")
        return found

    async def click(self, request: web.Request) -> web.Response:
        """``POST /api/click`` {as, message_id, custom_id, nonce}: press a button."""
        req = await Request.read(request, self._world)
        custom_id = str(req.body.get("custom_id") or "")
        record = await self._fake.click(req.user, _snowflake(req.body.get("message_id")), custom_id)
        return self._started(record, req.nonce)

    async def submit_modal(self, request: web.Request) -> web.Response:
        """``POST /api/modal`` {as, interaction_id, values: {custom_id: text}, nonce}: send the open form."""
        req = await Request.read(request, self._world)
        interaction_id = _snowflake(req.body.get("interaction_id"))
        opened = next((r for r in self._fake.interactions.values() if r.id == interaction_id), None)
        if opened is None:
            raise UnknownObject(f"unknown interaction {interaction_id}")
        values = req.body.get("values") or {}
        if not isinstance(values, dict):
            raise web.HTTPBadRequest(text="values must be an object")
        record = await self._fake.submit_modal(req.user, opened, {str(k): str(v) for k, v in values.items()})
        return self._started(record, req.nonce)

    async def say(self, request: web.Request) -> web.Response:
        """``POST /api/messages`` {as, channel_id, content, reply_to, ping_on_reply} + files: post a message."""
        req = await Request.read(request, self._world)
        channel = self._channel(req.body.get("channel_id"))
        reply_to = req.body.get("reply_to")
        message = await self._fake.say(
            req.user,
            channel,
            str(req.body.get("content") or ""),
            reply_to=_snowflake(reply_to) if reply_to else None,
            ping_on_reply=bool(req.body.get("ping_on_reply", True)),
            attachments=[req.files[i] for i in sorted(req.files)],
        )
        return web.json_response({"id": str(message.id)})

    @staticmethod
    def _started(record: InteractionRecord, nonce: str | None) -> web.Response:
        record.nonce = nonce
        return web.json_response({"interaction_id": str(record.id), "nonce": nonce})
