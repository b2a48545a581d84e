"""DISCORD_SHARD_IDS=claim: a process takes the lowest shard no running process holds, for its whole life.

Meant for identical replicas (`docker compose up` with N bot containers, see deploy/): none is told its shard;
each holds one with a PostgreSQL session advisory lock on a connection of its own, so the lock goes with the
process however it ends (a clean stop, a crash, a lost connection). A replica that finds every shard held waits
as a standby and takes the first one freed, such as that of a process that stopped and was not restarted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import asyncpg

log = logging.getLogger(__name__)

CLAIM_KEY: Final = 0x76626F74  # "vbot": the first half of each shard's advisory lock key; the shard is the second
STANDBY_RETRY: Final = 5.0  # seconds between two looks for a freed shard while every one is held


@asynccontextmanager
async def claimed_shard(url: str, shard_count: int, *, retry: float = STANDBY_RETRY) -> AsyncIterator[int]:
    """Hold the lowest free shard of `shard_count` until the block ends (waiting while all are held)."""
    connection = await asyncpg.connect(url, server_settings={"application_name": "videobot shard claim"})
    try:
        shard = await _take(connection, shard_count, retry)
        log.info("claimed shard %d of %d (DISCORD_SHARD_IDS=claim)", shard, shard_count)
        yield shard
    finally:
        await connection.close()  # the lock ends with the session


async def _take(connection: asyncpg.Connection, shard_count: int, retry: float) -> int:
    waiting = False
    while True:
        for shard in range(shard_count):
            if await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", CLAIM_KEY, shard):
                return shard
        if not waiting:
            log.info("all %d shard(s) are run by other processes; waiting as a standby", shard_count)
            waiting = True
        await asyncio.sleep(retry)
