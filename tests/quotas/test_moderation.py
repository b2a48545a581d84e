"""Moderation against a real database: every change says before and after and is audited with it; a usage
reset forgives without pretending to refund; the usage report counts what was really spent."""

from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.core.errors import BotError
from bot.quotas.admission import QuotaRefused, QuotaService
from bot.quotas.moderation import LimitSpec, Moderation, Target
from bot.quotas.policy import Member
from bot.store import JobParams, JobStatus, Store
from tests.conftest import FakeClock

SETTINGS = load_settings(
    {"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20, "VIDEO_MODELS": "sora-2,sora-2-pro"}, env_file=None
)
GUILD, MOD, SUPPORTER = 1, 11, 7
MAYA = Member(user_id=10, role_ids=frozenset({SUPPORTER}), is_moderator=False)
SAM = Member(user_id=12, role_ids=frozenset(), is_moderator=False)
PARAMS = JobParams(prompt="a cow with wings")


@pytest.fixture
def quotas(store: Store) -> QuotaService:
    return QuotaService(store, SETTINGS)


@pytest.fixture
def moderation(store: Store, quotas: QuotaService) -> Moderation:
    return Moderation(store, quotas, SETTINGS)


async def make_video(store: Store, quotas: QuotaService, member: Member, model: str = "sora-2") -> int:
    admission = await quotas.admit(GUILD, member, model=model, params=PARAMS)
    await store.jobs.finish(admission.job.id, JobStatus.SUCCEEDED)
    return admission.job.id


async def test_set_limit_reports_before_and_after_and_audits_it(store: Store, moderation: Moderation) -> None:
    role = Target("role", SUPPORTER)
    first = await moderation.set_limit(GUILD, MOD, role, units=5, period="week", at_once=None)
    second = await moderation.set_limit(GUILD, MOD, role, units=10, period=None, at_once=None)
    assert (first.before, first.after) == (None, LimitSpec(5, "week"))
    assert (second.before, second.after) == (LimitSpec(5, "week"), LimitSpec(10, "week"))  # period kept
    [newest, oldest] = await store.audit.recent(GUILD)
    assert (newest.action, newest.actor_id) == ("quota.set", MOD)
    assert newest.details == {
        "target": {"scope": "role", "id": SUPPORTER},
        "before": {"units": 5, "period": "week", "at_once": None},
        "after": {"units": 10, "period": "week", "at_once": None},
    }
    assert oldest.details["before"] is None


async def test_a_new_limit_follows_the_server_period_and_keeps_at_once(store: Store, moderation: Moderation) -> None:
    await moderation.set_limit(GUILD, MOD, Target("guild", GUILD), units=5, period="month", at_once=None)
    user = Target("user", MAYA.user_id)
    await moderation.set_limit(GUILD, MOD, user, units=3, period=None, at_once=2)
    change = await moderation.set_limit(GUILD, MOD, user, units=4, period=None, at_once=None)
    assert change.after == LimitSpec(4, "month", 2)


async def test_setting_the_same_limit_again_changes_and_audits_nothing(store: Store, moderation: Moderation) -> None:
    await moderation.set_limit(GUILD, MOD, Target("guild", GUILD), units=5, period="day", at_once=None)
    again = await moderation.set_limit(GUILD, MOD, Target("guild", GUILD), units=5, period="day", at_once=None)
    assert not again.changed
    assert len(await store.audit.recent(GUILD)) == 1


async def test_clearing_a_limit_audits_it_and_clearing_nothing_is_refused(
    store: Store, moderation: Moderation
) -> None:
    role = Target("role", SUPPORTER)
    with pytest.raises(BotError, match=r"That role has no limit to clear\."):
        await moderation.clear_limit(GUILD, MOD, role)
    await moderation.set_limit(GUILD, MOD, role, units=5, period="week", at_once=None)
    change = await moderation.clear_limit(GUILD, MOD, role)
    assert (change.before, change.after) == (LimitSpec(5, "week"), None)
    assert await store.quotas.policy(GUILD, "role", SUPPORTER) is None
    assert (await store.audit.recent(GUILD))[0].action == "quota.clear"


async def test_a_moderators_change_applies_to_the_next_admission(
    store: Store, quotas: QuotaService, moderation: Moderation
) -> None:
    await moderation.set_limit(GUILD, MOD, Target("role", SUPPORTER), units=1, period="day", at_once=None)
    await make_video(store, quotas, MAYA)
    with pytest.raises(QuotaRefused, match="You've used 1 of 1 videos today"):
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    await moderation.set_limit(GUILD, MOD, Target("user", MAYA.user_id), units=2, period="day", at_once=None)
    assert (await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)).quota_note == "0 of 2 left today"


async def test_explain_names_the_policy_that_applied(
    store: Store, quotas: QuotaService, moderation: Moderation
) -> None:
    await moderation.set_limit(GUILD, MOD, Target("guild", GUILD), units=5, period="week", at_once=None)
    await moderation.set_limit(GUILD, MOD, Target("role", SUPPORTER), units=10, period="week", at_once=None)
    await make_video(store, quotas, MAYA)
    explanation = await moderation.explain(GUILD, MAYA)
    assert (explanation.limit.units, explanation.limit.source, explanation.limit.source_id) == (10, "role", SUPPORTER)
    assert (explanation.server_default, explanation.used) == (LimitSpec(5, "week"), 1)
    assert (await moderation.explain(GUILD, SAM)).limit.source == "guild"


