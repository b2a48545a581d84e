"""Which of Discord's gateway shards a process runs, and which servers those are.

Discord sends a server's events (interactions, messages) only to the shard that owns it:
`shard_id = (guild_id >> 22) % shard_count`. A process runs one or more shards (all of them by default, as
discord.py's AutoShardedBot does); several processes split them between them, all with the same count.
"""

from __future__ import annotations

from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a server's events (Discord's formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Shards:
    """The shards this process runs, out of `count`."""

    count: int
    ids: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.count < 1 or not self.ids or any(not 0 <= i < self.count for i in self.ids):
            raise ValueError(f"shards {self.ids} of {self.count} are not valid")

    @classmethod
    def all_of(cls, count: int) -> Shards:
        """Every shard: a process that runs the whole bot."""
        return cls(count, tuple(range(count)))

    @property
    def runs_all(self) -> bool:
        return len(set(self.ids)) == self.count

    @property
    def others(self) -> tuple[int, ...]:
        """The shards other processes run."""
        return tuple(i for i in range(self.count) if i not in self.ids)

    @property
    def label(self) -> str:
        """The shards as a metric label: "0,2"."""
        return ",".join(map(str, self.ids))

    def serves(self, guild_id: int) -> bool:
        """Whether this process receives the server's events."""
        return shard_of(guild_id, self.count) in self.ids

    def __str__(self) -> str:
        if self.count == 1:
            return "1 shard (all servers)"
        if self.runs_all:
            return f"all {self.count} shards"
        return f"shard{'s' if len(self.ids) > 1 else ''} {describe_ids(self.ids)} of {self.count}"


def describe_ids(ids: tuple[int, ...]) -> str:
    """`0, 1, 2, 5` → `0–2, 5` (a range from three on), for logs and reports."""
    parts: list[str] = []
    ordered = sorted(set(ids))
    start = previous = ordered[0]
    for shard in [*ordered[1:], None]:
        if shard is not None and shard == previous + 1:
            previous = shard
            continue
        if previous - start >= 2:
            parts.append(f"{start}–{previous}")
        else:
            parts.extend(str(i) for i in range(start, previous + 1))
        if shard is not None:
            start = previous = shard
    return ", ".join(parts)


def parse_shard_ids(text: str, count: int | None) -> tuple[int, ...]:
    """`0,1` or `0-3,6` → the shard IDs, in order, each once, all below `count` (None: the count is left to
    Discord, which no list can be checked against). ValueError with a sentence when that is not so."""
    ids: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not low.strip().isdigit() or (dash and not high.strip().isdigit()):
            raise ValueError(f"has '{part}', which is not a shard number or a range like 0-3")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"has the range '{part}', which runs backwards")
        ids.extend(i for i in range(first, last + 1) if i not in ids)
    if not ids:
        raise ValueError("is empty")
    if count is None:
        raise ValueError("needs DISCORD_SHARD_COUNT set to a number: every process must agree on the count")
    if beyond := [i for i in ids if i >= count]:
        raise ValueError(f"has shard {beyond[0]}, but DISCORD_SHARD_COUNT is {count} (shards 0 to {count - 1})")
    return tuple(ids)
