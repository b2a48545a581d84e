"""QuotaService against a real database: admission, refusals in the member's words, refunds, rollover."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.discord_ui.render import timestamp as discord_time
from bot.quotas.admission import QuotaRefused, QuotaService
from bot.quotas.policy import Member
from bot.store import JobParams, JobStatus, Store
from tests.conftest import FakeClock

SETTINGS = load_settings({"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20}, env_file=None)
GUILD = 1
MAYA = Member(user_id=10, role_ids=frozenset({7}), is_moderator=False)
MOD = Member(user_id=11, role_ids=frozenset(), is_moderator=True)
PARAMS = JobParams(prompt="a cow with wings")


@pytest.fixture
def quotas(store: Store) -> QuotaService:
    return QuotaService(store, SETTINGS)


async def limit_maya(store: Store, units: int, period: str = "week", concurrent: int | None = None) -> None:
    await store.quotas.set_policy(guild_id=GUILD, scope="user", target_id=MAYA.user_id, period=period,
                                  max_units=units, max_concurrent=concurrent, updated_by=MOD.user_id)


async def finish(store: Store, job_id: int) -> None:
    await store.jobs.finish(job_id, JobStatus.SUCCEEDED)


async def test_admitting_charges_and_reports_what_is_left(store: Store, quotas: QuotaService) -> None:
    await limit_maya(store, 5)
    admission = await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    assert admission.job.status is JobStatus.QUEUED and admission.job.cost == 1
    assert admission.quota_note == "4 of 5 left this week"
    assert (await store.quotas.usage_for_job(admission.job.id)).units == 1


async def test_the_sixth_video_of_five_is_refused_with_the_reset_time(store: Store, quotas: QuotaService) -> None:
    await limit_maya(store, 5)
    for _ in range(5):
        await finish(store, (await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)).job.id)
    with pytest.raises(QuotaRefused) as refused:
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    monday = datetime(2026, 11, 30, tzinfo=UTC)  # the clock starts on Monday the 23rd
    assert refused.value.when == monday
    used = "You've used 5 of 5 videos this week."
    assert refused.value.user_message == f"{used} Your quota resets at 00:00 UTC on 30 Nov."
    assert refused.value.worded(discord_time) == f"{used} Your quota resets {discord_time(monday)}."
    assert len(await store.jobs.unfinished_for_user(GUILD, MAYA.user_id)) == 0  # no job row left behind


async def test_refund_gives_the_unit_back(store: Store, quotas: QuotaService) -> None:
    await limit_maya(store, 1)
    admission = await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    await store.jobs.finish(admission.job.id, JobStatus.FAILED, error="declined", error_kind="refused")
    assert await quotas.refund(admission.job.id)
    assert not await quotas.refund(admission.job.id)
    again = await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    assert again.quota_note == "0 of 1 left this week"


async def test_usage_resets_when_the_period_rolls_over(store: Store, quotas: QuotaService, clock: FakeClock) -> None:
    await limit_maya(store, 1, period="day")
    await finish(store, (await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)).job.id)
    with pytest.raises(QuotaRefused, match="You've used 1 of 1 videos today"):
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    clock.advance(hours=12)  # 12:00 → 00:00 the next day
    assert (await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)).quota_note == "0 of 1 left today"


async def test_expensive_model_costs_more(store: Store, quotas: QuotaService) -> None:
    await limit_maya(store, 3)
    await store.quotas.set_model_cost(GUILD, "sora-2-pro", 2)
    await finish(store, (await quotas.admit(GUILD, MAYA, model="sora-2-pro", params=PARAMS)).job.id)
    with pytest.raises(QuotaRefused, match="This model costs 2 and you have 1 of 3 left this week"):
        await quotas.admit(GUILD, MAYA, model="sora-2-pro", params=PARAMS)
    assert (await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)).quota_note == "0 of 3 left this week"


async def test_too_many_at_once_is_refused(store: Store, quotas: QuotaService) -> None:
    await limit_maya(store, 10, concurrent=2)
    await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    with pytest.raises(QuotaRefused) as refused:
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    assert refused.value.user_message == "You already have 2 videos generating. Wait for one to finish or cancel it."


async def test_cooldown_between_generations(store: Store, quotas: QuotaService, clock: FakeClock) -> None:
    await store.settings.update(GUILD, cooldown_seconds=60)
    await finish(store, (await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)).job.id)
    clock.advance(seconds=30)
    ready = clock.now + timedelta(seconds=30)
    with pytest.raises(QuotaRefused) as refused:
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    assert refused.value.when == ready
    assert refused.value.worded(discord_time) == f"Please wait — you can start another video {discord_time(ready)}."
    clock.advance(seconds=30)
    await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)


async def test_moderators_are_exempt_unless_turned_off(store: Store, quotas: QuotaService) -> None:
    await store.quotas.set_policy(guild_id=GUILD, scope="guild", target_id=GUILD, period="day", max_units=1,
                                  max_concurrent=None, updated_by=MOD.user_id)
    for _ in range(3):
        admission = await quotas.admit(GUILD, MOD, model="sora-2", params=PARAMS)
        assert admission.quota_note is None
        await finish(store, admission.job.id)
    await store.settings.update(GUILD, moderators_exempt=False)
    with pytest.raises(QuotaRefused, match="You've used 3 of 1 videos today"):
        await quotas.admit(GUILD, MOD, model="sora-2", params=PARAMS)


async def test_two_requests_for_the_last_unit_from_two_processes(db_path: Path, clock: FakeClock) -> None:
    first, second = await Store.open(db_path, clock=clock), await Store.open(db_path, clock=clock)
    try:
        await limit_maya(first, 1)
        results = await asyncio.gather(
            QuotaService(first, SETTINGS).admit(GUILD, MAYA, model="sora-2", params=PARAMS),
            QuotaService(second, SETTINGS).admit(GUILD, MAYA, model="sora-2", params=PARAMS),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["Admission", "QuotaRefused"]
        assert len(await first.jobs.unfinished()) == 1
    finally:
        await first.close()
        await second.close()


async def test_usage_report_matches_the_ledger(store: Store, quotas: QuotaService) -> None:
    await limit_maya(store, 5)
    done = await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    await finish(store, done.job.id)
    running = await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    report = await quotas.usage(GUILD, MAYA)
    assert (report.used, report.left, [j.id for j in report.running]) == (2, 3, [running.job.id])
