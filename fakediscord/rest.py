"""The REST front door: route table, auth, rate limits, error bodies, request log, CDN and catch-all."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from . import errors
from .channel_routes import ChannelRoutes
from .errors import DiscordHTTPError
from .interaction_routes import InteractionRoutes
from .rest_base import Reply, RequestRecord, UnknownRoute, json_response

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
Handler = Callable[..., Awaitable[Reply]]


class RestApi(ChannelRoutes, InteractionRoutes):
    """All REST routes of the fake; each handler raises DiscordHTTPError for Discord's refusals."""

    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__(fake)
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[UnknownRoute] = []
        self.internal_errors: list[str] = []

    # ---- wiring --------------------------------------------------------------------------------------------
    def install(self, app: web.Application) -> None:
        """Register every route, the CDN and the catch-all on ``app`` (after the gateway routes)."""
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self.get_me, True),
            ("GET", "/users/{user_id}", self.get_user, True),
            ("GET", "/oauth2/applications/@me", self.get_application, True),
            ("GET", "/applications/@me", self.get_application, True),
            ("GET", "/gateway", self.get_gateway, False),
            ("GET", "/gateway/bot", self.get_gateway_bot, True),
            ("GET", "/applications/{application_id}/commands", self.get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self.put_commands, True),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.get_commands, True),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands, True),
            ("GET", "/guilds/{guild_id}", self.get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels, True),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member, True),
            ("GET", "/channels/{channel_id}", self.get_channel, True),
            ("PATCH", "/channels/{channel_id}", self.edit_channel, True),
            ("GET", "/channels/{channel_id}/messages", self.list_messages, True),
            ("POST", "/channels/{channel_id}/messages", self.create_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message, True),
            ("POST", "/channels/{channel_id}/typing", self.typing, True),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message, True),
            ("POST", "/channels/{channel_id}/threads", self.thread_without_message, True),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member, True),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback, False),
            ("POST", "/webhooks/{application_id}/{token}", self.create_followup, False),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self.get_webhook_message, False),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self.edit_webhook_message, False),
            ("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", self.delete_webhook_message, False),
        ]
        for method, route, handler, needs_auth in routes:
            app.router.add_route(method, API_PREFIX + route, self._wrap(method, route, handler, needs_auth))
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.cdn)
        app.router.add_route("*", "/{tail:.*}", self.unknown)

    def _wrap(
        self, method: str, route: str, handler: Handler, needs_auth: bool
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        global_exempt = route.startswith(("/interactions/", "/webhooks/"))

        async def wrapped(request: web.Request) -> web.Response:
            match = dict(request.match_info)
            resource = match.get("channel_id") or match.get("guild_id") or match.get("token") or ""
            if needs_auth and request.headers.get("Authorization") != f"Bot {self._world.bot_token}":
                error = DiscordHTTPError(401, errors.UNAUTHORIZED, "401: Unauthorized")
                return self._finish(request, method, route, json_response(401, error.body()), error)
            decision = self._fake.rate_limiter.check(method, route, resource, global_exempt=global_exempt)
            if decision.refused is not None:
                assert decision.hit is not None
                self._fake.rate_limit_hits.append(decision.hit)
                return self._finish(request, method, route, json_response(429, decision.refused, decision.headers))
            try:
                reply = await handler(request, **match)
                for stall in self._fake.stalls:  # done, but the answer is held back (see Stall)
                    if stall.matches(method, route):
                        await stall.hold()
            except (web.HTTPException, DiscordHTTPError) as exc:
                if isinstance(exc, web.HTTPException):  # e.g. a body over client_max_size
                    exc = DiscordHTTPError(exc.status, 0, exc.reason)
                return self._finish(
                    request, method, route, json_response(exc.status, exc.body(), decision.headers), exc
                )
            except Exception as exc:
                # A bug in the fake: answer 400 (discord.py would retry a 500 for ~25 s) and fail the test.
                log.exception("fake Discord crashed handling %s %s", method, request.path)
                self.internal_errors.append(f"{method} {request.path}: {exc!r}")
                body = {"message": f"fake Discord internal error: {exc!r}", "code": 0}
                return self._finish(request, method, route, json_response(400, body, decision.headers))
            if reply.body is None:
                response = web.Response(status=reply.status, headers=decision.headers)
            else:
                response = json_response(reply.status, reply.body, decision.headers)
            return self._finish(request, method, route, response)

        return wrapped

    def _finish(
        self,
        request: web.Request,
        method: str,
        route: str,
        response: web.Response,
        error: DiscordHTTPError | None = None,
    ) -> web.Response:
        self.requests.append(RequestRecord(method, route, request.path, response.status, time.monotonic()))
        if error is not None:
            self._fake.record_violation(
                error.code, error.status, error.message, method=method, route=route, detail=error.errors
            )
        self._fake.notify_change()
        return response

    async def unknown(self, request: web.Request) -> web.Response:
        """Catch-all: record the miss (the fixture fails the test on it) and answer 404."""
        log.warning("fake Discord has no route for %s %s", request.method, request.path)
        self.unknown_routes.append(UnknownRoute(request.method, request.path))
        self.requests.append(RequestRecord(request.method, "<unknown>", request.path, 404, time.monotonic()))
        self._fake.notify_change()
        return json_response(404, {"message": "404: Not Found", "code": 0})

    async def cdn(self, request: web.Request, **_: str) -> web.Response:
        """Serve an uploaded attachment's bytes."""
        attachment = self._world.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=attachment.data, content_type=attachment.content_type or "application/octet-stream")
