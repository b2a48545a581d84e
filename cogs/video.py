"""/video, the buttons under every video (Cancel, Remix, Re-roll, Retry, Refresh link, Delete), the Remix form
and replies.

Adapters only: each handler reads the interaction or message, asks the VideoService for a plan (which
holds every rule), and lets the VideoStarter post it. Refusals are BotErrors, shown by the error boundary.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.catalog import ORIENTATIONS
from bot.core.errors import BotError
from bot.discord_ui.acknowledge import acknowledge, answer_publicly
from bot.discord_ui.boundary import report_failure, user_sentence
from bot.discord_ui.components import INSTRUCTION_FIELD, RemixModal, origin_of, submitted_text
from bot.discord_ui.custom_ids import BUTTON_PREFIX, MODAL_PREFIX, read_button, read_modal
from bot.discord_ui.members import member_of
from bot.discord_ui.permissions import check_bot_permissions
from bot.discord_ui.render import remix_request_text, render_progress, starter_text, timestamp
from bot.discord_ui.services import Services, services_of
from bot.discord_ui.threads import reopen_for
from bot.generation.gate import UNRECOGNISED, JobReference
from bot.generation.pacing import MEMBER_INTERVAL, VIDEO_INTERVAL
from bot.generation.replies import Reaction, ThreadMessage, instruction_of, react_to
from bot.generation.requests import ImageInput
from bot.generation.service import VideoOptions, VideoPlan

log = logging.getLogger(__name__)

COG_NAME = "Video"
EMPTY_MENTION = "Tell me what should change after the mention, for example: “now at night, in the rain”."
ANNOUNCEMENTS = {"reroll": "🎲 Re-roll by <@{user}>", "retry": "🔁 Retry by <@{user}>"}
PACED = (f"This is the last result: a link can be refreshed once every {VIDEO_INTERVAL.seconds} seconds, and each "
         f"member can refresh one every {MEMBER_INTERVAL.seconds} seconds. Try again {{when}}.")


def intent_hint(bot_user_id: int) -> str:
    """What an unreadable message in a thread gets, once per thread."""
    return (
        f"I can't read messages here unless you ping me. Reply with <@{bot_user_id}>, "
        "or press Remix under the video."
    )


def image_input(attachment: discord.Attachment) -> ImageInput:
    """What the rules need to know about an attached picture."""
    return ImageInput(attachment.url, attachment.filename, attachment.content_type, attachment.size)


async def _refuse() -> None:
    raise BotError(UNRECOGNISED)


class VideoCog(commands.Cog, name=COG_NAME):
    """Making videos."""

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.video_command = self._build_video_command()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.video_command)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.video_command.name)

    # --- /video -----------------------------------------------------------------------------------

    def _build_video_command(self) -> app_commands.Command[Any, ..., None]:
        # Built per bot because the model, orientation, duration and size choices come from its provider profile.
        specs = [self.services.settings.provider.model(m) for m in self.services.settings.models]
        orientations = [o for o in ORIENTATIONS if any(o in s.orientations for s in specs)]
        durations = sorted({d for s in specs for d in s.durations})
        sizes = sorted({size for s in specs for size in s.sizes})

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
            model=[app_commands.Choice(name=s.label, value=s.name) for s in specs],
            orientation=[app_commands.Choice(name=o.capitalize(), value=o) for o in orientations],
            size=[app_commands.Choice(name=s, value=s) for s in sizes],
        )
        @app_commands.choices(duration=[app_commands.Choice(name=f"{d} seconds", value=d) for d in durations])
        async def video(  # noqa: PLR0917 - discord.py maps command options to parameters
            interaction: discord.Interaction,
            prompt: app_commands.Range[str, 1, 2000],
            model: str | None = None,
            orientation: str = "portrait",
            duration: int | None = None,
            size: str | None = None,
            image: discord.Attachment | None = None,
        ) -> None:
            options = VideoOptions(prompt, model, orientation, duration, size, image_input(image) if image else None)
            await self.start_video(interaction, options)

        return video

    async def start_video(self, interaction: discord.Interaction, options: VideoOptions) -> None:
        """Acknowledge, plan, charge, post publicly, open the thread (unless in one) and start the job."""
        channel, guild = interaction.channel, interaction.guild
        assert guild is not None and channel is not None
        thread = channel if isinstance(channel, discord.Thread) else None
        check_bot_permissions(interaction.app_permissions, in_thread=thread is not None)
        await reopen_for(interaction)
        await acknowledge(interaction)
        home = (thread.parent_id or thread.id) if thread else channel.id
        plan = await self.services.videos.plan_video(
            guild.id, options, channel_id=home, thread_id=thread.id if thread else None
        )
        post = starter_text(plan.params.prompt, interaction.user.id, plan.model, plan.params.orientation,
                            plan.params.duration)

        async def post_anchor() -> discord.Message:
            return await answer_publicly(interaction, post)

        await self.services.starter.start(
            plan, member_of(interaction.user, interaction.permissions), asked_in=channel.id, post_anchor=post_anchor,
            thread=thread, interaction=interaction,
        )

    # --- buttons and the Remix form ----------------------------------------------------------------

    async def guarded(self, interaction: discord.Interaction, work: Awaitable[None], where: str) -> None:
        """Run a component handler under the same error boundary as slash commands."""
        try:
            await work
        except Exception as error:
            await report_failure(interaction, error, where)

    async def on_button(self, interaction: discord.Interaction, action: str, reference: JobReference) -> None:
        """Route a click on one of a job's buttons; the service checks that the click belongs to that job."""
        videos, origin = self.services.videos, origin_of(interaction)
        # Checked before any answer too, so that a forged press shows not even a "thinking…" placeholder; each
        # service call below checks again, so no path depends on this line.
        await videos.job_named(reference, origin)
        await reopen_for(interaction)  # each of them edits or posts in the thread
        if action == "cancel":
            await interaction.response.defer()  # the progress message itself turns into "Cancelled by …"
            await videos.cancel(reference, origin, member_of(interaction.user, interaction.permissions))
        elif action == "remix":
            job = await videos.check_remixable(reference, origin)
            await interaction.response.send_modal(RemixModal(job))  # a form must be the first answer
        elif action in ("refresh", "delete"):
            await self._on_finished_video(interaction, action, reference)
        else:
            await acknowledge(interaction)
            plan = await videos.plan_repeat(reference, origin, "reroll" if action == "reroll" else "retry")
            await self._start_in_thread(interaction, plan, ANNOUNCEMENTS[action].format(user=interaction.user.id))

    async def _on_finished_video(self, interaction: discord.Interaction, action: str, reference: JobReference) -> None:
        """Refresh link or Delete: the service decides (and refuses with a sentence); the message is shown
        again from the records, with the new link, or without its video."""
        finished, origin = self.services.finished, origin_of(interaction)
        if action == "refresh":
            await interaction.response.defer()  # the video service may take a few seconds to answer
            refreshed = await finished.refresh_link(reference, origin, interaction.user.id)
            if refreshed.paced_until is not None:  # the message already shows the last result: no edit either
                await interaction.followup.send(PACED.format(when=timestamp(refreshed.paced_until)), ephemeral=True)
                return
            rendered = render_progress(refreshed.state)
            await interaction.edit_original_response(embed=rendered.embed, view=rendered.view)
            return
        state = await finished.delete(reference, origin, member_of(interaction.user, interaction.permissions))
        rendered = render_progress(state)
        await interaction.response.edit_message(embed=rendered.embed, view=rendered.view, attachments=[])

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A job's buttons and its Remix form, whether sent before or after the last restart. Handled here from
        the custom ID (not by discord.py's views, which drop a custom ID the clicked message lacks without a
        word): every custom ID with the bot's prefix is answered, a forged one with a sentence."""
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.component and custom_id.startswith(BUTTON_PREFIX):
            named = read_button(custom_id)
            if named is None:
                await self.guarded(interaction, _refuse(), "unrecognised button")
                return
            action, button_of = named
            await self.guarded(interaction, self.on_button(interaction, action, button_of), f"{action} button")
        elif interaction.type is discord.InteractionType.modal_submit and custom_id.startswith(MODAL_PREFIX):
            form_of = read_modal(custom_id)
            if form_of is None:
                await self.guarded(interaction, _refuse(), "unrecognised form")
                return
            instruction = submitted_text(data, INSTRUCTION_FIELD)
            await self.guarded(interaction, self.remix_from_form(interaction, form_of, instruction), "remix form")

    async def remix_from_form(
        self, interaction: discord.Interaction, reference: JobReference, instruction: str
    ) -> None:
        """The Remix form was sent: a new job continuing from that video, if the form belongs here."""
        thread = interaction.channel
        if not isinstance(thread, discord.Thread):
            raise BotError("I can't find that video any more.")
        await self.services.videos.job_named(reference, origin_of(interaction))  # no placeholder for a forgery
        await reopen_for(interaction)  # the form belongs here: its thread may have been archived meanwhile
        await acknowledge(interaction)
        plan = await self.services.videos.plan_remix_of_job(reference, origin_of(interaction), instruction)
        await self._start_in_thread(interaction, plan, remix_request_text(plan.params.prompt, interaction.user.id))

    async def _start_in_thread(self, interaction: discord.Interaction, plan: VideoPlan, announcement: str) -> None:
        thread = interaction.channel
        if not isinstance(thread, discord.Thread):
            raise BotError("I can't find the request behind this video any more.")
        check_bot_permissions(interaction.app_permissions, in_thread=True)

        async def post_anchor() -> discord.Message:
            return await answer_publicly(interaction, announcement)

        await self.services.starter.start(
            plan, member_of(interaction.user, interaction.permissions), asked_in=thread.id, post_anchor=post_anchor,
            thread=thread, interaction=interaction,
        )

    # --- replies in a thread ---------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A reply to a video (or a mention, or any message if the server allows it) remixes it."""
        thread, me = message.channel, self.bot.user
        if message.author.bot or me is None or not isinstance(thread, discord.Thread) or message.guild is None:
            return
        if not await self.services.videos.is_bot_thread(thread.id):
            return
        try:
            await self._remix_from_message(message, thread, me.id)
        except BotError as refusal:
            await self._answer(message, user_sentence(refusal))
        except Exception:
            log.exception("remix from message %s failed", message.id)
            await self._answer(message, "Something went wrong on my side. It has been logged; please try again.")

    async def _remix_from_message(self, message: discord.Message, thread: discord.Thread, me: int) -> None:
        videos = self.services.videos
        reference = message.reference.message_id if message.reference else None
        replied = message.reference.resolved if message.reference else None
        if isinstance(replied, discord.Message):
            replies_to_me = replied.author.id == me
        else:  # not in the payload: is it one of our progress messages?
            replies_to_me = reference is not None and await videos.is_progress_message(reference)
        facts = ThreadMessage(
            content=message.content,
            has_attachments=bool(message.attachments),
            is_reply=reference is not None,
            replies_to_bot=replies_to_me,
            mentions_bot=any(user.id == me for user in message.mentions),
        )
        guild_settings = await self.services.moderation.settings(thread.guild.id)
        reaction = react_to(
            facts, bot_user_id=me, plain_messages_remix=guild_settings.plain_messages_remix,
            can_read_content=self.services.settings.message_content_intent,
        )
        if reaction is Reaction.EXPLAIN_INTENT and await videos.needs_intent_hint(thread.id):
            await self._answer(message, intent_hint(me))
        if reaction is Reaction.ASK_FOR_TEXT:
            raise BotError(EMPTY_MENTION)
        if reaction is not Reaction.REMIX:
            return
        picture = next((a for a in message.attachments if (a.content_type or "").startswith("image/")), None)
        plan = await videos.plan_remix(
            thread.id, instruction_of(message.content, me), video_message_id=reference if replies_to_me else None,
            image=image_input(picture) if picture else None,
        )
        check_bot_permissions(thread.permissions_for(thread.guild.me), in_thread=True)
        author = message.author
        permissions = thread.permissions_for(author) if isinstance(author, discord.Member) else None

        async def post_anchor() -> discord.Message:
            return message  # the member's own reply is what the video answers

        await self.services.starter.start(
            plan, member_of(author, permissions or discord.Permissions.none()), asked_in=thread.id,
            post_anchor=post_anchor, thread=thread,
        )

    @staticmethod
    async def _answer(message: discord.Message, text: str) -> None:
        try:
            await message.reply(text, mention_author=False)
        except discord.HTTPException as error:
            log.warning("could not answer message %s: %s", message.id, error)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(VideoCog(bot, services_of(bot)))
