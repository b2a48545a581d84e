"""Pure rendering of /videos (a Components V2 message), of the best-of repost, and the custom IDs of the
library's buttons, which carry everything a click needs (so they work after a restart) and are checked again
when clicked (see bot/generation/library.py): nothing in them is trusted.

Layout of a page (at most 37 of Discord's 40 components): one container holding a heading, a media gallery
of the page's videos, then one section per video (its caption with the jump link, and a Remix button), then
◀ ▶ and the page number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import discord

from bot.discord_ui.limits import escaped
from bot.discord_ui.render import Colour
from bot.store import LibraryVideo
from bot.views.library import LibraryPage, LibraryQuery

PAGE_ID: Final = re.compile(
    r"^videobot:lib:(?P<whose>mine|server|member):(?P<user>[0-9]{1,20}):(?P<model>[A-Za-z0-9._-]{1,40}):"
    r"(?P<page>[0-9]{1,6})$"
)
REMIX_ID: Final = re.compile(r"^videobot:lib-remix:(?P<job_id>[0-9]{1,20})$")
REMIX_MODAL_PREFIX: Final = "videobot:lib-remix-modal"
REMIX_MODAL_ID: Final = re.compile(rf"^{REMIX_MODAL_PREFIX}:(?P<job_id>[0-9]{{1,20}})$")
NO_MODEL: Final = "-"
CAPTION_PROMPT: Final = 80  # characters of the prompt in a caption
GALLERY_DESCRIPTION: Final = 256  # discord.py's bound for a gallery item's description (Discord allows more)
DISCORD_WEB: Final = "https://discord.com/channels"

Media = Mapping[int, str]  # job ID → a URL Discord can show in a gallery


def page_id(query: LibraryQuery, page: int) -> str:
    """The custom ID of ◀ or ▶: whose videos, which model, which page."""
    return f"videobot:lib:{query.whose}:{query.user_id or 0}:{query.model or NO_MODEL}:{page}"


def query_of(match: re.Match[str]) -> LibraryQuery:
    """The query a ◀ ▶ custom ID asks for (to be checked: it may be made up)."""
    whose = match["whose"]
    user = int(match["user"]) or None
    model = None if match["model"] == NO_MODEL else match["model"]
    assert whose in ("mine", "server", "member")
    return LibraryQuery(whose, user, model, int(match["page"]))  # type: ignore[arg-type]


def jump_url(guild_id: int, video: LibraryVideo) -> str | None:
    """A link to the message that shows the video, in its thread."""
    if video.thread_id is None:
        return None
    tail = f"/{video.message_id}" if video.message_id else ""
    return f"{DISCORD_WEB}/{guild_id}/{video.thread_id}{tail}"


def caption(video: LibraryVideo, *, stars_shown: bool) -> str:
    """`🎬 A cow with wings… · @maya · sora-2 · ⭐ 3` (the mention never pings: nothing the bot sends does)."""
    prompt = escaped(" ".join(video.prompt.split()), CAPTION_PROMPT)
    parts = [f"🎬 {prompt}", f"<@{video.user_id}>", video.model]
    if stars_shown and video.stars:
        parts.append(f"⭐ {video.stars}")
    return " · ".join(parts)


def alt_text(video: LibraryVideo) -> str:
    """A gallery item's description: plain text (Discord shows it as the media's alt text, not as markdown)."""
    prompt = " ".join(video.prompt.split())
    return f"{prompt[:CAPTION_PROMPT]} · {video.model}"[:GALLERY_DESCRIPTION]


def heading(page: LibraryPage, channel_hint: str | None = None) -> str:
    query = page.query
    whose = {"mine": "Your videos", "server": "Videos in this server", "member": f"Videos by <@{query.user_id}>"}
    title = whose[query.whose] + (f" made with {query.model}" if query.model else "")
    count = f"{page.total} video{'s' if page.total != 1 else ''}, newest first"
    return f"### {title}\n{count}" + (f" · {channel_hint}" if channel_hint else "")


def library_view(page: LibraryPage, guild_id: int, media: Media) -> discord.ui.LayoutView:
    """The /videos message for one page."""
    view = discord.ui.LayoutView(timeout=None)
    container: discord.ui.Container[Any] = discord.ui.Container(accent_colour=Colour.BLURPLE)
    container.add_item(discord.ui.TextDisplay(heading(page)))
    if not page.videos:
        container.add_item(discord.ui.TextDisplay("No videos here yet. Make one with /video."))
    gallery = [
        discord.MediaGalleryItem(media[v.job_id], description=alt_text(v))
        for v in page.videos if v.job_id in media
    ]
    if gallery:
        container.add_item(discord.ui.MediaGallery(*gallery))
    first = page.query.page * 10
    for number, video in enumerate(page.videos, start=first + 1):
        link = jump_url(guild_id, video)
        text = f"**{number}.** {caption(video, stars_shown=page.stars_shown)}"
        if link:
            text += f"\n[Open its thread]({link})"
        remix = discord.ui.Button[Any](label="Remix", emoji="✏️", custom_id=f"videobot:lib-remix:{video.job_id}")
        container.add_item(discord.ui.Section(discord.ui.TextDisplay(text), accessory=remix))
    if page.pages > 1:
        container.add_item(discord.ui.Separator())
        row: discord.ui.ActionRow[Any] = discord.ui.ActionRow()
        row.add_item(discord.ui.Button(emoji="◀", custom_id=page_id(page.query, max(0, page.query.page - 1)),
                                       disabled=not page.has_previous))
        row.add_item(discord.ui.Button(label=f"{page.query.page + 1} / {page.pages}", custom_id="videobot:lib:page",
                                       disabled=True, style=discord.ButtonStyle.secondary))
        row.add_item(discord.ui.Button(emoji="▶", custom_id=page_id(page.query, page.query.page + 1),
                                       disabled=not page.has_next))
        container.add_item(row)
    view.add_item(container)
    view.stop()  # not kept in memory: clicks are matched by custom ID (persistent DynamicItems)
    return view


def best_of_view(video: LibraryVideo, guild_id: int, media_url: str | None) -> discord.ui.LayoutView:
    """A video reposted to the best-of channel: its caption, the video, and a link to its thread."""
    view = discord.ui.LayoutView(timeout=None)
    container: discord.ui.Container[Any] = discord.ui.Container(accent_colour=Colour.GREEN)
    text = f"### ⭐ Best this week\n{caption(video, stars_shown=True)}"
    link = jump_url(guild_id, video)
    if link:
        text += f"\n[Open its thread]({link})"
    container.add_item(discord.ui.TextDisplay(text))
    if media_url:
        container.add_item(discord.ui.MediaGallery(discord.MediaGalleryItem(media_url)))
    view.add_item(container)
    view.stop()
    return view
