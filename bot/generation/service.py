"""VideoService: the Discord-free steps of starting a video, shared by /video, Remix, Re-roll, Retry and replies.

The cog does the Discord I/O (answer the interaction, open the thread, post the progress message) between
`admit` and `launch`; if that I/O fails, `abandon` ends the job and gives its units back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.core.errors import BotError
from bot.generation.runner import JobRunner
from bot.quotas.policy import Member
from bot.quotas.admission import Admission, QuotaService
from bot.store import Conversation, Job, JobParams, JobStatus, Store, Turn


@dataclass(frozen=True, slots=True)
class Continuation:
    """Where a new request joins an existing thread's conversation."""

    conversation: Conversation
    parent: Turn | None  # the video being remixed (None: the thread has no video yet)
    remix_number: int | None  # "Remixing video 2 of this thread"


class VideoService:
    """Admission, conversation records and hand-off to the runner."""

    def __init__(self, store: Store, quotas: QuotaService, runner: JobRunner) -> None:
        self._store = store
        self._quotas = quotas
        self._runner = runner

    async def admit(
        self, guild_id: int, member: Member, *, model: str, params: JobParams, remix_number: int | None = None
    ) -> Admission:
        """Charge and record a new job (QuotaRefused says why not)."""
        # Display hints ride along with the job so that a resumed job shows the same message.
        if remix_number:
            params = dataclasses.replace(params, extra={**params.extra, "remix_number": remix_number})
        admission = await self._quotas.admit(guild_id, member, model=model, params=params)
        if admission.quota_note:  # known only once the charge is made
            params = dataclasses.replace(params, extra={**params.extra, "quota_note": admission.quota_note})
            await self._store.jobs.set_params(admission.job.id, params)
            admission = dataclasses.replace(admission, job=dataclasses.replace(admission.job, params=params))
        return admission

    async def open_conversation(
        self, *, guild_id: int, channel_id: int, thread_id: int, owner_id: int, model: str
    ) -> Conversation:
        """Record a new bot thread as a conversation."""
        return await self._store.conversations.create(
            guild_id=guild_id, channel_id=channel_id, thread_id=thread_id, owner_id=owner_id, model=model
        )

    async def conversation_of(self, thread_id: int) -> Conversation | None:
        """The conversation of a thread, if the bot made it."""
        return await self._store.conversations.by_thread(thread_id)

    async def continuation(self, thread_id: int, replied_message_id: int | None = None) -> Continuation | None:
        """Where a request in a bot thread continues: the replied-to video, else the thread's latest one.

        None when the thread is not one of the bot's. A reply to a message that is not a finished video
        is refused with a sentence saying why.
        """
        conversation = await self._store.conversations.by_thread(thread_id)
        if conversation is None:
            return None
        if replied_message_id is not None:
            parent = await self._video_turn_for_message(replied_message_id)
        else:
            parent = await self._store.conversations.latest_video_turn(conversation.id)
        number = await self._store.conversations.video_number(parent) if parent else None
        return Continuation(conversation, parent, number)

    async def _video_turn_for_message(self, message_id: int) -> Turn:
        turn = await self._store.conversations.turn_by_message(message_id)
        if turn is not None and turn.role == "assistant" and turn.video_url:
            return turn
        job = await self._store.jobs.by_message(message_id)
        if job is not None and not job.status.finished:
            raise BotError("That video is still being made. Reply to it again once it has finished.")
        if job is not None:
            raise BotError("That video didn't finish, so there is nothing to remix. Press Retry under it first.")
        raise BotError("Reply to one of the finished videos in this thread to remix it.")

    async def add_request(
        self, conversation: Conversation, *, parent: Turn | None, prompt: str, author_id: int, message_id: int | None
    ) -> Turn:
        """Record what a member asked for as a user turn under `parent`."""
        return await self._store.conversations.add_turn(
            conversation_id=conversation.id,
            parent_id=parent.id if parent else None,
            role="user",
            content=prompt,
            discord_message_id=message_id,
            author_id=author_id,
        )

    async def launch(
        self, job: Job, *, conversation: Conversation, request: Turn, channel_id: int, message_id: int
    ) -> None:
        """Tie the job to its thread and progress message, and put it in line."""
        await self._store.jobs.attach(
            job.id, conversation_id=conversation.id, request_turn_id=request.id, channel_id=channel_id,
            message_id=message_id,
        )
        await self._runner.submit(job.id)

    async def abandon(self, job: Job, reason: str) -> None:
        """End a job that never got going (a Discord step failed) and give its units back."""
        async with self._store.transaction():
            if await self._store.jobs.finish(job.id, JobStatus.FAILED, error=reason, error_kind="discord"):
                await self._quotas.refund(job.id)

    async def request_of(self, job: Job) -> tuple[Conversation, Turn] | None:
        """The conversation and request turn a job answered, to repeat it (Re-roll, Retry)."""
        if job.conversation_id is None or job.request_turn_id is None:
            return None
        conversation = await self._store.conversations.get(job.conversation_id)
        return conversation, await self._store.conversations.turn(job.request_turn_id)

    async def job_for_message(self, message_id: int) -> Job | None:
        """The job whose progress message this is."""
        return await self._store.jobs.by_message(message_id)

    async def needs_intent_hint(self, conversation: Conversation) -> bool:
        """True once per thread: whether to explain how to remix without the Message Content intent."""
        return await self._store.conversations.claim_intent_hint(conversation.id)

    async def job(self, job_id: int) -> Job | None:
        """A job by id, or None."""
        try:
            return await self._store.jobs.get(job_id)
        except LookupError:
            return None

    def cancel(self, job: Job, by_user_id: int) -> bool:
        """Stop a waiting or running job; False if it is not under way."""
        return self._runner.cancel(job.id, by_user_id)
