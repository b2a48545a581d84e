"""One bot process admitting videos for the same member, for the multi-process race test.

`python -m tests.store.admit_worker DATABASE ATTEMPTS` opens the store, prints "ready", waits for a line on
stdin, then makes ATTEMPTS admissions at once and prints how many were admitted and refused, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from bot.core.config import load_settings
from bot.quotas.admission import QuotaRefused, QuotaService
from bot.quotas.policy import Member
from bot.store import JobParams, Store

MOMENT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # fixed, so a run never straddles a quota period
SETTINGS = load_settings({"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20}, env_file=None)
GUILD = 1
MAYA = Member(user_id=10, role_ids=frozenset(), is_moderator=False)


def say(line: str) -> None:
    """One line to the test that runs this process (its protocol, not logging)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def admit(quotas: QuotaService) -> str:
    try:
        await quotas.admit(GUILD, MAYA, model="sora-2", params=JobParams(prompt="a cow"))
    except QuotaRefused:
        return "refused"
    return "admitted"


async def main(database: str, attempts: int) -> None:
    store = await Store.open(database, clock=lambda: MOMENT, migrate=False)
    try:
        quotas = QuotaService(store, SETTINGS)
        say("ready")
        await asyncio.to_thread(sys.stdin.readline)
        outcomes = await asyncio.gather(*(admit(quotas) for _ in range(attempts)))
        say(json.dumps({o: outcomes.count(o) for o in ("admitted", "refused")}))
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
