"""FakeDiscord: the aiohttp server tying world, gateway, REST, rate limits, actors and readers together."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from . import errors, payloads
from .actors import Actors, MessageRef
from .errors import UnknownObject, Violation, ViolationExpectation, WaitTimeout
from .forgery import ModifiedClient
from .gateway import Gateway, GrantedIntents
from .interactions import InteractionRecord
from .messaging import Messenger
from .models import Channel, StoredMessage, Upload, User
from .permissions import BOT_ROLE_DEFAULT, DEFAULT_EVERYONE
from .ratelimit import RateLimiter, RateLimitHit, RateLimits
from .readers import MessageView
from .rest import RequestRecord, RestApi, UnknownRoute
from .snowflakes import now_iso
from .stalls import Stall
from .world import Guild, PermissionValue, World

POLL_INTERVAL = 0.02

# (event, payload, only_user_id): what a person's own client is shown; None means everyone who can see it.
Watcher = Callable[[str, dict[str, Any], int | None], None]
MAX_REQUEST_BYTES = 256 * 1024 * 1024


class FakeDiscord:
    """An in-process Discord (gateway + REST + CDN) that the unmodified discord.py client logs into."""

    def __init__(
        self,
        *,
        message_content_granted: bool = True,
        members_intent_granted: bool = False,
        interaction_response_deadline: float = 3.0,
        interaction_token_lifetime: float = 900.0,
        rate_limits: RateLimits | None = None,
        fail_on_429: bool = True,
        presences_intent_granted: bool = False,
        bot_name: str = "VideoBot",
        recommended_shards: int | None = None,
        max_concurrency: int = 1,
        session_start_total: int = 1000,
    ) -> None:
        self.message_content_granted = message_content_granted
        self.members_intent_granted = members_intent_granted
        self.presences_intent_granted = presences_intent_granted
        self.interaction_response_deadline = interaction_response_deadline
        self.interaction_token_lifetime = interaction_token_lifetime
        self.fail_on_429 = fail_on_429
        self.world = World(bot_name=bot_name)
        self.world.emit = self.dispatch
        self.world.on_change = self.notify_change
        self.rate_limiter = RateLimiter(rate_limits or RateLimits())
        self.gateway = Gateway(
            self.world,
            granted=GrantedIntents(
                message_content=message_content_granted,
                members=members_intent_granted,
                presences=presences_intent_granted,
            ),
            resume_url=lambda: self.resume_gateway_url,
            on_change=self.notify_change,
        )
        self.gateway.recommended_shards = recommended_shards
        self.gateway.max_concurrency = max_concurrency
        self.gateway.session_start_total = session_start_total
        # Watchers see what people's own Discord clients would be shown (see feed.py): every dispatch, and
        # what only one person sees (ephemeral messages, how their interactions went).
        self.watchers: list[Watcher] = []
        self.messenger = Messenger(self.world, self.dispatch, private=self._show_private_message)
        self.stalls: list[Stall] = []
        self.rest = RestApi(self)
        self.actors = Actors(self)
        self.modified_client = ModifiedClient(self, self.actors)  # what a tampered client sends (forgery.py)
        self.interactions: dict[str, InteractionRecord] = {}
        self.rate_limit_hits: list[RateLimitHit] = []
        self.violations: list[Violation] = []
        self._expectations: list[ViolationExpectation] = []
        self._waiters: set[asyncio.Future[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        """Listen on an ephemeral 127.0.0.1 port."""
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/", self.gateway.handle)
        app.router.add_get("/resume/", self.gateway.handle)
        self.rest.install(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        # Discord's edge never drops a connection attempt; the default backlog of 128 would, under a burst.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.world.cdn_base = f"http://127.0.0.1:{self.port}"
        return self

    async def close(self) -> None:
        """Close sockets, cancel timers and stop the server."""
        for stall in self.stalls:
            stall.release()
        for record in self.interactions.values():
            if record.deadline_handle is not None:
                record.deadline_handle.cancel()
        for waiter in self._waiters:
            waiter.cancel()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ---- addresses and identity ----------------------------------------------------------------------------
    @property
    def api_base_url(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to (as a ``yarl.URL``)."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` sent in READY (a distinct path, so tests can see it was used)."""
        return f"ws://127.0.0.1:{self.port}/resume/"

    @property
    def cdn_base_url(self) -> str:
        """Origin of attachment URLs (``{origin}/attachments/{channel}/{id}/{name}``), e.g. for trusted origins."""
        return self.world.cdn_base

    @property
    def bot_token(self) -> str:
        """The only token the fake accepts."""
        return self.world.bot_token

    @property
    def bot_user(self) -> User:
        """The bot's user."""
        return self.world.bot_user

    @property
    def application_id(self) -> int:
        """The application id (equal to the bot user's id, as for real bots)."""
        return self.world.application_id

    @property
    def application_flags(self) -> int:
        """Application flags advertising the granted privileged intents."""
        return payloads.application_flags(
            message_content=self.message_content_granted,
            members=self.members_intent_granted,
            presences=self.presences_intent_granted,
        )

    @property
    def rate_limits(self) -> RateLimits:
        """The bucket configuration in force."""
        return self.rate_limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        """Swap the bucket configuration mid-test (all buckets start afresh)."""
        self.rate_limiter = RateLimiter(limits)

    # ---- world building ------------------------------------------------------------------------------------
    def create_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        """Create a user account."""
        return self.world.create_user(username, global_name=global_name, bot=bot)

    def create_guild(
        self,
        name: str,
        owner: User,
        premium_tier: int = 0,
        *,
        everyone_permissions: PermissionValue = DEFAULT_EVERYONE,
        bot_permissions: PermissionValue = BOT_ROLE_DEFAULT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """Create a guild the bot is in (GUILD_CREATE if already connected); ``shard=(shard_id, num_shards)`` gives
        it an id that shard owns (``(guild_id >> 22) % num_shards == shard_id``)."""
        return self.world.create_guild(
            name,
            owner=owner,
            premium_tier=premium_tier,
            everyone_permissions=everyone_permissions,
            bot_permissions=bot_permissions,
            shard=shard,
        )

    @staticmethod
    def attachment(
        filename: str, data: bytes, *, content_type: str | None = None, description: str | None = None
    ) -> Upload:
        """A file a test user can upload with ``slash(..., image=...)`` or ``say(..., attachments=[...])``."""
        return Upload(filename=filename, data=data, content_type=content_type, description=description)

    def archive_thread(self, thread: Channel, *, locked: bool = False) -> None:
        """Archive (and optionally lock) a thread, as Discord's auto-archive or a moderator would."""
        if not thread.is_thread:
            raise UnknownObject(f"#{thread.name} is not a thread")
        thread.archived = True
        thread.locked = locked
        thread.archive_timestamp = now_iso()
        self.dispatch("THREAD_UPDATE", payloads.thread(thread, bot_id=self.bot_user.id))
        self.notify_change()

    def stall(self, route: str) -> Stall:
        """Hold every request to ``route`` (``"METHOD /path/{template}"``) until the Stall is released."""
        method, path = route.split(" ", 1)
        stall = Stall(method, path)
        self.stalls.append(stall)
        return stall

    def delete_message(self, message: MessageRef) -> None:
        """A moderator deletes a message (MESSAGE_DELETE); REST then answers 10008 Unknown Message for it."""
        self.messenger.delete(self.stored(message))

    def delete_thread(self, thread: Channel) -> None:
        """A moderator deletes a thread (THREAD_DELETE); REST then answers 10003 Unknown Channel for it."""
        if not thread.is_thread:
            raise UnknownObject(f"#{thread.name} is not a thread")
        del self.world.channels[thread.id]
        self.dispatch(
            "THREAD_DELETE",
            {"id": str(thread.id), "guild_id": str(thread.guild_id), "parent_id": str(thread.parent_id),
             "type": thread.type},
        )
        self.notify_change()

    # ---- actors --------------------------------------------------------------------------------------------
    async def slash(self, user: User, channel: Channel, command: str, /, **options: Any) -> InteractionRecord:
        """Run ``/command`` as ``user`` (``"quota set"`` for subcommands); raises ActionRefused when the Discord
        client would not let that user send it (hidden by default_member_permissions, bad option…)."""
        return await self.actors.slash(user, channel, command, options)

    async def click(self, user: User, message: MessageRef, custom_id: str) -> InteractionRecord:
        """Press the button with this custom_id (or label) on a message."""
        return await self.actors.click(user, message, custom_id)

    async def select(self, user: User, message: MessageRef, custom_id: str, values: Sequence[str]) -> InteractionRecord:
        """Pick values in a string select menu."""
        return await self.actors.select(user, message, custom_id, values)

    async def submit_modal(
        self, user: User, interaction: InteractionRecord, values: Mapping[str, str | Sequence[str]]
    ) -> InteractionRecord:
        """Submit the modal the bot opened for ``interaction``, filling fields by custom_id."""
        return await self.actors.submit_modal(user, interaction, values)

    async def say(
        self,
        user: User,
        channel: Channel,
        text: str,
        *,
        reply_to: MessageRef | None = None,
        mention_bot: bool = False,
        ping_on_reply: bool = True,
        attachments: Sequence[Upload] = (),
    ) -> MessageView:
        """Post a message (or a reply) as ``user``."""
        return await self.actors.say(
            user,
            channel,
            text,
            reply_to=reply_to,
            mention_bot=mention_bot,
            ping_on_reply=ping_on_reply,
            attachments=attachments,
        )

    # ---- readers -------------------------------------------------------------------------------------------
    def message(self, message_id: int) -> MessageView:
        """A message by id, as it is now (deleted ones too)."""
        stored = self.world.messages.get(message_id)
        if stored is None:
            raise UnknownObject(f"unknown message {message_id}")
        return MessageView.of(stored, self.world.attachment_url)

    def messages(
        self, channel: Channel, *, as_user: User | None = None, include_deleted: bool = False
    ) -> list[MessageView]:
        """Messages of a channel or thread, oldest first, as a user sees them (ephemerals only for ``as_user``)."""
        out = []
        for stored in self.world.messages_in(channel.id):
            if stored.deleted and not include_deleted:
                continue
            if stored.ephemeral_user_id is not None and (as_user is None or as_user.id != stored.ephemeral_user_id):
                continue
            out.append(MessageView.of(stored, self.world.attachment_url))
        return out

    def ephemeral_messages(self, user: User) -> list[MessageView]:
        """Every ephemeral message shown to ``user``, oldest first."""
        found = [m for m in self.world.messages.values() if m.ephemeral_user_id == user.id and not m.deleted]
        return [MessageView.of(m, self.world.attachment_url) for m in sorted(found, key=lambda m: m.id)]

    def threads(self, channel: Channel) -> list[Channel]:
        """Threads created in a channel, oldest first."""
        return self.world.threads_of(channel.id)

    def thread_of(self, message: MessageRef) -> Channel | None:
        """The thread started from a message, if any."""
        message_id = message if isinstance(message, int) else message.id
        stored = self.world.messages.get(message_id)
        if stored is None or stored.thread_id is None:
            return None
        return self.world.channels.get(stored.thread_id)

    def channel(self, channel_id: int) -> Channel:
        """A channel or thread by id."""
        return self.world.resolve_channel(channel_id)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every REST call the bot made (method, route template, path, status)."""
        return self.rest.requests

    @property
    def unknown_routes(self) -> list[UnknownRoute]:
        """Calls to endpoints the fake does not implement."""
        return self.rest.unknown_routes

    # ---- waiting -------------------------------------------------------------------------------------------
    def notify_change(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0, message: str = "") -> None:
        """Re-check ``predicate`` on every change of the fake (and at least every 20 ms) until it holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {message or predicate}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=min(remaining, POLL_INTERVAL))
            finally:
                self._waiters.discard(waiter)
                waiter.cancel()

    async def wait_for_message(
        self,
        channel: Channel,
        predicate: Callable[[MessageView], bool] = lambda _m: True,
        *,
        timeout: float = 5.0,
        message: str = "",
    ) -> MessageView:
        """Wait until a visible message in ``channel`` satisfies ``predicate``; return the newest such message."""
        found: list[MessageView] = []

        def check() -> bool:
            found[:] = [m for m in self.messages(channel) if predicate(m)]
            return bool(found)

        await self.wait_until(check, timeout=timeout, message=message or f"a message in #{channel.name}")
        return found[-1]

    # ---- gateway -------------------------------------------------------------------------------------------
    def dispatch(self, event: str, payload: dict[str, Any], *, without_content: dict[str, Any] | None = None) -> None:
        """Send a gateway dispatch to the bot (buffered for RESUME while the socket is down)."""
        self.gateway.dispatch(event, payload, without_content=without_content)
        self.show(event, payload)
        self.notify_change()

    def show(self, event: str, payload: dict[str, Any], *, only_user_id: int | None = None) -> None:
        """Tell every watcher what happened; ``only_user_id`` marks what one person alone may see."""
        for watcher in list(self.watchers):
            watcher(event, payload, only_user_id)

    def _show_private_message(self, event: str, message: StoredMessage) -> None:
        payload = payloads.message(self.world, message, gateway=True)
        if event == "MESSAGE_DELETE":
            payload = {"id": payload["id"], "channel_id": payload["channel_id"], "guild_id": str(message.guild_id)}
        self.show(event, payload, only_user_id=message.ephemeral_user_id)

    def drop_gateway(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close the bot's socket (the newest session's, or shard ``shard``'s) abruptly; the client must RESUME
        and gets the missed events replayed."""
        self.gateway.drop(code, shard=shard)

    # ---- interactions --------------------------------------------------------------------------------------
    def register_interaction(self, record: InteractionRecord) -> None:
        """Track a new interaction and arm its response deadline."""
        self.interactions[record.token] = record
        loop = asyncio.get_running_loop()
        record.deadline_handle = loop.call_later(self.interaction_response_deadline, self._deadline_passed, record)

    def interaction_answered(self, record: InteractionRecord) -> None:
        """Disarm the deadline once the initial callback arrived."""
        if record.deadline_handle is not None:
            record.deadline_handle.cancel()
            record.deadline_handle = None
        outcome = {"id": str(record.id), "nonce": record.nonce}
        if record.modal is not None:
            # The person's client opens the form (Discord's INTERACTION_MODAL_CREATE on the user gateway).
            self.show(
                "INTERACTION_MODAL_CREATE",
                {**record.modal, "id": str(record.id), "nonce": record.nonce, "channel_id": str(record.channel.id)},
                only_user_id=record.user.id,
            )
        else:
            self.show("INTERACTION_SUCCESS", outcome, only_user_id=record.user.id)
        self.notify_change()

    def _deadline_passed(self, record: InteractionRecord) -> None:
        record.deadline_handle = None
        if record.response is None:
            # What the person sees: "This interaction failed" under the button or the command.
            self.show(
                "INTERACTION_FAILURE", {"id": str(record.id), "nonce": record.nonce}, only_user_id=record.user.id
            )
            self.record_violation(
                errors.NOT_ACKNOWLEDGED,
                0,
                f"no response within {self.interaction_response_deadline}s: the user sees 'This interaction failed'",
                method="INTERACTION",
                route=f"type {record.type} from {record.user.username}",
            )

    # ---- violations ----------------------------------------------------------------------------------------
    def record_violation(
        self, code: int | str, status: int, message: str, *, method: str, route: str, detail: Any = None
    ) -> None:
        """Record something Discord would refuse (or silently alter)."""
        violation = Violation(code, status, message, method, route, dt.datetime.now(dt.UTC), detail)
        self.violations.append(violation)
        for expectation in self._expectations:
            if str(expectation.code) == str(code):
                expectation.hits.append(violation)
        self.notify_change()

    def expect_violation(self, code: int | str) -> ViolationExpectation:
        """Declare that this test provokes ``code`` (e.g. 50027); the teardown then requires at least one hit."""
        expectation = ViolationExpectation(code)
        expectation.hits.extend(v for v in self.violations if str(v.code) == str(code))
        self._expectations.append(expectation)
        return expectation

    def problems(self) -> list[str]:
        """Everything that should fail the test: unknown routes, 429s, unexpected or missing violations."""
        out = [f"unknown route: {r.method} {r.path}" for r in self.unknown_routes]
        out += [f"fake Discord internal error: {e}" for e in self.rest.internal_errors + self.gateway.internal_errors]
        if self.fail_on_429:
            out += [
                f"429 ({h.scope}) on {h.method} {h.route}, retry_after={h.retry_after}" for h in self.rate_limit_hits
            ]
        expected = {str(e.code) for e in self._expectations}
        out += [f"violation: {v}" for v in self.violations if str(v.code) not in expected]
        out += [f"expected violation {e.code} never happened" for e in self._expectations if not e.hits]
        return out

    def assert_clean(self) -> None:
        """Raise AssertionError listing every problem (used by the fixture's teardown)."""
        found = self.problems()
        if found:
            raise AssertionError("fake Discord saw problems:\n  " + "\n  ".join(found))

    def stored(self, message: MessageRef) -> StoredMessage:
        """The raw stored message (for assertions the views do not cover)."""
        message_id = message if isinstance(message, int) else message.id
        return self.world.messages[message_id]
