"""The services the cogs use, built once by the app and found through the client."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.core.config import Settings
from bot.discord_ui.modlog import ModLog
from bot.discord_ui.starter import VideoStarter
from bot.generation.finished import FinishedVideos
from bot.generation.service import VideoService
from bot.quotas.admission import QuotaService
from bot.quotas.keys import ServerKeys
from bot.quotas.moderation import Moderation
from bot.quotas.spending import Spending
from bot.views.status import StatusView


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a cog may call."""

    settings: Settings
    videos: VideoService
    starter: VideoStarter
    quotas: QuotaService
    moderation: Moderation
    modlog: ModLog
    finished: FinishedVideos  # Refresh link and Delete under a finished video
    keys: ServerKeys  # a server's own video API key
    spending: Spending  # money spent, for /quota top
    status: StatusView  # /videobot status (a read-side view)


def services_of(client: discord.Client) -> Services:
    """The services of the bot a cog (or a persistent button) was loaded into."""
    services = getattr(client, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("the cogs run inside VideoBot, which provides their services")
    return services
