"""DiscordPresenter: shows a job's states where its member can see them, with the bot token (never an
interaction token, which dies after 15 minutes).

Intermediate states edit the progress message, paced by the ProgressEditor; a refusal there stops further
edits of a message (or thread) that is gone or closed, instead of repeating a request Discord refused. The
final state goes down a ladder until Discord accepts it (see `conclude`), and says where it landed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import discord

from bot.discord_ui.attachments import prepared_attachments
from bot.discord_ui.editor import EditAbandoned, ProgressEditor
from bot.discord_ui.ratelimit import Priority, rest_priority
from bot.discord_ui.refusals import REQUEST_TOO_LARGE, Refusal, classify, in_words
from bot.discord_ui.render import Rendered, render_progress
from bot.discord_ui.upload_limits import STEP_DOWN, UploadLimits
from bot.generation.state import DeliveredTo, Delivery, Phase, Places, ProgressState
from bot.media.plan import next_rung
from bot.media.prepare import MediaPreparer

log = logging.getLogger(__name__)

REMEMBERED = 4096  # closed messages and threads remembered, oldest forgotten first


class _Memory:
    """A bounded set: what is known to be gone or closed, so that nothing is asked of it again."""

    def __init__(self) -> None:
        self._items: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, item: Hashable) -> None:
        self._items[item] = None
        if len(self._items) > REMEMBERED:
            self._items.popitem(last=False)

    def __contains__(self, item: object) -> bool:
        return item in self._items


@dataclass(frozen=True, slots=True)
class _Payload:
    """One way of showing a final state: the state, its message, and the files (on disk) that go with it."""

    state: ProgressState
    rendered: Rendered
    files: Sequence[tuple[str, Path]] = ()

    @classmethod
    def of(cls, state: ProgressState, files: Sequence[tuple[str, Path]] = ()) -> _Payload:
        return cls(state, render_progress(state), files)

    def largest_file(self) -> int:
        """Bytes of its largest file (the video, when it has one): what a 413 refused."""
        return max((path.stat().st_size for _, path in self.files), default=0)

    def fresh_files(self) -> list[discord.File]:
        # New File objects for every attempt: a File's stream is consumed by sending it. Each is read from
        # disk while it is sent, never held whole in memory.
        return [discord.File(path, filename=name) for name, path in self.files]

    async def edit(self, message: discord.PartialMessage) -> None:
        await message.edit(embed=self.rendered.embed, view=self.rendered.view, attachments=self.fresh_files())

    async def send(self, channel: discord.PartialMessageable, reply_to: int | None) -> discord.Message:
        embed, view, files = self.rendered.embed, self.rendered.view, self.fresh_files()
        if reply_to is None:
            return await channel.send(embed=embed, view=view, files=files)
        reference = channel.get_partial_message(reply_to).to_reference(fail_if_not_exists=False)
        return await channel.send(embed=embed, view=view, files=files, reference=reference, mention_author=False)


class _Offers:
    """The final state's two payloads: `full`, with its files made for an upload limit, and `link_only`.

    When Discord refuses `full` as too large (the limit was stale: boosts lapsed, or the default is not yet
    what the docs say), `step_down` makes its files again for the next smaller known limit; the files of the
    previous attempt are removed first. Use inside `async with`.
    """

    def __init__(self, presenter: DiscordPresenter, places: Places, state: ProgressState, limit: int) -> None:
        self._presenter, self._places, self._state, self.limit = presenter, places, state, limit
        self._files = contextlib.AsyncExitStack()
        self.full = self.link_only = _Payload.of(state)

    async def __aenter__(self) -> _Offers:
        await self._prepare()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._files.aclose()

    async def step_down(self) -> bool:
        """Fit the files to the largest known limit below what was refused; False when none is left."""
        rung = next_rung(self.full.largest_file(), STEP_DOWN)
        if rung is None:
            return False
        log.info("job %s: Discord refused %d bytes as too large; fitting the video to %d bytes",
                 self._state.job_id, self.full.largest_file(), rung)
        await self._files.aclose()
        self.limit = rung
        await self._prepare()
        return True

    async def _prepare(self) -> None:
        state, places, presenter = self._state, self._places, self._presenter
        if state.phase is not Phase.FINISHED or not state.video_url or state.fit_failed:
            # fit_failed on the way in: preparing it already failed (see bot.generation.delivery); link it as it is
            return
        limit = self.limit

        def reencoding() -> None:  # it can take a while when several videos finish together: say so
            presenter.show(places, dataclasses.replace(state, phase=Phase.GENERATING, progress=100, fitting_for=limit))

        attachments = await self._files.enter_async_context(
            prepared_attachments(presenter.preparer, state, limit, on_reencode=reencoding, guild_id=places.guild_id)
        )
        self.full = _Payload.of(attachments.state, attachments.files)
        self.link_only = _Payload.of(attachments.link_only_state)


def too_large(error: discord.HTTPException) -> bool:
    """Discord refused the request for its size (413, or JSON code 40005 "Request entity too large")."""
    return error.status == 413 or error.code == REQUEST_TOO_LARGE


class _Stop(Exception):
    """A rung of the ladder failed; `refusal` says what it means for the next one."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal
        self.reason = reason


