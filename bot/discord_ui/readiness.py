"""What `/readyz` checks (bot/core/ops.py serves it): the gateway shards this process runs, the database, the
video service, and that the process is not handing its jobs over to stop. Each reads kept state or asks one
cheap question, so the endpoint answers in milliseconds."""

from __future__ import annotations

import time
from typing import Final

import aiohttp
from discord.ext import commands

from bot.core import metrics
from bot.core.config import Settings
from bot.core.ops import Check
from bot.generation.runner import JobRunner
from bot.store import Store

VENDOR_FRESH: Final = 300.0  # seconds: a video API that answered this recently is taken as up
PROBE_EVERY: Final = 30.0  # seconds a probe's finding is kept while no real request answers
PROBE_TIMEOUT: Final = 0.9  # within ops.CHECK_BOUND


def gateway_check(bot: commands.AutoShardedBot) -> Check:
    """Every shard this process runs is connected and the bot saw READY."""
    ids = list(bot.shard_ids) if bot.shard_ids is not None else list(range(bot.shard_count or 1))
    down = [i for i in ids if (shard := bot.get_shard(i)) is None or shard.is_closed()]
    if down or not bot.is_ready():
        return Check(False, f"shard(s) {', '.join(map(str, down or ids))} not connected")
    return Check(True, f"shard(s) {', '.join(map(str, ids))} connected")


async def database_check(store: Store) -> Check:
    await store.db.fetch_value("SELECT 1")
    return Check(True, "answers")


def accepting_check(runner: JobRunner) -> Check:
    if runner.closing:
        return Check(False, "shutting down: handing its videos over to another process")
    return Check(True, "accepting videos")


class VendorCheck:
    """The video API answered a real request within VENDOR_FRESH seconds, or else a probe (GET /v1/models,
    the request `videobot --check` makes) does; a probe's finding is kept PROBE_EVERY seconds."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self._url = f"{settings.video_api_base_url}/v1/models"
        key = settings.video_api_key.reveal()
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._session = session
        self._probed: tuple[float, Check] | None = None

    async def __call__(self) -> Check:
        silent = metrics.vendor_silent_for()
        if silent is not None and silent < VENDOR_FRESH:
            return Check(True, f"answered {silent:.0f} s ago")
        if self._probed is not None and time.monotonic() - self._probed[0] < PROBE_EVERY:
            return self._probed[1]
        found = await self._probe()
        self._probed = (time.monotonic(), found)
        return found

    async def _probe(self) -> Check:
        try:
            timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
            async with self._session.get(self._url, headers=self._headers, timeout=timeout) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            return Check(False, f"unreachable ({type(error).__name__})")
        if status in (401, 403):
            return Check(False, "refused the API key")
        if status >= 500:
            return Check(False, f"answered HTTP {status}")
        metrics.vendor_answered(status)
        return Check(True, f"probe answered HTTP {status}")
