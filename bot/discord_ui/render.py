"""Pure rendering: what the starter post, the thread name and the progress message say in each state.

Nothing here talks to Discord; discord.Embed and discord.ui.View are only data holders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import discord

from bot.core.scrub import plain
from bot.discord_ui import custom_ids, limits
from bot.discord_ui.limits import escaped, shortened
from bot.generation.state import Phase, ProgressState
from bot.media.links import link_expiry

THREAD_NAME_LIMIT: Final = 100
BAR_CELLS: Final = 10
PROMPT_PREVIEW: Final = 1500  # leaves room in the 4096-character description for the status lines
TASK_ID_SHOWN: Final = 100
ERROR_SHOWN: Final = 500


class Colour:
    GREY: Final = discord.Colour(0x95A5A6)
    BLURPLE: Final = discord.Colour(0x5865F2)
    GREEN: Final = discord.Colour(0x57F287)
    RED: Final = discord.Colour(0xED4245)
    DARK_GREY: Final = discord.Colour(0x4F545C)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message's content, embed and buttons."""

    content: str | None
    embed: discord.Embed
    view: discord.ui.View = field(compare=False)


def ordinal(n: int) -> str:
    """1 → 1st, 2 → 2nd, 11 → 11th, 23 → 23rd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def human_duration(seconds: float) -> str:
    """2 m 14 s, 45 s, 1 h 3 m: how long a video took."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} m"
    if minutes:
        return f"{minutes} m {secs} s"
    return f"{secs} s"


def human_size(size: int) -> str:
    """Bytes as Discord states upload limits: 10 MB, 50 MB, 1.5 MB."""
    mb = size / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 10 or mb == int(mb) else f"{mb:.1f} MB"


def progress_bar(percent: int) -> str:
    """▰▰▰▰▰▰▱▱▱▱ 61 %"""
    percent = min(100, max(0, percent))
    filled = round(percent * BAR_CELLS / 100)
    return f"{'▰' * filled}{'▱' * (BAR_CELLS - filled)} {percent} %"


def timestamp(moment: datetime, style: str = "R") -> str:
    """A Discord timestamp that each reader sees in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def quote_prompt(prompt: str, limit: int = PROMPT_PREVIEW) -> str:
    """The prompt as inert markdown of at most `limit` characters (its mentions never ping: every message
    the bot sends disables them)."""
    return escaped(prompt, limit)


def thread_name(prompt: str) -> str:
    """🎬 and the prompt's first line, cut on a word boundary to Discord's 100 characters."""
    first_line = " ".join(prompt.split())
    name = f"🎬 {first_line}"
    if len(name) <= THREAD_NAME_LIMIT:
        return name
    cut = name[: THREAD_NAME_LIMIT - 1]
    if " " in cut[3:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def starter_text(prompt: str, user_id: int, model: str, orientation: str, duration: int | None) -> str:
    """The public post the thread hangs off."""
    details = [f"<@{user_id}>", model, orientation]
    if duration:
        details.append(f"{duration} s")
    title = quote_prompt(" ".join(prompt.split()), limit=300)
    return f"🎬 **{title}**\n{' · '.join(details)}"


def remix_request_text(instruction: str, user_id: int) -> str:
    """The public line a Remix-button request leaves in the thread, which the progress message answers."""
    head = f"✏️ <@{user_id}>: "
    return head + quote_prompt(instruction, limit=limits.CONTENT - len(head))


def render_progress(state: ProgressState) -> Rendered:
    """The progress message for a state: title, colour, body, fields, footer and buttons."""
    title, colour, status_lines = _status(state)
    body = [*_preamble(state), quote_prompt(state.prompt), *status_lines]
    embed = discord.Embed(title=title, colour=colour, description="\n\n".join(line for line in body if line))
    embed.add_field(name="Model", value=state.model)
    embed.add_field(name="Orientation", value=state.orientation.capitalize())
    if state.duration:
        embed.add_field(name="Duration", value=f"{state.duration} s")
    if state.task_id:  # the vendor's, so bounded here (a field value over 1024 characters fails the edit),
        # and without backticks, which would end the code span and let the rest render as markdown
        task_id = plain(state.task_id).replace("`", "'")
        embed.add_field(name="Task ID", value=f"`{shortened(task_id, TASK_ID_SHOWN)}`")
    if state.phase is Phase.FINISHED and state.deleted_by is None:
        image = f"attachment://{state.attached_preview}" if state.attached_preview else state.preview_url
        if image:
            embed.set_image(url=image)
    footer = " · ".join(part for part in (_footer_hint(state), state.quota_note) if part)
    if footer and state.deleted_by is None:
        embed.set_footer(text=footer)
    return Rendered(content=None, embed=embed, view=_buttons(state))


def _preamble(state: ProgressState) -> list[str]:
    lines = []
    if state.remix_number:
        lines.append(f"Remixing video {state.remix_number} of this thread")
    if state.trimmed_to:
        lines.append(f"Using the first prompt and the last {state.trimmed_to} turns.")
    return ["\n".join(lines)] if lines else []


def _status(state: ProgressState) -> tuple[str, discord.Colour, list[str]]:
    phase = state.phase
    if phase is Phase.QUEUED:
        title = f"⏳ Queued — {ordinal(state.queue_position)} in line" if state.queue_position else "⏳ Queued"
        return title, Colour.GREY, [state.queue_reason or ""]
    if phase is Phase.WAITING:
        lines = [f"Started {timestamp(state.started_at)}"]
        if state.retry:
            attempt, of = state.retry
            lines.append(f"The video service isn't answering — retrying (attempt {attempt} of {of})")
        return "⏳ Waiting for the video service", Colour.GREY, lines
    if phase is Phase.GENERATING:
        lines = [progress_bar(state.progress)] if state.progress is not None else []
        lines.append(f"Started {timestamp(state.started_at)}")
        if state.fitting_for is not None:
            lines.append(f"Made. Re-encoding it to fit this server's {human_size(state.fitting_for)} upload limit…")
        return "🎞️ Generating", Colour.BLURPLE, lines
    if phase is Phase.FINISHED:
        if state.deleted_by is not None:
            gone = f"Deleted by <@{state.deleted_by}>; it can no longer be remixed."
            return "🗑️ Video deleted", Colour.DARK_GREY, [gone]
        took = human_duration(((state.finished_at or state.started_at) - state.started_at).total_seconds())
        return f"✅ Finished in {took}", Colour.GREEN, _delivery_notes(state)
    if phase is Phase.CANCELLED:
        who = f" by <@{state.cancelled_by}>" if state.cancelled_by else ""
        return f"⏹️ Cancelled{who}", Colour.DARK_GREY, ["No quota was used."]
    error = vendor_words(state.error or "Something went wrong.", ERROR_SHOWN)
    return "❌ Couldn't make this video", Colour.RED, [error, "No quota was used."]


def vendor_words(text: str, limit: int) -> str:
    """A sentence with the vendor's words in it (a failure reason, a note), shown like member text: scrubbed,
    markdown, masked links and mentions made inert, bounded."""
    return escaped(plain(text), limit)


def _delivery_notes(state: ProgressState) -> list[str]:
    """How the video came with the message (attached, re-encoded, linked and why) and how long its link lasts."""
    url = None if state.link_gone else state.video_url
    lines = [f"⚠️ {vendor_words(state.service_note, ERROR_SHOWN)}"] if state.service_note else []
    if state.video_attached and state.reencoded_for is not None:
        original = "the video service no longer has the original"
        if url:
            original = f"original: [link]({url})" if _fits_button(url) else "original: the link below"
        lines.append(f"Re-encoded to fit this server's {human_size(state.reencoded_for)} limit; {original}.")
    elif not state.video_attached and state.link_gone:
        lines.append("The video service no longer has this video, so there is no link to open.")
    elif state.too_large_limit is not None:
        even = ", even re-encoded" if state.fit_failed else ""
        lines.append(
            f"The video is larger than this server's upload limit ({human_size(state.too_large_limit)}){even}; "
            "open it from the link."
        )
    elif state.fit_failed and not state.video_attached:  # a fit failure without a limit: preparing it failed
        lines.append("The video could not be prepared to play here; open it from the link.")
    elif url and not state.video_attached:
        lines.append("Open the video from the link.")
    if url and _link_matters(state) and (expires := link_expiry(url)) is not None:
        lines.append(f"The link expires {timestamp(expires, 'f')} ({timestamp(expires)}).")
    if url and not _fits_button(url):
        lines.append(f"[▶️ Open the video]({url})")  # too long for a link button
    return lines


def _link_matters(state: ProgressState) -> bool:
    """Whether members depend on the vendor's link: the video is not attached, or only a re-encode is."""
    return not state.video_attached or state.reencoded_for is not None


