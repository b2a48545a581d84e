"""QuotaService: admits a generation (cooldown, concurrency, units) and refunds it when no video came of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.config import Settings
from bot.core.errors import BotError
from bot.quotas.policy import PERIOD_WORDS, EffectiveLimit, Member, period_end, period_start, resolve_limit
from bot.store import Job, JobParams, Store

FormatTime = Callable[[datetime], str]


def plain_time(moment: datetime) -> str:
    """A moment in words that need no client to render it: 'at 14:05 UTC on 24 Nov'."""
    return f"at {moment:%H:%M} UTC on {moment.day} {moment:%b}"


class QuotaRefused(BotError):
    """The member may not start a video now; the message says why and, when it can, until when.

    A sentence that names a moment (the end of a cooldown, the quota's reset) keeps "{when}" in its
    template: the Discord side writes it as a timestamp each reader sees in their own time zone.
    """

    def __init__(self, template: str, when: datetime | None = None) -> None:
        self.template = template
        self.when = when
        super().__init__(self.worded(plain_time))

    def worded(self, format_time: FormatTime) -> str:
        """The sentence, with its moment written by `format_time`."""
        if self.when is None:
            return self.template
        return self.template.replace("{when}", format_time(self.when))


@dataclass(frozen=True, slots=True)
class Admission:
    """An accepted job, charged, with what is left afterwards."""

    job: Job
    limit: EffectiveLimit
    used: int
    resets_at: datetime

    @property
    def quota_note(self) -> str | None:
        """'3 of 5 left today', for the progress message's footer."""
        if self.limit.units is None:
            return None
        left = max(0, self.limit.units - self.used)
        return f"{left} of {self.limit.units} left {PERIOD_WORDS[self.limit.period]}"


@dataclass(frozen=True, slots=True)
class UsageReport:
    """What /usage shows a member."""

    limit: EffectiveLimit
    used: int
    resets_at: datetime
    running: list[Job]

    @property
    def left(self) -> int | None:
        return None if self.limit.units is None else max(0, self.limit.units - self.used)


class QuotaService:
    """Who may generate how much, applied atomically."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def _now(self) -> datetime:
        return self._store.db.clock()

    async def effective_limit(self, guild_id: int, member: Member) -> EffectiveLimit:
        """The limit that applies to `member` in a server, and where it comes from."""
        guild = await self._store.settings.get(guild_id)
        return resolve_limit(
            member,
            await self._store.quotas.policies(guild_id),
            moderators_exempt=guild.moderators_exempt,
            default_units=self._settings.default_quota_units,
            default_period=self._settings.default_quota_period,
            # A server's own "videos at once per member" (/videobot settings) wins over the bot's.
            default_concurrent=guild.max_jobs_per_user or self._settings.max_jobs_per_user,
        )

    async def admit(
        self,
        guild_id: int,
        member: Member,
        *,
        model: str,
        params: JobParams,
        remix_number: int | None = None,
        conversation_id: int | None = None,
        asked_in: int | None = None,
    ) -> Admission:
        """Create the job and charge it, or raise QuotaRefused and leave nothing behind.

        The job row is complete when the transaction commits: what the member has left is written with it,
        and `asked_in`, the channel where they asked (so even a restart before anything was posted can
        still answer them there).
        """
        guild = await self._store.settings.get(guild_id)
        limit = await self.effective_limit(guild_id, member)
        cost = await self._store.quotas.model_cost(guild_id, model)
        now = self._now()
        since, resets_at = period_start(limit.period, now), period_end(limit.period, now)
        # One IMMEDIATE transaction: two requests at once cannot both see room for one more.
        async with self._store.transaction():
            if guild.cooldown_seconds and not limit.unlimited:
                last = await self._store.jobs.last_started_at(guild_id, member.user_id)
                if last is not None and now < last + timedelta(seconds=guild.cooldown_seconds):
                    ready = last + timedelta(seconds=guild.cooldown_seconds)
                    raise QuotaRefused("Please wait — you can start another video {when}.", ready)
            running = await self._store.jobs.unfinished_for_user(guild_id, member.user_id)
            if limit.max_concurrent is not None and len(running) >= limit.max_concurrent:
                raise QuotaRefused(
                    f"You already have {len(running)} video{'s' if len(running) != 1 else ''} generating. "
                    "Wait for one to finish or cancel it."
                )
            job = await self._store.jobs.create(
                guild_id=guild_id,
                user_id=member.user_id,
                model=model,
                params=params,
                cost=cost,
                remix_number=remix_number,
                conversation_id=conversation_id,
                post_channel_id=asked_in,
            )
            reservation = await self._store.quotas.reserve(
                guild_id=guild_id, user_id=member.user_id, job_id=job.id, units=cost, since=since, limit=limit.units
            )
            if not reservation.granted:
                raise QuotaRefused(_refusal(limit, reservation.used, cost), resets_at)
            await self._fix_price(job)
            admission = Admission(job=job, limit=limit, used=reservation.used, resets_at=resets_at)
            if admission.quota_note is not None:
                await self._store.jobs.set_quota_note(job.id, admission.quota_note)
                job = dataclasses.replace(job, quota_note=admission.quota_note)
        return dataclasses.replace(admission, job=job)

    async def _fix_price(self, job: Job) -> None:
        """Keep what the job costs in money as prices stand now, and whether its server pays with its own key."""
        price = self._settings.prices.price_of(job.model)
        if price is not None:
            own_key = await self._store.server_keys.has(job.guild_id)
            await self._store.costs.record(job.id, job.guild_id, price, own_key=own_key)

    async def refund(self, job_id: int) -> bool:
        """Give back a job's units because it produced no video; False if there was nothing to give back."""
        return await self._store.quotas.refund(job_id)

    async def usage(self, guild_id: int, member: Member) -> UsageReport:
        """Used, limit, reset time and running jobs for /usage."""
        limit = await self.effective_limit(guild_id, member)
        now = self._now()
        used = await self._store.quotas.used_since(guild_id, member.user_id, period_start(limit.period, now))
        running = await self._store.jobs.unfinished_for_user(guild_id, member.user_id)
        return UsageReport(limit=limit, used=used, resets_at=period_end(limit.period, now), running=running)


def _refusal(limit: EffectiveLimit, used: int, cost: int) -> str:
    assert limit.units is not None
    when = PERIOD_WORDS[limit.period]
    resets = "Your quota resets {when}."
    if used >= limit.units or cost == 1:
        return f"You've used {used} of {limit.units} videos {when}. {resets}"
    return f"This model costs {cost} and you have {limit.units - used} of {limit.units} left {when}. {resets}"
