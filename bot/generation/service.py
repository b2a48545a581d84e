"""VideoService: every rule about starting, repeating, remixing and cancelling a video, without Discord.

A start has three steps, the same for /video, Remix, Re-roll, Retry and replies. `plan_*` decides what
the new job will be and refuses, with one sentence, whatever cannot be made, before anything is spent.
`admit` charges and records the job. The Discord side then posts what members see (a public post, a
thread, the progress message) and calls `launch`; if Discord refuses one of those steps, `abandon` ends
the job and gives its units back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from bot.core.config import Settings
from bot.core.errors import BotError
from bot.generation.gate import UNRECOGNISED, JobReference, Origin, check_interaction
from bot.generation.requests import ImageInput, check_channel, check_image, check_options, check_prompt
from bot.generation.runner import JobRunner
from bot.quotas.admission import Admission, QuotaService
from bot.quotas.policy import Member
from bot.store import Conversation, Job, JobParams, JobStatus, Store, Turn

NOT_A_BOT_THREAD: Final = "Use /video in a channel, or inside one of my video threads."
NO_RECORD: Final = "I have no record of this video any more."
NOTHING_TO_REMIX: Final = "There is no finished video in this thread to remix yet."
DELETED_NO_REMIX: Final = "That video was deleted, so it can't be remixed."
NOT_IN_THIS_THREAD: Final = "Reply to one of the finished videos in this thread to remix it."

Repeat = Literal["reroll", "retry"]


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """What a member asked for with /video."""

    prompt: str
    model: str | None = None
    orientation: str = "portrait"
    duration: int | None = None
    size: str | None = None
    image: ImageInput | None = None


@dataclass(frozen=True, slots=True)
class VideoPlan:
    """A new job, decided and checked, not yet charged."""

    guild_id: int
    model: str
    params: JobParams
    conversation: Conversation | None  # None: the video opens a thread of its own
    parent: Turn | None = None  # the video it continues (a remix); None for a thread's first prompt
    request: Turn | None = None  # a request to answer again (Re-roll, Retry); None: record a new one
    remix_number: int | None = None  # "Remixing video 2 of this thread"

    @property
    def opens_thread(self) -> bool:
        return self.conversation is None


class VideoService:
    """Plans, admits and launches jobs; cancels them on behalf of whoever may."""

    def __init__(self, store: Store, quotas: QuotaService, runner: JobRunner, settings: Settings) -> None:
        self._store = store
        self._quotas = quotas
        self._runner = runner
        self._settings = settings

    # --- deciding what a new job is ---------------------------------------------------------------

    async def plan_video(
        self, guild_id: int, options: VideoOptions, *, channel_id: int, thread_id: int | None = None
    ) -> VideoPlan:
        """/video in `channel_id`, or inside the bot thread `thread_id` (which continues its latest video)."""
        prompt = check_prompt(options.prompt)
        guild = await self._store.settings.get(guild_id)
        model = self._model(options.model or guild.default_model)
        duration, size = check_options(
            provider=self._settings.provider, model=model, offered_models=self._settings.models,
            orientation=options.orientation, duration=options.duration, size=options.size, image=options.image,
        )
        conversation, parent, number = None, None, None
        if thread_id is not None:
            conversation = await self._store.conversations.by_thread(thread_id)
            if conversation is None:
                raise BotError(NOT_A_BOT_THREAD)
            parent = await self._store.conversations.latest_video_turn(conversation.id)
            number = await self._store.conversations.video_number(parent) if parent else None
        check_channel(channel_id, guild.allowed_channel_ids)
        image_url = options.image.url if options.image else None
        params = JobParams(prompt, options.orientation, duration, size, image_url)
        return VideoPlan(guild_id, model, params, conversation, parent, remix_number=number)

    async def plan_repeat(self, reference: JobReference, origin: Origin, action: Repeat) -> VideoPlan:
        """Re-roll (a finished video) or Retry (a failed or cancelled one): the same request as a new job."""
        job = await self.job_named(reference, origin)
        if action == "reroll":
            _require_video(job)
        elif job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise BotError("This video didn't fail, so there is nothing to retry.")
        if job.conversation_id is None or job.request_turn_id is None:
            raise BotError("I can't find the request behind this video any more.")
        conversation = await self._store.conversations.get(job.conversation_id)
        request = await self._store.conversations.turn(job.request_turn_id)
        # The same request, model and options; the same place in the thread, so the same remix number.
        return VideoPlan(
            job.guild_id, job.model, job.params, conversation, request=request, remix_number=job.remix_number
        )

    async def check_remixable(self, reference: JobReference, origin: Origin) -> Job:
        """The Remix button opens its form only under a finished video that was not deleted."""
        job = await self.job_named(reference, origin)
        _require_video(job)
        assert job.result_turn_id is not None
        if (await self._store.conversations.turn(job.result_turn_id)).deleted:
            raise BotError(DELETED_NO_REMIX)
        return job

    async def plan_remix_of_job(self, reference: JobReference, origin: Origin, instruction: str) -> VideoPlan:
        """The Remix form of a video was sent, from its thread (`origin.channel_id`)."""
        job = await self.job_named(reference, origin)
        if job.message_id is None or origin.channel_id is None:
            raise BotError("I can't find that video any more.")
        return await self.plan_remix(origin.channel_id, instruction, video_message_id=job.message_id)

    async def plan_remix(
        self, thread_id: int, instruction: str, *, video_message_id: int | None = None, image: ImageInput | None = None
    ) -> VideoPlan:
        """A remix in a bot thread: of the video shown by `video_message_id`, else of the thread's latest one.

        A remix keeps the model and options of the video it continues; an image sent with it must suit
        that model, exactly as with /video.
        """
        instruction = check_prompt(instruction)
        conversation = await self._store.conversations.by_thread(thread_id)
        if conversation is None:
            raise BotError(NOT_A_BOT_THREAD)
        parent: Turn | None
        if video_message_id is not None:
            parent = await self._video_turn_for_message(video_message_id)
            if parent.conversation_id != conversation.id:  # a message of another thread (a forged reference)
                raise BotError(NOT_IN_THIS_THREAD)
        else:
            parent = await self._store.conversations.latest_video_turn(conversation.id)
        if parent is None:
            raise BotError(NOTHING_TO_REMIX)
        like = await self._store.jobs.by_message(parent.discord_message_id) if parent.discord_message_id else None
        model = self._model(like.model if like else conversation.model)
        base = like.params if like else JobParams(instruction)
        if image is not None:
            check_image(image)
            if not self._settings.provider.model(model).accepts_image:
                raise BotError(f"{model} can't start from an image, so I can't use the picture for this remix. "
                               "Send the remix without it.")
        params = JobParams(instruction, base.orientation, base.duration, base.size, image.url if image else None)
        number = await self._store.conversations.video_number(parent)
        return VideoPlan(conversation.guild_id, model, params, conversation, parent, remix_number=number)

    def _model(self, wanted: str | None) -> str:
        # A server default (or a remixed video's model) the bot no longer offers falls back to the bot's.
        return wanted if wanted in self._settings.models else self._settings.default_model

    async def _video_turn_for_message(self, message_id: int) -> Turn:
        turn = await self._store.conversations.turn_by_message(message_id)
        if turn is not None and turn.role == "assistant" and turn.video_url:
            if turn.deleted:
                raise BotError(DELETED_NO_REMIX)
            return turn
        job = await self._store.jobs.by_message(message_id)
        if job is not None and not job.status.finished:
            raise BotError("That video is still being made. Reply to it again once it has finished.")
        if job is not None:
            raise BotError("That video didn't finish, so there is nothing to remix. Press Retry under it first.")
        raise BotError(NOT_IN_THIS_THREAD)

    # --- charging, launching, giving back ---------------------------------------------------------

    async def admit(self, plan: VideoPlan, member: Member, *, asked_in: int | None = None) -> Admission:
        """Charge and record the planned job (QuotaRefused says why not); `asked_in` is the channel or
        thread where the member asked, which is where their post will be."""
        admission = await self._quotas.admit(
            plan.guild_id, member, model=plan.model, params=plan.params, remix_number=plan.remix_number,
            conversation_id=plan.conversation.id if plan.conversation else None, asked_in=asked_in,
        )
        # Held by this process from now on: no other process takes it for an orphan while its start is under way.
        await self._runner.claim(admission.job.id)
        return admission

    async def posted(self, job: Job, *, channel_id: int, message_id: int) -> None:
        """The post the video answers exists (the public post, an announcement, or the member's reply)."""
        await self._store.jobs.set_post(job.id, channel_id, message_id)

    async def thread_opened(self, job: Job, thread_id: int) -> None:
        """The thread the progress message goes into exists."""
        await self._store.jobs.set_thread(job.id, thread_id)

    async def launch(
        self,
        plan: VideoPlan,
        job: Job,
        *,
        home_channel_id: int,
        thread_id: int,
        author_id: int,
        anchor_message_id: int,
        progress_message_id: int,
    ) -> None:
        """Record where the job lives (a new thread becomes a conversation; a new request becomes a turn
        answered by the progress message) and put it in line.

        Each Discord step of a start is recorded as it happens (`posted`, `thread_opened`, then this), so
        that a restart in between can always tell the member what happened, in the most specific place.
        """
        async with self._store.transaction():
            conversation = plan.conversation or await self._store.conversations.create(
                guild_id=plan.guild_id, channel_id=home_channel_id, thread_id=thread_id, owner_id=author_id,
                model=plan.model,
            )
            request = plan.request or await self._store.conversations.add_turn(
                conversation_id=conversation.id, parent_id=plan.parent.id if plan.parent else None, role="user",
                content=plan.params.prompt, discord_message_id=anchor_message_id, author_id=author_id,
            )
            await self._store.jobs.attach(
                job.id, conversation_id=conversation.id, request_turn_id=request.id, channel_id=thread_id,
                message_id=progress_message_id,
            )
        await self._runner.submit(job.id)

    async def abandon(self, job: Job, reason: str) -> None:
        """End a job that never got going (a Discord step failed) and give its units back."""
        async with self._store.transaction():
            if await self._store.jobs.finish(job.id, JobStatus.FAILED, error=reason, error_kind="discord"):
                await self._quotas.refund(job.id)

    # --- while it runs ----------------------------------------------------------------------------

    async def cancel(self, reference: JobReference, origin: Origin, actor: Member) -> None:
        """Cancel a waiting or running job: only its requester or a moderator may.

        The Cancel is recorded first, in one transaction; only then is the work stopped. So it holds even
        if the bot restarts a moment later, and it loses (with a sentence) to a video already made.
        """
        job = await self.job_named(reference, origin)
        if actor.user_id != job.user_id and not actor.is_moderator:
            raise BotError("Only the person who asked for this video or a moderator can cancel it.")
        if job.status.finished:
            raise BotError("This video has already ended.")
        if not await self._store.jobs.request_cancel(job.id, actor.user_id):
            job = await self._job(job.id)
            if job.result_turn_id is not None and not job.status.finished:
                raise BotError("Too late to cancel: the video is finished and on its way to this thread.")
            raise BotError("This video has already ended.")
        self._runner.stop(job.id)

    # --- what the Discord side asks about threads ---------------------------------------------------

    async def is_bot_thread(self, thread_id: int) -> bool:
        """Whether the bot made this thread (only its own threads remix)."""
        return await self._store.conversations.by_thread(thread_id) is not None

    async def is_progress_message(self, message_id: int) -> bool:
        """Whether a message is one of the bot's progress messages (a reply to it is addressed to the bot)."""
        return await self._store.jobs.by_message(message_id) is not None

    async def needs_intent_hint(self, thread_id: int) -> bool:
        """True once per thread: whether to explain how to remix without the Message Content intent."""
        conversation = await self._store.conversations.by_thread(thread_id)
        return conversation is not None and await self._store.conversations.claim_intent_hint(conversation.id)

    async def job_named(self, reference: JobReference, origin: Origin) -> Job:
        """The job a button or form names, once it is sure the interaction belongs to it (bot.generation.gate)."""
        try:
            job = await self._store.jobs.get(reference.job_id)
        except LookupError:  # a guessed ID: the same sentence as a wrong key, so guessing tells nothing
            raise BotError(UNRECOGNISED) from None
        check_interaction(job, reference, origin)
        return job

    async def _job(self, job_id: int) -> Job:
        try:
            return await self._store.jobs.get(job_id)
        except LookupError:
            raise BotError(NO_RECORD) from None


def _require_video(job: Job) -> None:
    if job.status is not JobStatus.SUCCEEDED or job.result_turn_id is None:
        raise BotError("That video hasn't finished, so there is nothing to remix yet.")