def _footer_hint(state: ProgressState) -> str:
    if state.phase is Phase.FINISHED:
        return "Reply to this message to remix it"
    if state.phase in (Phase.FAILED, Phase.CANCELLED):
        return "Press Retry to try again"
    return "You can cancel while it runs"


def _fits_button(url: str) -> bool:
    # Signed CDN links are often longer than a link button allows; those go in the description instead.
    return url.startswith(("https://", "http://")) and len(url) <= limits.LINK_BUTTON_URL


def _buttons(state: ProgressState) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    job = state.job_id

    def button_id(action: str, job_id: int) -> str:  # custom IDs name the job with its key (bot.generation.gate)
        return custom_ids.button_id(action, job_id, state.button_key)

    if state.phase in (Phase.QUEUED, Phase.WAITING, Phase.GENERATING):
        view.add_item(
            discord.ui.Button(label="Cancel", style=discord.ButtonStyle.danger, custom_id=button_id("cancel", job))
        )
    elif state.phase is Phase.FINISHED and state.deleted_by is None:
        view.add_item(discord.ui.Button(label="Remix", emoji="✏️", custom_id=button_id("remix", job)))
        view.add_item(discord.ui.Button(label="Re-roll", emoji="🎲", custom_id=button_id("reroll", job)))
        url = None if state.link_gone else state.video_url
        if url and _fits_button(url):
            view.add_item(discord.ui.Button(label="Open", emoji="▶️", url=url))
        if url and _link_matters(state):
            view.add_item(discord.ui.Button(label="Refresh link", emoji="🔄", custom_id=button_id("refresh", job)))
        view.add_item(
            discord.ui.Button(label="Delete", emoji="🗑️", style=discord.ButtonStyle.danger,
                              custom_id=button_id("delete", job))
        )
    elif state.phase is not Phase.FINISHED:  # failed or cancelled (a deleted video keeps no buttons)
        view.add_item(
            discord.ui.Button(label="Retry", style=discord.ButtonStyle.primary, custom_id=button_id("retry", job))
        )
    # A stopped view is sent but not registered in discord.py's view store: the Video cog handles every click
    # from its custom ID (cogs/video.py, on_interaction), also after a restart; nothing piles up in memory.
    view.stop()
    return view
