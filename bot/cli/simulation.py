"""`--simulate`: run the local video API simulator and point the real client code at it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.config import Settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def simulated(settings: Settings) -> AsyncIterator[Settings]:
    """Yield `settings` unchanged, or, with `--simulate`, settings aimed at a simulator started here."""
    if not settings.simulate:
        yield settings
        return
    from bot.videoapi.simulator import Simulator  # noqa: PLC0415 - only needed in this mode

    simulator = Simulator.for_demo()
    base_url = await simulator.start("127.0.0.1", 0)
    log.info("video API simulator listening on %s (videos are fake, nothing is billed)", base_url)
    try:
        # Its media is served from loopback over http, so it is trusted by name, not by exception.
        yield dataclasses.replace(
            settings,
            video_api_base_url=base_url,
            trusted_media_origins=(*settings.trusted_media_origins, base_url),
            provider=settings.provider.with_raw_data_url(simulator.raw_data_url),
        )
    finally:
        await simulator.close()
