"""VideoStarter: the Discord steps of every start — the post, the thread, the progress message — then launch.

/video, Remix, Re-roll, Retry and replies differ only in what they post first (the public post, an
announcement in the thread, or the member's own reply) and whether a new thread hangs off it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Final

import discord

from bot.core.errors import BotError
from bot.discord_ui.refusals import THREAD_ARCHIVED
from bot.discord_ui.render import render_progress, thread_name
from bot.discord_ui.upload_limits import UploadLimits
from bot.generation.service import VideoPlan, VideoService
from bot.generation.state import progress_state
from bot.quotas.policy import Member
from bot.store import Job

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Final = 1440

PostAnchor = Callable[[], Awaitable[discord.Message]]


class VideoStarter:
    """Admit, post, open the thread if the plan needs one, post the progress message, launch."""

    def __init__(self, videos: VideoService, limits: UploadLimits) -> None:
        self._videos = videos
        self._limits = limits

    async def start(
        self,
        plan: VideoPlan,
        member: Member,
        *,
        asked_in: int,
        post_anchor: PostAnchor,
        thread: discord.Thread | None,
        interaction: discord.Interaction | None = None,
    ) -> Job:
        """Start `plan` for `member`, who asked in channel `asked_in`. `post_anchor` posts (or returns) the
        message the video answers; `thread` is where the progress message goes, or None to open a thread
        from the anchor. `interaction` is what asked (None for a reply): its live upload limit goes with the job."""
        plan = dataclasses.replace(plan, params=dataclasses.replace(
            plan.params, upload_limit=self._upload_limit(plan.guild_id, interaction)
        ))
        admission = await self._videos.admit(plan, member, asked_in=asked_in)
        job = admission.job
        try:
            anchor = await post_anchor()
            await self._videos.posted(job, channel_id=anchor.channel.id, message_id=anchor.id)
            if thread is None:
                thread = await anchor.create_thread(
                    name=thread_name(plan.params.prompt), auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
                reply_to = None
            else:
                reply_to = anchor
            await self._videos.thread_opened(job, thread.id)
            progress = await _post_progress(thread, job, reply_to)
            await self._videos.launch(
                plan, job, home_channel_id=thread.parent_id or thread.id, thread_id=thread.id,
                author_id=member.user_id, anchor_message_id=anchor.id, progress_message_id=progress.id,
            )
        except discord.HTTPException as error:
            log.warning("starting job %s failed at Discord: %s", job.id, error)
            await self._videos.abandon(job, "Discord refused a step of starting this video.")
            reason = _refused_step(error)
            raise BotError(f"I couldn't start the video: {reason}. No quota was used.") from error
        except BaseException:
            await self._videos.abandon(job, "The bot failed while starting this video.")
            raise
        return job

    def _upload_limit(self, guild_id: int, interaction: discord.Interaction | None) -> int:
        """The per-file limit the video will be fitted to: the asking interaction's live number, else the best
        known for the server (see bot/discord_ui/upload_limits.py)."""
        live = self._limits.of_interaction(interaction) if interaction is not None else None
        return live if live is not None else self._limits.for_guild(guild_id)


def _refused_step(error: discord.HTTPException) -> str:
    """Why Discord refused a step of a start, as the member reads it after "I couldn't start the video: "."""
    if error.code == THREAD_ARCHIVED:
        return "this thread is archived or locked and I couldn't reopen it"
    return "I'm missing a permission here" if error.status == 403 else "Discord refused a step"


async def _post_progress(thread: discord.Thread, job: Job, reply_to: discord.Message | None) -> discord.Message:
    """The job's own progress message, answering the member's request when that is in the thread too."""
    rendered = render_progress(progress_state(job))
    if reply_to is None:
        return await thread.send(embed=rendered.embed, view=rendered.view)
    return await thread.send(
        embed=rendered.embed, view=rendered.view, reference=reply_to.to_reference(fail_if_not_exists=False),
        mention_author=False,
    )
