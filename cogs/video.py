"""/video and the buttons under every video (Cancel, Remix, Re-roll, Retry): thin Discord adapters.

Checks, admission, records and the generation itself live in `bot/`; this module answers interactions,
opens threads and posts the progress messages, in that order, within Discord's three seconds.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.catalog import MODELS, ORIENTATIONS
from bot.core.errors import BotError
from bot.generation.runner import progress_state
from bot.discord_ui.render import (
    BUTTON_ID,
    button_id,
    remix_request_text,
    render_progress,
    starter_text,
    thread_name,
)
from bot.generation.replies import Reaction, ThreadMessage, instruction_of, react_to
from bot.store import Conversation, Job, JobParams, JobStatus, Turn
from bot.discord_ui.boundary import report_failure
from bot.generation.requests import (
    ImageInput,
    check_bot_permissions,
    check_channel,
    check_image,
    check_options,
    check_prompt,
)
from bot.generation.service import Continuation
from bot.discord_ui.members import member_of

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)

COG_NAME = "Video"
THREAD_ARCHIVE_MINUTES = 1440
NOT_A_BOT_THREAD = "Use /video in a channel, or inside one of my video threads."
EMPTY_MENTION = "Tell me what should change after the mention, for example: “now at night, in the rain”."


def intent_hint(bot_user_id: int) -> str:
    """What an unreadable message in a thread gets, once per thread."""
    return (
        f"I can't read messages here unless you ping me. Reply with <@{bot_user_id}>, "
        "or press Remix under the video."
    )


def message_of(response: Any) -> discord.Message:
    """The message an interaction response created."""
    resource = getattr(response, "resource", None)
    if not isinstance(resource, discord.Message):
        raise BotError("Discord didn't return the message I just posted. Please try again.")
    return resource


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_ID.pattern):
    """Cancel / Remix / Re-roll / Retry under a progress message; matched by custom ID, so it survives restarts."""

    def __init__(self, action: str, job_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=button_id(action, job_id)))
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> JobButton:
        return cls(match["action"], int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = cast(VideoCog, interaction.client.get_cog(COG_NAME))
        await cog.guarded(interaction, cog.on_button(interaction, self.action, self.job_id), f"{self.action} button")


REMIX_MODAL_ID = re.compile(r"^videobot:remix-modal:(?P<job_id>[0-9]+)$")
INSTRUCTION_FIELD = "instruction"


class RemixModal(discord.ui.Modal, title="Remix this video"):
    """Asks what should change. Sent stopped, so discord.py keeps no copy in memory: its submission is
    handled by `VideoCog.on_interaction` from the custom ID alone, and still works after a restart."""

    instruction: discord.ui.TextInput[RemixModal] = discord.ui.TextInput(
        label="What should change?",
        custom_id=INSTRUCTION_FIELD,
        style=discord.TextStyle.paragraph,
        placeholder="now at night, in the rain",
        min_length=1,
        max_length=1000,
    )

    def __init__(self, job_id: int) -> None:
        super().__init__(custom_id=f"videobot:remix-modal:{job_id}")
        self.stop()


def submitted_text(data: Any, custom_id: str) -> str:
    """The value of one text input in a modal submission's raw data (rows or labels around it)."""
    for component in data.get("components", []) if isinstance(data, dict) else []:
        if component.get("custom_id") == custom_id and "value" in component:
            return str(component["value"])
        nested = component.get("components") or ([component["component"]] if "component" in component else [])
        found = submitted_text({"components": nested}, custom_id)
        if found:
            return found
    return ""


