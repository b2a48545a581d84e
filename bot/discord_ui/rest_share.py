"""Discord's global REST limit belongs to the bot token, not to a process: split it between the processes
that share the token, by how many of them are alive, through the database they share.

Each process renews a row in `rest_sharers` every `BEAT` seconds and takes `total // alive` as its budget's
limit. Changes are made safe by order, not by luck:

* a process that sees a newcomer lowers its own limit at its next beat (at most `BEAT` after the newcomer's
  first), and its sliding window is under the new limit one `per` later;
* so a newcomer takes its full share only once it has been announced for `WARMUP` (more than `BEAT + per`);
  until then it sends one request a second (its start-up's few) when others are alive, or, when it is alone,
  the share its shards would have if every process ran as many (`total × own shards ÷ shard count`), which
  processes started together for the shards of one bot never exceed between them;
* a process that stops (cleanly: it leaves; killed: its row is silent for `TTL`) sends nothing more, so the
  others may take its share at once.

A beat that fails (the database is briefly away) keeps the last share: the set of processes rarely changes
during the few seconds of an outage, and each process is at worst late to grow, and at most `BEAT` late to
shrink once the database answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Final

from bot.discord_ui.ratelimit import GlobalRequestBudget
from bot.store import RestSharers, Sharer

log = logging.getLogger(__name__)

BEAT: Final = 0.5  # seconds between two renewals of this process's row
TTL: Final = 3.0  # seconds without a renewal after which a process is no longer counted
WARMUP: Final = 2.0  # seconds after its first beat before a newcomer takes a full share (> BEAT + the window)
NEWCOMER_LIMIT: Final = 1  # requests a second while others alive have not yet made room


def alone_share(total: int, shard_count: int | None, shard_ids: Sequence[int] | None) -> int:
    """The share of a process that sees no other: its shards' part of `total` (all of it when it runs all)."""
    if shard_count is None or shard_ids is None:
        return total
    return max(1, total * len(set(shard_ids)) // shard_count)


def share_for(me: str, sharers: Sequence[Sharer], *, total: int, now_ms: int, alone_share: int) -> int:
    """This process's requests per second of the bot's `total`, given who is alive (a pure rule; see above)."""
    mine = next((s for s in sharers if s.owner == me), None)
    alive = max(1, len(sharers))
    if mine is not None and now_ms - mine.joined_at >= WARMUP * 1000:
        return max(1, total // alive)
    if alive > 1 or (mine is None and sharers):
        return NEWCOMER_LIMIT
    return max(1, min(total, alone_share))


class RestShare:
    """Keeps a budget's limit at this process's share; `run` is an owned background task of the app."""

    def __init__(
        self,
        budget: GlobalRequestBudget,
        sharers: RestSharers,
        owner: str,
        *,
        total: int,
        alone_share: int,
        on_share: Callable[[int], None] = lambda share: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._budget = budget
        self.on_share = on_share  # told each new share (the progress editor follows it)
        self._clock = clock
        self._sharers = sharers
        self._owner = owner
        self._total = total
        self._alone_share = alone_share
        self.alive = 0  # processes sharing the budget at the last beat (for logs and the benchmark)

    async def beat(self) -> int:
        """Renew this process's row and apply its share; returns the share."""
        now_ms = int(self._clock() * 1000)
        sharers = await self._sharers.beat(self._owner, now_ms, int(TTL * 1000))
        share = share_for(self._owner, sharers, total=self._total, now_ms=now_ms, alone_share=self._alone_share)
        if len(sharers) != self.alive:
            log.info("Discord REST budget: %d process(es) share %d requests/s; this one sends up to %d",
                     len(sharers), self._total, share)
        self.alive = len(sharers)
        if share != self._budget.limit:
            self._budget.set_limit(share)
            self.on_share(share)
        return share

    async def run(self) -> None:
        """Beat until cancelled; on cancellation give the share back."""
        try:
            while True:
                try:
                    await self.beat()
                except Exception:
                    log.exception("renewing this process's share of the Discord REST budget failed; keeping it")
                await asyncio.sleep(BEAT)
        finally:
            try:
                await asyncio.shield(self._sharers.leave(self._owner))
            except Exception:
                log.warning("could not give back this process's REST share; it lapses in %.0f s", TTL)