class DiscordPresenter:
    """The Discord side of the JobRunner."""

    def __init__(
        self,
        client: discord.Client,
        editor: ProgressEditor,
        preparer: MediaPreparer,
        limits: UploadLimits,
        *,
        deliveries_at_once: int = 8,
    ) -> None:
        self._client = client
        self._editor = editor
        self.preparer = preparer
        self._limits = limits
        # Finished videos delivered at once (the media pool has as many connections): the scratch disk stays
        # bounded when hundreds finish together, and a download's timeout never counts a wait for a connection.
        self._deliveries = asyncio.Semaphore(deliveries_at_once)
        self._gone = _Memory()  # message and thread IDs: deleted, or closed to the bot
        self._paused = _Memory()  # message IDs that refused an intermediate edit: only the final is tried

    # --- intermediate states ----------------------------------------------------------------------

    def show(self, places: Places, state: ProgressState) -> None:
        """Queue an intermediate state; the editor coalesces and paces it."""
        message = self._progress_message(places)
        if message is None or message.id in self._paused:
            return
        rendered = render_progress(state)
        priority = Priority.QUEUE if state.phase is Phase.QUEUED else Priority.PROGRESS

        async def apply() -> None:
            try:
                with rest_priority(priority):
                    await message.edit(embed=rendered.embed, view=rendered.view)
            except discord.HTTPException as error:
                self._intermediate_refused(places, message.id, error)

        self._editor.show(message.id, apply)

    def _intermediate_refused(self, places: Places, message_id: int, error: discord.HTTPException) -> None:
        refusal = classify(error, with_files=False)
        if refusal is Refusal.TRANSIENT:
            log.warning("editing progress message %s failed: %s", message_id, in_words(error))
            return
        # Gone, closed, archived or refused: asking again would be refused again. Only the final state is
        # tried (it may reopen an archived thread once, or go elsewhere).
        log.info("progress message %s: %s; no more progress edits", message_id, in_words(error))
        self._paused.add(message_id)
        self._editor.forget(message_id)
        if refusal is Refusal.MESSAGE_GONE:
            self._gone.add(message_id)
        elif refusal is Refusal.CHANNEL_GONE and places.thread_id is not None:
            self._gone.add(places.thread_id)

    # --- the final state --------------------------------------------------------------------------

    async def conclude(self, places: Places, state: ProgressState) -> Delivery:
        """Show the final state where Discord accepts it, most specific place first:

        1. the progress message, with the video attached when it fits;
        2. the same message without files, when only the payload was refused (too large, no Attach Files);
        3. a new message in the thread, when the progress message is gone;
        4. a reply to the starter post outside the thread, when the thread is gone, locked or closed.
        """
        if state.phase is not Phase.FINISHED or not state.video_url:
            return await self._deliver(places, state)
        async with self._deliveries:  # its files are on disk from their download to their upload
            return await self._deliver(places, state)

    async def _deliver(self, places: Places, state: ProgressState) -> Delivery:
        async with _Offers(self, places, state, self.upload_limit(places)) as offers:
            return await self._climb(places, state, offers)

    async def _climb(self, places: Places, state: ProgressState, offers: _Offers) -> Delivery:
        reasons: list[str] = []
        message = self._progress_message(places)
        if message is not None:
            try:
                landed = await self._final_edit(places, message, offers)
                return Delivery("message", message.channel.id, message.id, state=landed.state)
            except _Stop as stop:
                reasons.append(stop.reason)
        thread = places.thread_id
        if thread is not None and thread not in self._gone:
            try:
                sent, landed = await self._post(thread, places, offers, reply_to=None)
                return Delivery("thread", thread, sent.id, state=landed.state)
            except _Stop as stop:
                reasons.append(stop.reason)
        if places.outside is not None:
            channel, post = places.outside
            try:
                sent, landed = await self._post(channel, places, offers, reply_to=post)
                return Delivery("channel", channel, sent.id, state=landed.state)
            except _Stop as stop:
                reasons.append(stop.reason)
        reason = "; ".join(reasons) or "there was nowhere to show it"
        log.warning("job %s: its final state could not be shown anywhere (%s)", state.job_id, reason)
        return Delivery(None, reason=reason)

    async def notify(self, places: Places, text: str) -> Delivery:
        """Tell the member something in plain words, in the thread if it exists, else beside their post."""
        targets: list[tuple[DeliveredTo, int, int | None]] = []  # (where, channel, message to reply to)
        if places.thread_id is not None and places.thread_id not in self._gone:
            targets.append(("thread", places.thread_id, None))
        if places.outside is not None:
            targets.append(("channel", *places.outside))
        reasons = []
        for where, channel_id, reply_to in targets:
            try:
                sent = await self._send(channel_id, places.guild_id, text, reply_to)
                return Delivery(where, channel_id, sent.id)
            except discord.HTTPException as error:
                reasons.append(in_words(error))
        return Delivery(None, reason="; ".join(reasons) or "there was nowhere to say it")

    async def _final_edit(self, places: Places, message: discord.PartialMessage, offers: _Offers) -> _Payload:
        """Rungs 1 and 2: the progress message itself (reopening its archived thread once, if allowed).
        Returns the payload Discord accepted."""
        if message.id in self._gone:
            raise _Stop(Refusal.MESSAGE_GONE, "the progress message was deleted")
        payload, reopened, paced = offers.full, False, True
        while True:
            try:
                if paced:  # the first attempt waits for any progress edit in flight, at the shared pace
                    paced = False
                    await self._editor.finish(message.id, functools.partial(payload.edit, message))
                else:
                    await payload.edit(message)
                return payload
            except EditAbandoned:
                raise _Stop(Refusal.TRANSIENT, "the bot was shutting down") from None
            except discord.HTTPException as error:
                refusal = classify(error, with_files=bool(payload.files))
                if refusal is Refusal.PAYLOAD and payload is not offers.link_only:
                    payload = await self._smaller(offers, error, f"progress message {message.id}")
                    continue
                if refusal is Refusal.ARCHIVED and not reopened and await self._reopen(places):
                    reopened = True
                    continue
                self._remember(places, refusal, message.id)
                raise _Stop(refusal, f"progress message: {in_words(error)}") from error

    async def _post(
        self, channel_id: int, places: Places, offers: _Offers, *, reply_to: int | None
    ) -> tuple[discord.Message, _Payload]:
        """Rungs 3 and 4: a new message, with files if Discord takes them (fitted smaller when they were too
        large), else the link-only payload."""
        channel = self._client.get_partial_messageable(channel_id, guild_id=places.guild_id)
        payload = offers.full if offers.full.files else offers.link_only
        while True:
            try:
                return await payload.send(channel, reply_to), payload
            except discord.HTTPException as error:
                refusal = classify(error, with_files=bool(payload.files))
                if refusal is Refusal.PAYLOAD and payload is not offers.link_only:
                    payload = await self._smaller(offers, error, f"channel {channel_id}")
                    continue
                if refusal in (Refusal.CHANNEL_GONE, Refusal.CLOSED, Refusal.ARCHIVED):
                    self._gone.add(channel_id)
                raise _Stop(refusal, f"channel {channel_id}: {in_words(error)}") from error

    @staticmethod
    async def _smaller(offers: _Offers, error: discord.HTTPException, where: str) -> _Payload:
        """The next payload to try after `where` refused the files: fitted to a smaller limit when they were
        too large and a smaller one is known, else without any files."""
        if too_large(error) and await offers.step_down():
            return offers.full if offers.full.files else offers.link_only
        log.info("%s refused the video (%s); linking it", where, in_words(error))
        return offers.link_only

    async def _reopen(self, places: Places) -> bool:
        """Unarchive the thread once so its progress message can be edited (allowed unless it is locked)."""
        if places.thread_id is None:
            return False
        thread = self._client.get_partial_messageable(places.thread_id, guild_id=places.guild_id)
        try:
            await self._client.http.edit_channel(thread.id, archived=False)
        except discord.HTTPException as error:
            log.info("thread %s stays closed: %s", places.thread_id, in_words(error))
            self._gone.add(places.thread_id)
            return False
        log.info("reopened archived thread %s to show its video", places.thread_id)
        return True

    def _remember(self, places: Places, refusal: Refusal, message_id: int) -> None:
        if refusal is Refusal.MESSAGE_GONE:
            self._gone.add(message_id)
        elif refusal in (Refusal.CHANNEL_GONE, Refusal.CLOSED, Refusal.ARCHIVED) and places.thread_id is not None:
            self._gone.add(places.thread_id)

    # --- the upload limit ------------------------------------------------------------------------

    def upload_limit(self, places: Places) -> int:
        """The per-file limit to fit a video to: the one its job kept from the interaction that started it,
        else the best this process knows for the server (see bot/discord_ui/upload_limits.py)."""
        return places.upload_limit or self._limits.for_guild(places.guild_id)

    # --- places -----------------------------------------------------------------------------------

    def _progress_message(self, places: Places) -> discord.PartialMessage | None:
        if places.thread_id is None or places.message_id is None:
            return None
        if places.message_id in self._gone or places.thread_id in self._gone:
            return None
        channel = self._client.get_partial_messageable(places.thread_id, guild_id=places.guild_id)
        return channel.get_partial_message(places.message_id)

    async def _send(self, channel_id: int, guild_id: int, text: str, reply_to: int | None) -> discord.Message:
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        if reply_to is None:
            return await channel.send(text)
        reference = channel.get_partial_message(reply_to).to_reference(fail_if_not_exists=False)
        return await channel.send(text, reference=reference, mention_author=False)
