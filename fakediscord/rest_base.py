"""Shared REST machinery: request/response records, body parsing, lookups, uploads and message validation."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors, payloads
from .errors import DiscordHTTPError, FieldError, form_error
from .models import Channel, StoredAttachment, StoredMessage, Upload
from .permissions import VIEW_CHANNEL
from .validation import validate_message
from .world import Guild, World

if TYPE_CHECKING:
    from .server import FakeDiscord

FILE_FIELD = re.compile(r"files\[(\d+)\]")


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    """One REST call the bot made."""

    method: str
    route: str
    path: str
    status: int
    at: float


@dataclasses.dataclass(frozen=True)
class UnknownRoute:
    """A request to an endpoint the fake does not implement."""

    method: str
    path: str


@dataclasses.dataclass
class Reply:
    """A handler's result: status and JSON body (None for 204)."""

    status: int
    body: Any = None


@dataclasses.dataclass
class Body:
    """A parsed request: the JSON payload and, for multipart, the uploaded files by index."""

    json: Any
    files: dict[int, Upload]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A response discord.py parses: Content-Type must be exactly ``application/json`` (no charset)."""
    all_headers = dict(headers or {})
    all_headers["Content-Type"] = "application/json"
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


async def read_body(request: web.Request) -> Body:
    """Parse a JSON body or discord.py's multipart form (``payload_json`` + ``files[n]``)."""
    if request.content_type == "multipart/form-data":
        form = await request.post()
        payload = _json(str(form["payload_json"])) if "payload_json" in form else {}
        files: dict[int, Upload] = {}
        for key, value in form.items():
            match = FILE_FIELD.fullmatch(key)
            if match and isinstance(value, web.FileField):
                files[int(match.group(1))] = Upload(filename=value.filename, data=value.file.read())
        return Body(payload, files)
    text = await request.text() if request.can_read_body else ""
    return Body(_json(text) if text else {}, {})


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.") from exc


def snowflake(value: str, field: str = "id") -> int:
    """Parse a path snowflake; Discord answers 50035 for anything that is not one."""
    if not value.isdigit():
        raise form_error([FieldError((field,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')])
    return int(value)


class RouteHelpers:
    """Lookups and body handling shared by the channel and interaction routes."""

    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._world: World = fake.world

    # ---- lookups -------------------------------------------------------------------------------------------
    def _channel(self, channel_id: str) -> Channel:
        channel = self._world.channels.get(snowflake(channel_id, "channel_id"))
        if channel is None:
            raise errors.not_found(errors.UNKNOWN_CHANNEL, "Channel")
        return channel

    def _visible_channel(self, channel_id: str) -> tuple[Channel, int]:
        channel = self._channel(channel_id)
        perms = self._world.bot_permissions_in(channel)
        if not perms & VIEW_CHANNEL:
            raise errors.missing_access()
        return channel, perms

    def _channel_message(self, channel: Channel, message_id: str) -> StoredMessage:
        message = self._world.messages.get(snowflake(message_id, "message_id"))
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            # Ephemeral messages exist only behind the interaction webhook routes.
            raise errors.not_found(errors.UNKNOWN_MESSAGE, "Message")
        return message

    def _guild(self, guild_id: str) -> Guild:
        guild = self._world.guilds.get(snowflake(guild_id, "guild_id"))
        if guild is None:
            raise errors.not_found(errors.UNKNOWN_GUILD, "Guild")
        return guild

    def _message_payload(self, message: StoredMessage) -> dict[str, Any]:
        return payloads.message(self._world, message, content_intent=self._fake.message_content_granted)

    # ---- uploads -------------------------------------------------------------------------------------------
    def _attachments(
        self, body: Body, channel: Channel, existing: list[StoredAttachment] | None, *, ephemeral: bool = False
    ) -> list[StoredAttachment] | None:
        """Resolve ``attachments``/``files[n]`` into the message's new attachment list (None: unchanged)."""
        limit = self._world.guild_of(channel).filesize_limit
        for upload in body.files.values():
            if len(upload.data) > limit:
                raise DiscordHTTPError(413, errors.REQUEST_TOO_LARGE, "Request entity too large")
        listed = body.json.get("attachments") if isinstance(body.json, dict) else None
        if listed is None:
            if not body.files:
                return None
            new = [self._world.store_upload(body.files[i], channel.id, ephemeral=ephemeral) for i in sorted(body.files)]
            return [*(existing or []), *new]
        result: list[StoredAttachment] = []
        problems: list[FieldError] = []
        kept = {a.id: a for a in existing or []}
        for index, entry in enumerate(listed):
            raw = int(entry.get("id", -1))
            if raw in body.files:
                upload = body.files[raw]
                upload = Upload(
                    filename=entry.get("filename") or upload.filename,
                    data=upload.data,
                    description=entry.get("description"),
                )
                result.append(self._world.store_upload(upload, channel.id, ephemeral=ephemeral))
            elif raw in kept:
                result.append(kept[raw])
            else:
                problems.append(FieldError(("attachments", index, "id"), "ATTACHMENT_NOT_FOUND", "Unknown attachment"))
        if problems:
            raise form_error(problems)
        return result

    def _validated(self, body: Body) -> dict[str, Any]:
        if not isinstance(body.json, dict):
            raise form_error([FieldError((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")])
        problems = validate_message(body.json, file_count=len(body.files))
        if problems:
            raise form_error(problems)
        return body.json
