"""DISCORD_SHARD_IDS=claim: identical replicas each take a shard of their own; a spare one waits for a freed one."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from bot.store.shard_claims import claimed_shard
from tests.store.backends import postgres

__all__ = ["postgres"]


async def test_replicas_take_one_shard_each_and_a_spare_waits_for_a_freed_one(postgres: str) -> None:
    async with AsyncExitStack() as first, AsyncExitStack() as second:
        shards = [await first.enter_async_context(claimed_shard(postgres, 2)),
                  await second.enter_async_context(claimed_shard(postgres, 2))]
        assert shards == [0, 1]

        async def spare() -> int:
            async with claimed_shard(postgres, 2, retry=0.05) as shard:
                return shard

        standby = asyncio.create_task(spare())
        await asyncio.sleep(0.3)
        assert not standby.done()  # every shard is held: it waits
        await first.aclose()  # the process running shard 0 stops
        assert await asyncio.wait_for(standby, timeout=5) == 0
