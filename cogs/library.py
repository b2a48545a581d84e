"""/videos, ◀ ▶ and Remix under it, ⭐ under every finished video, and /videobot library for moderators.

Adapters only: the page comes from its view (bot/views/library.py), every rule from bot/generation/library.py,
and the pictures from bot/discord_ui. Every button is a persistent DynamicItem matched by custom ID (so it
works after a restart), and every custom ID is checked again against the clicking member: a made-up one shows
nothing that member could not see.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import BotError
from bot.discord_ui.boundary import report_failure
from bot.discord_ui.components import INSTRUCTION_FIELD, RemixModal, origin_of, submitted_text
from bot.discord_ui.library_access import media_urls, viewable_channel_ids
from bot.discord_ui.library_render import (
    PAGE_ID,
    REMIX_ID,
    REMIX_MODAL_ID,
    REMIX_MODAL_PREFIX,
    library_view,
    query_of,
)
from bot.discord_ui.library_settings_render import library_change_log, library_settings_text
from bot.discord_ui.members import member_of
from bot.discord_ui.moderators import reply
from bot.discord_ui.permissions import check_bot_permissions, check_log_channel
from bot.discord_ui.render import remix_request_text, render_progress
from bot.discord_ui.services import Services, services_of
from bot.discord_ui.stars_render import STAR_ID, star_id
from bot.generation.gate import JobReference
from bot.generation.library import STARS_OFF, LibraryEdit
from bot.views.library import LibraryQuery, Whose

COG_NAME = "Library"
NOT_ALLOWED = "Only members with Manage Server can change the library's settings."
UNKNOWN_MODEL = "That model isn't offered here any more; use /videos again."
MAX_BEST_OF_STARS = 1000


def _cog(interaction: discord.Interaction) -> LibraryCog:
    return cast(LibraryCog, cast(commands.Bot, interaction.client).get_cog(COG_NAME))


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_ID.pattern):
    """◀ or ▶ under /videos."""

    def __init__(self, match: re.Match[str]) -> None:
        super().__init__(discord.ui.Button(custom_id=match.string))
        self.match = match

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(match)

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        await cog.guarded(interaction, cog.turn_page(interaction, self.match), "library page")


class LibraryRemixButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REMIX_ID.pattern):
    """Remix beside a video in /videos."""

    def __init__(self, job_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=f"videobot:lib-remix:{job_id}"))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> LibraryRemixButton:
        return cls(int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        await cog.guarded(interaction, cog.open_remix(interaction, self.job_id), "library remix")


class StarButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=STAR_ID.pattern):
    """⭐ under a finished video."""

    def __init__(self, reference: JobReference) -> None:
        super().__init__(discord.ui.Button(custom_id=star_id(reference.job_id, reference.key)))
        self.reference = reference

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> StarButton:
        return cls(JobReference(int(match["job_id"]), match["key"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        await cog.guarded(interaction, cog.star(interaction, self.reference), "star")


class LibraryCog(commands.Cog, name=COG_NAME):
    """The library of finished videos."""

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.videos_command = self._build_videos()
        self.settings_command = self._build_settings()
        self._group: app_commands.Group | None = None

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.videos_command)
        self.bot.add_dynamic_items(PageButton, LibraryRemixButton, StarButton)
        group = getattr(self.bot.get_cog("Settings"), "group", None)
        if not isinstance(group, app_commands.Group):
            raise RuntimeError("cogs.library extends /videobot: load cogs.settings first")
        self._group = group
        group.add_command(self.settings_command)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.videos_command.name)
        self.bot.remove_dynamic_items(PageButton, LibraryRemixButton, StarButton)
        if self._group is not None:
            self._group.remove_command(self.settings_command.name)

    async def guarded(self, interaction: discord.Interaction, work: Awaitable[None], where: str) -> None:
        """Run a handler under the same error boundary as slash commands."""
        try:
            await work
        except Exception as error:
            await report_failure(interaction, error, where)

    # --- /videos ----------------------------------------------------------------------------------

    def _build_videos(self) -> app_commands.Command[Any, ..., None]:
        provider, settings = self.services.settings.provider, self.services.settings
        models = [app_commands.Choice(name=provider.model(m).label, value=m) for m in settings.models]

        @app_commands.command(name="videos", description="The videos made here: yours, the server's or a member's")
        @app_commands.guild_only()
        @app_commands.describe(
            whose="Your videos or everyone's (default: everyone's)", member="Only this member's videos",
            model="Only videos made with this model",
        )
        @app_commands.choices(
            whose=[app_commands.Choice(name="Mine", value="mine"), app_commands.Choice(name="Server", value="server")],
            model=models,
        )
        async def videos(
            interaction: discord.Interaction, whose: str = "server", member: discord.Member | None = None,
            model: str | None = None,
        ) -> None:
            if member is not None:
                query = LibraryQuery("member", member.id, model)
            else:
                kind: Whose = "mine" if whose == "mine" else "server"
                query = LibraryQuery(kind, interaction.user.id if kind == "mine" else None, model)
            await interaction.response.send_message(view=await self._page(interaction, query), ephemeral=True)

        return videos

    async def _page(self, interaction: discord.Interaction, query: LibraryQuery) -> discord.ui.LayoutView:
        guild = interaction.guild
        if guild is None:
            raise BotError("This only works inside a server.")
        if query.model is not None and query.model not in self.services.settings.models:
            raise BotError(UNKNOWN_MODEL)
        page = await self.services.library_view.page(
            guild.id, interaction.user.id, viewable_channel_ids(guild, interaction.user), query
        )
        return library_view(page, guild.id, await media_urls(self.bot, page.videos))

    async def turn_page(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        """◀ or ▶: the page the button names, as the clicking member may see it."""
        await interaction.response.edit_message(view=await self._page(interaction, query_of(match)))

    # --- Remix from /videos -----------------------------------------------------------------------

    async def open_remix(self, interaction: discord.Interaction, job_id: int) -> None:
        """The Remix form of a video the member can see."""
        guild = interaction.guild
        assert guild is not None
        await self.services.library.remixable(guild.id, job_id, viewable_channel_ids(guild, interaction.user))
        modal = RemixModal(await self.services.videos.remixable_job(job_id))
        modal.custom_id = f"{REMIX_MODAL_PREFIX}:{job_id}"  # answered here, not in the video's thread
        await interaction.response.send_modal(modal)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """The Remix form opened from /videos was sent (before or after a restart)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        match = REMIX_MODAL_ID.match(str(data.get("custom_id", "")))
        if match is None:
            return
        instruction = submitted_text(data, INSTRUCTION_FIELD)
        await self.guarded(interaction, self.remix(interaction, int(match["job_id"]), instruction), "library remix")

    async def remix(self, interaction: discord.Interaction, job_id: int, instruction: str) -> None:
        """A remix of a library video, made in its own thread: the request is posted there, the member told
        privately where it is."""
        guild = interaction.guild
        assert guild is not None
        video = await self.services.library.remixable(
            guild.id, job_id, viewable_channel_ids(guild, interaction.user)
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread = guild.get_thread(video.conversation_thread_id) or await guild.fetch_channel(
            video.conversation_thread_id
        )
        if not isinstance(thread, discord.Thread):
            raise BotError("I can't find that video's thread any more.")
        if guild.me is not None:
            check_bot_permissions(thread.permissions_for(guild.me), in_thread=True)
        job = await self.services.videos.remixable_job(job_id)  # the library checked the member may reach it
        plan = await self.services.videos.plan_remix(thread.id, instruction, video_message_id=job.message_id)
        announcement = remix_request_text(plan.params.prompt, interaction.user.id)

        async def post_anchor() -> discord.Message:
            return await thread.send(announcement)

        await self.services.starter.start(
            plan, member_of(interaction.user, interaction.permissions), asked_in=thread.id, post_anchor=post_anchor,
            thread=thread,
        )
        await interaction.followup.send(f"✏️ Remixing it in {thread.mention}.", ephemeral=True)

    # --- ⭐ ----------------------------------------------------------------------------------------

    async def star(self, interaction: discord.Interaction, reference: JobReference) -> None:
        """Star the video, or take the star back; the button shows the count now."""
        guild = interaction.guild
        assert guild is not None
        origin = origin_of(interaction)
        job_id = (await self.services.videos.job_named(reference, origin)).id  # pressed under its own video
        library = self.services.library
        if not (await library.settings(guild.id)).stars_enabled:
            # The button outlived the setting: take it away, and say why.
            await library.visible_video(guild.id, job_id, viewable_channel_ids(guild, interaction.user))
            state = await self.services.finished.current(reference, origin)
            await interaction.response.edit_message(view=render_progress(state).view)
            await interaction.followup.send(STARS_OFF, ephemeral=True)
            return
        await library.toggle_star(guild.id, job_id, interaction.user.id, viewable_channel_ids(guild, interaction.user))
        state = await self.services.finished.current(reference, origin)
        await interaction.response.edit_message(view=render_progress(state).view)

    # --- /videobot library --------------------------------------------------------------------------

    def _build_settings(self) -> app_commands.Command[Any, ..., None]:
        services = self.services

        @app_commands.command(name="library", description="Show or change /videos, stars and the best-of channel")
        @app_commands.describe(
            library="Whether members can use /videos", stars="Whether finished videos get a ⭐ button",
            best_of_channel="Repost the week's most-starred videos in this channel",
            best_of_off="Stop reposting to the best-of channel",
            best_of_stars="Stars a video needs to be reposted (default 3)",
        )
        async def library(  # noqa: PLR0917 - discord.py maps command options to parameters
            interaction: discord.Interaction, library: bool | None = None, stars: bool | None = None,
            best_of_channel: discord.TextChannel | None = None, best_of_off: bool | None = None,
            best_of_stars: app_commands.Range[int, 1, MAX_BEST_OF_STARS] | None = None,
        ) -> None:
            guild = interaction.guild
            assert guild is not None
            if not interaction.permissions.manage_guild:  # the group checks too; a subcommand says its own words
                raise BotError(NOT_ALLOWED)
            edit = LibraryEdit(library, stars, best_of_channel.id if best_of_channel else None, best_of_off,
                               best_of_stars)
            if edit.is_empty:
                await reply(interaction, library_settings_text(await services.library.settings(guild.id)))
                return
            if best_of_channel is not None:
                check_log_channel(guild, best_of_channel.id)
            before, after = await services.library.edit_settings(guild.id, interaction.user.id, edit)
            await reply(interaction, "Saved.\n" + library_settings_text(after))
            if before != after:
                services.modlog.change(guild.id, library_change_log(interaction.user.id, before, after))

        return library


async def setup(bot: commands.Bot) -> None:
    if "cogs.settings" not in bot.extensions:  # the /videobot group the settings join is built there
        await bot.load_extension("cogs.settings")
    await bot.add_cog(LibraryCog(bot, services_of(bot)))
