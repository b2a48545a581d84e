"""`videobot --check`: each thing the bot needs, reported as ok or as a problem a person can fix."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.core.config import Settings, database_url_secrets, display_database_url
from bot.core.sharding import Shards
from bot.discord_ui.upload_limits import DEFAULT_UPLOAD_LIMIT, TIER_LIMITS, MiB
from bot.store import Store, is_database_url

PROBE_TIMEOUT = aiohttp.ClientTimeout(total=8)
DISCORD_API = "https://discord.com/api/v10"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report."""

    ok: bool
    item: str
    detail: str

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'problem':<8} {self.item}: {self.detail}"


async def check_database(target: Path | str) -> CheckResult:
    """Open and migrate the database (a SQLite file, or the PostgreSQL server of a URL); name the engine."""
    where = f"PostgreSQL at {display_database_url(str(target))}" if is_database_url(target) else f"SQLite {target}"
    try:
        store = await Store.open(target)
    except Exception as exc:  # any failure here is the report's content, not a crash
        return CheckResult(False, "database", f"{where} could not be opened or migrated ({_scrubbed(exc, target)})")
    try:
        described, version = await store.db.describe(), await store.db.schema_version()
    finally:
        await store.close()
    return CheckResult(True, "database", f"{described}, schema version {version}")


async def check_video_api(settings: Settings, session: aiohttp.ClientSession) -> CheckResult:
    """Ask the video API for its model list: proves the URL and the key."""
    url = f"{settings.video_api_base_url}/v1/models"
    headers = {"Authorization": f"Bearer {settings.video_api_key.reveal()}"} if settings.video_api_key else {}
    try:
        async with session.get(url, headers=headers, timeout=PROBE_TIMEOUT) as response:
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        return CheckResult(False, "video API", f"{settings.video_api_base_url} is unreachable ({_short(exc)})")
    if status in (401, 403):
        return CheckResult(False, "video API", "VIDEO_API_KEY was refused by the video API")
    if status >= 500:
        return CheckResult(False, "video API", f"{settings.video_api_base_url} answered with an error (HTTP {status})")
    return CheckResult(True, "video API", f"{settings.video_api_base_url} answered (HTTP {status})")


async def check_discord(settings: Settings, session: aiohttp.ClientSession) -> CheckResult:
    """Ask Discord who the token belongs to."""
    base = settings.discord_api_base_url or DISCORD_API
    headers = {"Authorization": f"Bot {settings.discord_token.reveal()}"}
    try:
        async with session.get(f"{base}/users/@me", headers=headers, timeout=PROBE_TIMEOUT) as response:
            status = response.status
            body = await response.json(content_type=None) if status == 200 else {}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return CheckResult(False, "Discord", f"{base} is unreachable ({_short(exc)})")
    if status == 401:
        return CheckResult(False, "Discord", "DISCORD_TOKEN was refused by Discord; copy it again from the Bot page")
    if status != 200:
        return CheckResult(False, "Discord", f"{base} answered with HTTP {status}")
    return CheckResult(True, "Discord", f"logged in as {body.get('username', '?')} (id {body.get('id', '?')})")


def shards_run(settings: Settings) -> str:
    """Which shards this process runs, in words."""
    if settings.shard_count is None:
        return "every shard, as many as Discord recommends"
    ids = settings.shard_ids if settings.shard_ids is not None else tuple(range(settings.shard_count))
    return str(Shards(settings.shard_count, ids))


async def check_shards(settings: Settings, session: aiohttp.ClientSession) -> CheckResult:
    """Which shards this process runs, beside what Discord recommends and how many session starts are left."""
    base = settings.discord_api_base_url or DISCORD_API
    headers = {"Authorization": f"Bot {settings.discord_token.reveal()}"}
    mine = f"this process runs {shards_run(settings)}"
    try:
        async with session.get(f"{base}/gateway/bot", headers=headers, timeout=PROBE_TIMEOUT) as response:
            body = await response.json(content_type=None) if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("session_start_limit"), dict):
        return CheckResult(True, "shards", f"{mine} (Discord's recommendation could not be read)")
    recommended, limit = body.get("shards"), body["session_start_limit"]
    starts = f"{limit.get('remaining')} of {limit.get('total')} session starts left today"
    if limit.get("remaining") == 0:
        hours = int(limit.get("reset_after", 0)) / 3_600_000
        return CheckResult(False, "shards", f"{mine}, but Discord allows no more session starts for {hours:.1f} h")
    advice = ""
    if settings.shard_count is not None and isinstance(recommended, int) and recommended > settings.shard_count:
        advice = f"; raise DISCORD_SHARD_COUNT to {recommended} (Discord refuses 2,500 servers or more on one shard)"
    return CheckResult(True, "shards", f"{mine}; Discord recommends {recommended}; {starts}{advice}")


def check_uploads(settings: Settings) -> CheckResult:
    """The upload limit the bot assumes until a server's own interactions say otherwise, and what it does with
    a larger video. (Nothing to probe: only an interaction carries a server's live number.)"""
    tiers = ", ".join(f"{limit // MiB} MiB at boost tier {tier}" for tier, limit in sorted(TIER_LIMITS.items()))
    larger = "re-encoded to fit" if settings.reencode_videos else "linked (REENCODE_VIDEOS=false)"
    return CheckResult(
        True, "uploads",
        f"each server's limit is read from its interactions; until one is seen, {DEFAULT_UPLOAD_LIMIT // MiB} MiB "
        f"is assumed ({tiers}); larger videos are {larger}",
    )


async def run_checks(settings: Settings) -> list[CheckResult]:
    """Every check, the network ones concurrently."""
    database = await check_database(settings.database_url.reveal() or settings.database_path)
    async with aiohttp.ClientSession() as session:
        api, discord_login, shards = await asyncio.gather(
            check_video_api(settings, session), check_discord(settings, session), check_shards(settings, session)
        )
    return [database, api, discord_login, shards, check_uploads(settings)]


def _scrubbed(exc: BaseException, target: Path | str) -> str:
    text = _short(exc)
    for secret in database_url_secrets(str(target)) if is_database_url(target) else ():
        text = text.replace(secret, "********")
    return text


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "…"