async def test_reset_forgives_this_period_without_refunding(
    store: Store, quotas: QuotaService, moderation: Moderation, clock: FakeClock
) -> None:
    await moderation.set_limit(GUILD, MOD, Target("user", MAYA.user_id), units=2, period="day", at_once=None)
    jobs = [await make_video(store, quotas, MAYA) for _ in range(2)]
    with pytest.raises(QuotaRefused):
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)

    reset = await moderation.reset_usage(GUILD, MOD, MAYA)
    assert (reset.before, reset.after, reset.period) == (2, 0, "day")
    for job_id in jobs:  # the ledger still says the videos were made and charged
        entry = await store.quotas.usage_for_job(job_id)
        assert entry is not None and entry.refunded_at is None and entry.forgiven_at == clock.now
    assert (await quotas.usage(GUILD, MAYA)).used == 0
    assert (await moderation.top(GUILD, "day")).totals.units == 2  # spending is still spending
    assert (await store.audit.recent(GUILD))[0].details["before"] == {"used": 2, "period": "day"}

    await make_video(store, quotas, MAYA)
    await make_video(store, quotas, MAYA)  # two more today after the reset, then the limit holds again
    with pytest.raises(QuotaRefused, match="You've used 2 of 2 videos today"):
        await quotas.admit(GUILD, MAYA, model="sora-2", params=PARAMS)
    clock.advance(days=1)
    assert (await quotas.usage(GUILD, MAYA)).used == 0  # and the period still rolls over on its own


async def test_reset_with_nothing_used_changes_and_audits_nothing(store: Store, moderation: Moderation) -> None:
    assert (await moderation.reset_usage(GUILD, MOD, MAYA)).before == 0
    assert await store.audit.recent(GUILD) == []


async def test_top_counts_spending_in_the_period_without_refunds(
    store: Store, quotas: QuotaService, moderation: Moderation, clock: FakeClock
) -> None:
    await moderation.set_cost(GUILD, MOD, "sora-2-pro", 3)
    await make_video(store, quotas, SAM)  # last week's: outside the period
    clock.advance(days=7)
    await make_video(store, quotas, MAYA)
    await make_video(store, quotas, SAM, model="sora-2-pro")
    failed = await quotas.admit(GUILD, SAM, model="sora-2", params=PARAMS)
    await store.jobs.finish(failed.job.id, JobStatus.FAILED)
    await quotas.refund(failed.job.id)

    board = await moderation.top(GUILD, "week")
    assert [(row.user_id, row.units, row.videos) for row in board.top] == [(SAM.user_id, 3, 1), (MAYA.user_id, 1, 1)]
    assert (board.totals.units, board.totals.videos, board.totals.members) == (4, 2, 2)
    assert (await moderation.top(GUILD)).period == "day"  # default: the server default's (here the bot's)


async def test_cost_change_is_audited_and_unknown_models_refused(store: Store, moderation: Moderation) -> None:
    change = await moderation.set_cost(GUILD, MOD, "sora-2-pro", 2)
    assert (change.before, change.after) == (1, 2)
    assert await store.quotas.model_cost(GUILD, "sora-2-pro") == 2
    entry = (await store.audit.recent(GUILD))[0]
    assert (entry.action, entry.details) == (
        "quota.cost", {"target": {"model": "sora-2-pro"}, "before": {"units": 1}, "after": {"units": 2}}
    )
    with pytest.raises(BotError, match=r"This bot doesn't offer grok\."):
        await moderation.set_cost(GUILD, MOD, "grok", 2)


async def test_settings_change_lists_only_what_changed_and_audits_it(store: Store, moderation: Moderation) -> None:
    change = await moderation.change_settings(
        GUILD, MOD, {"moderators_exempt": False, "cooldown_seconds": 60, "plain_messages_remix": False},
        allow_channel=500,
    )
    assert change.changed_fields == ["allowed_channel_ids", "moderators_exempt", "cooldown_seconds"]
    entry = (await store.audit.recent(GUILD))[0]
    assert entry.details == {
        "target": "settings",
        "before": {"allowed_channel_ids": [], "moderators_exempt": True, "cooldown_seconds": 0},
        "after": {"allowed_channel_ids": [500], "moderators_exempt": False, "cooldown_seconds": 60},
    }
    again = await moderation.change_settings(GUILD, MOD, {"cooldown_seconds": 60}, allow_channel=500)
    assert again.changed_fields == []
    assert len(await store.audit.recent(GUILD)) == 1
    with pytest.raises(BotError, match=r"This bot doesn't offer grok\."):
        await moderation.change_settings(GUILD, MOD, {"default_model": "grok"})


async def test_the_servers_videos_at_once_per_member_applies_to_admission(
    store: Store, quotas: QuotaService, moderation: Moderation
) -> None:
    await moderation.change_settings(GUILD, MOD, {"max_jobs_per_user": 1})
    await quotas.admit(GUILD, SAM, model="sora-2", params=PARAMS)
    with pytest.raises(QuotaRefused, match=r"You already have 1 video generating\."):
        await quotas.admit(GUILD, SAM, model="sora-2", params=PARAMS)