class VideoCog(commands.Cog, name=COG_NAME):
    """Making videos."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot
        self.video_command = self._build_video_command()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.video_command)
        self.bot.add_dynamic_items(JobButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.video_command.name)
        self.bot.remove_dynamic_items(JobButton)

    # --- /video -----------------------------------------------------------------------------------

    def _build_video_command(self) -> app_commands.Command[Any, ..., None]:
        # Built per bot because the model, duration and size choices come from its configuration.
        models = self.bot.settings.models
        durations = sorted({d for m in models for d in MODELS[m].durations})
        sizes = sorted({s for m in models for s in MODELS[m].sizes})

        @app_commands.command(name="video", description="Make a video from a prompt, in a thread of its own")
        @app_commands.guild_only()
        @app_commands.describe(
            prompt="What the video should show",
            model="Which model makes it (each server has a default)",
            orientation="Portrait (vertical) or landscape (horizontal)",
            duration="Length in seconds (each model makes only some lengths)",
            size="Resolution (small is about 720p)",
            image="A picture to start from (PNG, JPEG or WebP, up to 10 MB)",
        )
        @app_commands.choices(
            model=[app_commands.Choice(name=MODELS[m].label, value=m) for m in models],
            orientation=[app_commands.Choice(name=o.capitalize(), value=o) for o in ORIENTATIONS],
            duration=[app_commands.Choice(name=f"{d} seconds", value=d) for d in durations],
            size=[app_commands.Choice(name=s, value=s) for s in sizes],
        )
        async def video(  # noqa: PLR0917 - discord.py maps command options to parameters
            interaction: discord.Interaction,
            prompt: app_commands.Range[str, 1, 2000],
            model: str | None = None,
            orientation: str = "portrait",
            duration: int | None = None,
            size: str | None = None,
            image: discord.Attachment | None = None,
        ) -> None:
            await self.start_video(
                interaction, prompt=prompt, model=model, orientation=orientation, duration=duration, size=size,
                image=image,
            )

        return video

    async def start_video(
        self,
        interaction: discord.Interaction,
        *,
        prompt: str,
        model: str | None,
        orientation: str,
        duration: int | None,
        size: str | None,
        image: discord.Attachment | None,
    ) -> None:
        """Check everything, charge, answer with a public post, open the thread and start the job."""
        assert interaction.guild is not None and interaction.channel is not None
        videos, settings = self.bot.videos, self.bot.settings
        prompt = check_prompt(prompt)
        guild_settings = await self.bot.store.settings.get(interaction.guild.id)
        model = model or guild_settings.default_model or settings.default_model
        if model not in settings.models:  # a server default the bot no longer offers
            model = settings.default_model
        picture = None
        if image is not None:
            picture = ImageInput(image.url, image.filename, image.content_type, image.size)
        duration, size = check_options(
            model=model, offered_models=settings.models, orientation=orientation, duration=duration, size=size,
            image=picture,
        )
        channel = interaction.channel
        in_thread = isinstance(channel, discord.Thread)
        continuation = await videos.continuation(channel.id) if in_thread else None
        if in_thread and continuation is None:
            raise BotError(NOT_A_BOT_THREAD)
        home = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
        check_channel(home or channel.id, guild_settings.allowed_channel_ids)
        check_bot_permissions(interaction.app_permissions, in_thread=in_thread)

        params = JobParams(prompt, orientation, duration, size, picture.url if picture else None)
        member = member_of(interaction.user, interaction.permissions)
        remix_number = continuation.remix_number if continuation else None
        admission = await videos.admit(interaction.guild.id, member, model=model, params=params,
                                       remix_number=remix_number)
        job = admission.job
        post = starter_text(prompt, interaction.user.id, model, orientation, duration)

        async def open_thread() -> None:
            starter = message_of(await interaction.response.send_message(post))
            if continuation is not None:
                assert isinstance(channel, discord.Thread)
                request = await videos.add_request(
                    continuation.conversation, parent=continuation.parent, prompt=prompt,
                    author_id=interaction.user.id, message_id=starter.id,
                )
                await self._post_progress(job, continuation.conversation, request, channel, reply_to=starter)
                return
            thread = await starter.create_thread(
                name=thread_name(prompt), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
            conversation = await videos.open_conversation(
                guild_id=interaction.guild_id or 0, channel_id=channel.id, thread_id=thread.id,
                owner_id=interaction.user.id, model=model,
            )
            request = await videos.add_request(
                conversation, parent=None, prompt=prompt, author_id=interaction.user.id, message_id=starter.id
            )
            await self._post_progress(job, conversation, request, thread)

        await self._launch_or_refund(job, open_thread())

    # --- buttons and the modal --------------------------------------------------------------------

    async def guarded(self, interaction: discord.Interaction, work: Awaitable[None], where: str) -> None:
        """Run a component handler under the same error boundary as slash commands."""
        try:
            await work
        except Exception as error:
            await report_failure(interaction, error, where)

    async def on_button(self, interaction: discord.Interaction, action: str, job_id: int) -> None:
        """Route a click on one of a job's buttons."""
        job = await self.bot.videos.job(job_id)
        if job is None:
            raise BotError("I have no record of this video any more.")
        if action == "cancel":
            await self._cancel(interaction, job)
        elif action == "remix":
            self._require_video(job)
            await interaction.response.send_modal(RemixModal(job.id))
        elif action == "reroll":
            self._require_video(job)
            await self._repeat(interaction, job, f"🎲 Re-roll by <@{interaction.user.id}>")
        else:
            if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
                raise BotError("This video didn't fail, so there is nothing to retry.")
            await self._repeat(interaction, job, f"🔁 Retry by <@{interaction.user.id}>")

    async def _cancel(self, interaction: discord.Interaction, job: Job) -> None:
        if job.status.finished:
            raise BotError("This video has already ended.")
        if interaction.user.id != job.user_id and not interaction.permissions.manage_guild:
            raise BotError("Only the person who asked for this video or a moderator can cancel it.")
        if not self.bot.videos.cancel(job, interaction.user.id):
            raise BotError("This video is not running right now; it will resume after the bot restarts.")
        await interaction.response.defer()  # the progress message itself turns into "Cancelled by …"

    @staticmethod
    def _require_video(job: Job) -> None:
        if job.status is not JobStatus.SUCCEEDED or job.result_turn_id is None:
            raise BotError("That video hasn't finished, so there is nothing to remix yet.")

    async def _repeat(self, interaction: discord.Interaction, job: Job, announcement: str) -> None:
        """Re-roll or Retry: the same request again, with the same history, as a new job."""
        record = await self.bot.videos.request_of(job)
        thread = interaction.channel
        if record is None or not isinstance(thread, discord.Thread):
            raise BotError("I can't find the request behind this video any more.")
        conversation, request = record
        check_bot_permissions(interaction.app_permissions, in_thread=True)
        params = dataclasses.replace(job.params, extra={})  # the request again, without the old display hints
        admission = await self.bot.videos.admit(
            job.guild_id, member_of(interaction.user, interaction.permissions), model=job.model, params=params,
            remix_number=job.params.extra.get("remix_number"),
        )

        async def post() -> None:
            anchor = message_of(await interaction.response.send_message(announcement))
            await self._post_progress(admission.job, conversation, request, thread, reply_to=anchor)

        await self._launch_or_refund(admission.job, post())

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Remix modal submissions, whether the modal was opened before or after the last restart."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        match = REMIX_MODAL_ID.match(str((interaction.data or {}).get("custom_id", "")))
        if match is None:
            return
        instruction = submitted_text(interaction.data, INSTRUCTION_FIELD)
        await self.guarded(
            interaction, self.remix_from_modal(interaction, int(match["job_id"]), instruction), "remix modal"
        )

    async def remix_from_modal(self, interaction: discord.Interaction, job_id: int, instruction: str) -> None:
        """The Remix modal was sent: a new job continuing from that video."""
        job = await self.bot.videos.job(job_id)
        thread = interaction.channel
        if job is None or job.message_id is None or not isinstance(thread, discord.Thread):
            raise BotError("I can't find that video any more.")
        instruction = check_prompt(instruction)
        continuation = await self.bot.videos.continuation(thread.id, replied_message_id=job.message_id)
        if continuation is None:
            raise BotError(NOT_A_BOT_THREAD)
        await self.remix(
            interaction, thread, continuation, instruction, author=interaction.user,
            permissions=interaction.permissions, app_permissions=interaction.app_permissions, like=job,
        )

    async def remix(
        self,
        origin: discord.Interaction | discord.Message,
        thread: discord.Thread,
        continuation: Continuation,
        instruction: str,
        *,
        author: discord.Member | discord.User,
        permissions: discord.Permissions,
        app_permissions: discord.Permissions,
        like: Job | None,
        image_url: str | None = None,
    ) -> None:
        """Start a remix of the continuation's video with `instruction`, answering a modal or a reply."""
        check_bot_permissions(app_permissions, in_thread=True)
        model = like.model if like else continuation.conversation.model
        base = like.params if like else None
        params = JobParams(
            instruction,
            base.orientation if base else "portrait",
            base.duration if base else None,
            base.size if base else None,
            image_url,
        )
        admission = await self.bot.videos.admit(
            thread.guild.id, member_of(author, permissions), model=model, params=params,
            remix_number=continuation.remix_number,
        )

        async def post() -> None:
            if isinstance(origin, discord.Interaction):
                anchor = message_of(await origin.response.send_message(remix_request_text(instruction, author.id)))
            else:
                anchor = origin
            request = await self.bot.videos.add_request(
                continuation.conversation, parent=continuation.parent, prompt=instruction, author_id=author.id,
                message_id=anchor.id,
            )
            await self._post_progress(admission.job, continuation.conversation, request, thread, reply_to=anchor)

        await self._launch_or_refund(admission.job, post())

    # --- replies in a thread ---------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A reply to a video (or a mention, or any message if the server allows it) remixes it."""
        thread, me = message.channel, self.bot.user
        if message.author.bot or me is None or not isinstance(thread, discord.Thread) or message.guild is None:
            return
        conversation = await self.bot.videos.conversation_of(thread.id)
        if conversation is None:
            return
        try:
            await self._remix_from_message(message, thread, conversation, me.id)
        except BotError as refusal:
            await self._answer(message, refusal.user_message)
        except Exception:
            log.exception("remix from message %s failed", message.id)
            await self._answer(message, "Something went wrong on my side. It has been logged; please try again.")

    async def _remix_from_message(
        self, message: discord.Message, thread: discord.Thread, conversation: Conversation, me: int
    ) -> None:
        videos = self.bot.videos
        reference = message.reference.message_id if message.reference else None
        replied = message.reference.resolved if message.reference else None
        if isinstance(replied, discord.Message):
            replies_to_me = replied.author.id == me
        else:  # not in the payload: is it one of our progress messages?
            replies_to_me = reference is not None and await videos.job_for_message(reference) is not None
        facts = ThreadMessage(
            content=message.content,
            has_attachments=bool(message.attachments),
            is_reply=reference is not None,
            replies_to_bot=replies_to_me,
            mentions_bot=any(user.id == me for user in message.mentions),
        )
        guild_settings = await self.bot.store.settings.get(thread.guild.id)
        reaction = react_to(
            facts, bot_user_id=me, plain_messages_remix=guild_settings.plain_messages_remix,
            can_read_content=self.bot.settings.message_content_intent,
        )
        if reaction is Reaction.EXPLAIN_INTENT and await videos.needs_intent_hint(conversation):
            await self._answer(message, intent_hint(me))
        if reaction is Reaction.ASK_FOR_TEXT:
            raise BotError(EMPTY_MENTION)
        if reaction is not Reaction.REMIX:
            return
        continuation = await videos.continuation(thread.id, replied_message_id=reference if replies_to_me else None)
        if continuation is None or continuation.parent is None:
            raise BotError("There is no finished video in this thread to remix yet.")
        parent = continuation.parent
        like = await videos.job_for_message(parent.discord_message_id) if parent.discord_message_id else None
        author = message.author
        permissions = thread.permissions_for(author) if isinstance(author, discord.Member) else None
        await self.remix(
            message, thread, continuation, check_prompt(instruction_of(message.content, me)), author=author,
            permissions=permissions or discord.Permissions.none(),
            app_permissions=thread.permissions_for(thread.guild.me), like=like,
            image_url=self._image_from(message, like.model if like else conversation.model),
        )

    @staticmethod
    def _image_from(message: discord.Message, model: str) -> str | None:
        """The first image attached to a reply, used as input when the model takes one."""
        image = next((a for a in message.attachments if (a.content_type or "").startswith("image/")), None)
        if image is None or not MODELS[model].accepts_image:
            return None
        check_image(ImageInput(image.url, image.filename, image.content_type, image.size))
        return image.url

    @staticmethod
    async def _answer(message: discord.Message, text: str) -> None:
        try:
            await message.reply(text, mention_author=False)
        except discord.HTTPException as error:
            log.warning("could not answer message %s: %s", message.id, error)

    # --- shared -----------------------------------------------------------------------------------

    async def _post_progress(
        self,
        job: Job,
        conversation: Conversation,
        request: Turn,
        thread: discord.Thread,
        *,
        reply_to: discord.Message | None = None,
    ) -> None:
        """Post the job's own progress message in the thread and hand the job to the runner."""
        rendered = render_progress(progress_state(job))
        progress = await thread.send(
            embed=rendered.embed,
            view=rendered.view,
            reference=reply_to.to_reference(fail_if_not_exists=False) if reply_to else None,
            mention_author=False,
        )
        await self.bot.videos.launch(
            job, conversation=conversation, request=request, channel_id=thread.id, message_id=progress.id
        )

    async def _launch_or_refund(self, job: Job, steps: Awaitable[None]) -> None:
        """Run the Discord steps of a start; if Discord refuses one, end the job and give its units back."""
        try:
            await steps
        except discord.HTTPException as error:
            log.warning("starting job %s failed at Discord: %s", job.id, error)
            await self.bot.videos.abandon(job, "Discord refused a step of starting this video.")
            reason = "I'm missing a permission here" if error.status == 403 else "Discord refused a step"
            raise BotError(f"I couldn't start the video: {reason}. No quota was used.") from error
        except BaseException:
            await self.bot.videos.abandon(job, "The bot failed while starting this video.")
            raise


async def setup(bot: VideoBot) -> None:
    await bot.add_cog(VideoCog(bot))
