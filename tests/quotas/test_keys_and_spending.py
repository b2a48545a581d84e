"""Server keys and spend against a real database (SQLite and PostgreSQL): sealed keys, prices fixed at
admission, refunds that cost nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from bot.core.config import Secret, load_settings
from bot.core.errors import BotError
from bot.core.money import Money
from bot.quotas.admission import QuotaService
from bot.quotas.keys import NO_SECRET, NOT_A_KEY, ServerKeys
from bot.quotas.policy import Member
from bot.quotas.spending import Spending, charged_money
from bot.store import JobParams, JobStatus, Store

GUILD, MOD = 1, 11
MAYA = Member(user_id=10, role_ids=frozenset(), is_moderator=False)
KEY = "sk-own-key-abcdef123456"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def settings(**env: str):
    return load_settings({"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20, **env}, env_file=None)


async def test_a_key_is_sealed_audited_without_itself_and_opened_for_its_server_only(store: Store) -> None:
    secret = Secret(Fernet.generate_key().decode())
    keys = ServerKeys(store, secret)
    status = await keys.set(GUILD, MOD, f"  {KEY}\n")
    assert (status.own_key, status.last4) == (True, "3456")
    assert await keys.key_for(GUILD) == KEY and await keys.key_for(GUILD + 1) is None
    sealed = await store.server_keys.get(GUILD)
    assert sealed is not None and KEY not in sealed.ciphertext
    audit = await store.audit.recent(GUILD)
    assert audit[0].action == "key.set" and KEY not in str(audit[0].details)
    # Another secret (SERVER_KEY_SECRET changed) cannot open it: the server falls back to the bot's key.
    other = ServerKeys(store, Secret(Fernet.generate_key().decode()))
    assert await other.key_for(GUILD) is None
    assert (await other.status(GUILD)).readable is False
    await keys.clear(GUILD, MOD)
    assert await keys.key_for(GUILD) is None


async def test_no_secret_or_no_key_is_refused_in_a_sentence(store: Store) -> None:
    with pytest.raises(BotError, match=re.escape(NO_SECRET)):
        await ServerKeys(store, Secret("")).set(GUILD, MOD, KEY)
    with pytest.raises(BotError, match=re.escape(NOT_A_KEY)):
        await ServerKeys(store, Secret(Fernet.generate_key().decode())).set(GUILD, MOD, "sk with spaces inside")
    assert await store.server_keys.get(GUILD) is None


async def test_a_price_is_fixed_at_admission_and_a_refund_costs_nothing(store: Store) -> None:
    spending = Spending(store)
    quotas = QuotaService(store, settings(VIDEO_PRICES="sora-2=0.15"))
    made = (await quotas.admit(GUILD, MAYA, model="sora-2", params=JobParams("a cow"))).job
    await store.jobs.finish(made.id, JobStatus.SUCCEEDED)
    await ServerKeys(store, Secret(Fernet.generate_key().decode())).set(GUILD, MOD, KEY)
    refused = (await quotas.admit(GUILD, MAYA, model="sora-2", params=JobParams("a mouse"))).job
    await store.jobs.finish(refused.id, JobStatus.FAILED, error_kind="refused")
    await quotas.refund(refused.id)
    # The price changes later: what was spent does not.
    later = QuotaService(store, settings(VIDEO_PRICES="sora-2=0.50"))
    own = (await later.admit(GUILD, MAYA, model="sora-2", params=JobParams("a horse"))).job
    unpriced = (await later.admit(GUILD, MAYA, model="grok", params=JobParams("a duck"))).job
    report = await spending.of_server(GUILD, SINCE)
    [spend] = report.spend
    assert (spend.money, spend.own_key, spend.videos, report.unpriced) == (
        Money(650_000, "USD"), Money(500_000, "USD"), 2, 1)
    assert await spending.of_job(await store.jobs.get(made.id)) == Money(150_000, "USD")
    assert charged_money(await store.jobs.get(refused.id), await store.costs.of_job(refused.id)) is None
    assert await spending.of_job(await store.jobs.get(unpriced.id)) is None
    assert [(m.user_id, m.money) for m in await spending.of_members(GUILD, SINCE, [MAYA.user_id, 99])] == [
        (MAYA.user_id, Money(650_000, "USD"))]
    assert own.id  # admitted under the server's own key, still under its quota
