"""Pure text for /usage, /quota, /videobot settings and the moderator log. Mentions render but never ping:
every message the bot sends disables them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from bot.core.config import Settings
from bot.core.scrub import plain, scrub
from bot.discord_ui.limits import inert
from bot.discord_ui.render import human_duration, timestamp
from bot.generation.billing import BILLING_WORDS
from bot.quotas.admission import UsageReport
from bot.quotas.moderation import (
    CostChange,
    Explanation,
    LimitChange,
    LimitSpec,
    SettingsChange,
    Target,
    UsageBoard,
    UsageReset,
)
from bot.quotas.policy import PERIOD_WORDS, describe_source
from bot.store import GuildSettings, Job, JobStatus

USAGE_BAR_CELLS: Final = 10
LOG_PROMPT_LIMIT: Final = 60
LOG_ERROR_LIMIT: Final = 150
RUNNING_PROMPT_LIMIT: Final = 40


def limit_words(spec: LimitSpec | None) -> str:
    """'10 a week', '10 a week, 2 at once', 'not set'."""
    if spec is None:
        return "not set"
    words = f"{spec.units} a {spec.period}"
    return f"{words}, {spec.at_once} at once" if spec.at_once is not None else words


def target_words(target: Target) -> str:
    """Whom a limit is for, as an object: 'the server default', a role or a member mention."""
    if target.scope == "guild":
        return "the server default"
    return f"<@&{target.id}>" if target.scope == "role" else f"<@{target.id}>"


def _subject(target: Target) -> str:
    if target.scope == "guild":
        return "Server default"
    return f"Limit for role <@&{target.id}>" if target.scope == "role" else f"Limit for <@{target.id}>"


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """A link that opens a message (in a thread, the thread at that message)."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


# Square brackets open and close masked links ("[text](url)"): a member's "](" could close the bot's own link
# early and plant another. Look-alike brackets read the same and are not markdown; a scheme's "://" gets an
# invisible word joiner, so a URL in someone's words is shown, never made a link.
_INERT_LINKS: Final = str.maketrans({"[": "［", "]": "］"})
_SCHEME: Final = re.compile(r"(?i)(?<=[a-z0-9+.-]):(?=//)")


def shorten(text: str, limit: int) -> str:
    """One line, at most `limit` characters (before escaping), scrubbed of secrets, markdown made inert: no
    formatting, no link of its own, and safe inside the text of the bot's links."""
    line = " ".join(scrub(text).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return _SCHEME.sub(":\u2060", inert(line.translate(_INERT_LINKS)))


def yes_no(value: bool) -> str:
    """Booleans the way settings screens say them."""
    return "yes" if value else "no"


# --- /quota -----------------------------------------------------------------------------------------


def limit_change_reply(change: LimitChange) -> str:
    """Confirms a /quota set or clear, before → after."""
    if not change.changed:
        return f"{_subject(change.target)} is already {limit_words(change.after)}; nothing changed."
    return f"{_subject(change.target)}: {limit_words(change.before)} → {limit_words(change.after)}."


def limit_change_log(actor_id: int, change: LimitChange) -> str:
    """The moderator-log line: `⚖️ @mod set @Supporter to 10 a week (was 5)`."""
    who, target = f"<@{actor_id}>", target_words(change.target)
    if change.after is None:
        return f"⚖️ {who} cleared the limit for {target} (was {limit_words(change.before)})"
    before = change.before
    if before is not None and before.period == change.after.period and before.at_once == change.after.at_once:
        was = str(before.units)  # same rhythm: the number alone says it
    else:
        was = limit_words(before)
    return f"⚖️ {who} set {target} to {limit_words(change.after)} (was {was})"


def explanation_text(explanation: Explanation) -> str:
    """'Effective limit for @maya: 10 a week — from role @Supporter (server default: 5 a week). Used 4 …'"""
    limit = explanation.limit
    effective = "unlimited" if limit.units is None else limit_words(LimitSpec(limit.units, limit.period))
    source = "their own limit" if limit.source == "user" else describe_source(limit)
    server = explanation.server_default
    default = limit_words(server) if server else f"not set, so the bot's {limit_words(explanation.bot_default)}"
    return (
        f"Effective limit for <@{explanation.member_id}>: {effective} — {source} (server default: {default}). "
        f"Used {explanation.used} {PERIOD_WORDS[limit.period]}. At once: {limit.max_concurrent}. "
        f"Moderators exempt: {yes_no(explanation.moderators_exempt)}."
    )


def policies_text(policies: Sequence[tuple[Target, LimitSpec]], bot_default: LimitSpec) -> str:
    """Every limit a server set, for /quota show without a member."""
    lines = ["**Limits in this server**"]
    if not any(t.scope == "guild" for t, _ in policies):
        lines.append(f"Server default: not set, so the bot's {limit_words(bot_default)}")
    lines += [f"{_subject(target)}: {limit_words(spec)}" for target, spec in policies]
    if all(target.scope == "guild" for target, _ in policies):
        lines.append("No role or member limits. Set one with /quota set.")
    lines.append("A member gets their own limit, else their most generous role's, else the server default.")
    return "\n".join(lines)


def reset_reply(reset: UsageReset) -> str:
    """Confirms /quota reset."""
    when = PERIOD_WORDS[reset.period]
    if reset.before == 0:
        return f"<@{reset.user_id}> has used nothing {when}; there is nothing to reset."
    return f"Usage of <@{reset.user_id}> {when}: {reset.before} → {reset.after}."


def reset_log(actor_id: int, reset: UsageReset) -> str:
    """`⚖️ @mod reset @maya's usage this week (was 4)`."""
    return f"⚖️ <@{actor_id}> reset <@{reset.user_id}>'s usage {PERIOD_WORDS[reset.period]} (was {reset.before})"


def cost_reply(change: CostChange) -> str:
    """Confirms /quota cost."""
    if not change.changed:
        return f"{change.model} already costs {_units(change.after)} per video; nothing changed."
    return f"Cost of {change.model}: {_units(change.before)} → {_units(change.after)} per video."


def cost_log(actor_id: int, change: CostChange) -> str:
    """`⚖️ @mod set the cost of sora-2-pro to 2 units (was 1)`."""
    return f"⚖️ <@{actor_id}> set the cost of {change.model} to {_units(change.after)} (was {change.before})"


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"


def top_text(board: UsageBoard) -> str:
    """The period's biggest spenders and the totals, for /quota top."""
    when = PERIOD_WORDS[board.period]
    head = f"**Top members {when}** (since {timestamp(board.since, 'D')}, resets {timestamp(board.resets_at)})"
    lines = [head]
    if not board.top:
        lines.append(f"Nobody has made a video {when}.")
    for rank, row in enumerate(board.top, start=1):
        lines.append(f"{rank}. <@{row.user_id}> — {_units(row.units)} · {_videos(row.videos)}")
    totals = board.totals
    if board.top:
        members = f"{totals.members} member{'s' if totals.members != 1 else ''}"
        lines.append(f"Total: {_units(totals.units)} · {_videos(totals.videos)} · {members}")
    failed = sum(board.failures.values())
    if failed:
        # Members got their units back for these; what the vendor likely charged is the operator's cost.
        billed = ", ".join(f"{board.failures[b]} {BILLING_WORDS[b].removesuffix(' by the vendor')}"
                           for b in BILLING_WORDS if board.failures.get(b))
        lines.append(f"Failed or cancelled (refunded to members): {_videos(failed)}; the vendor likely: {billed}")
    return "\n".join(lines)


def _videos(n: int) -> str:
    return f"{n} video{'s' if n != 1 else ''}"


# --- /usage -----------------------------------------------------------------------------------------


def usage_bar(used: int, limit: int) -> str:
    """▰▰▰▱▱ for 3 of 5: one cell per unit up to ten, scaled beyond."""
    cells = min(limit, USAGE_BAR_CELLS)
    if cells <= 0:
        return ""
    filled = min(cells, round(used * cells / limit))
    return "▰" * filled + "▱" * (cells - filled)


def usage_text(guild_name: str, report: UsageReport) -> str:
    """What /usage shows a member."""
    limit = report.limit
    lines = [f"**Your videos in {shorten(guild_name, 100)} — {PERIOD_WORDS[limit.period]}**"]
    if limit.units is None:
        lines.append(f"Unlimited (moderators are exempt) · {report.used} used")
    else:
        bar = usage_bar(report.used, limit.units)
        lines.append(
            f"{bar + ' ' if bar else ''}{report.used} of {limit.units} used · {report.left} left · "
            f"resets {timestamp(report.resets_at)}"
        )
    if report.running:
        links = ", ".join(_running_link(job) for job in report.running)
        lines.append(f"Running now: {len(report.running)} — {links}")
    return "\n".join(lines)


def _running_link(job: Job) -> str:
    title = f"🎬 {shorten(job.params.prompt, RUNNING_PROMPT_LIMIT)}"
    if job.channel_id is None or job.message_id is None:
        return title
    return f"[{title}]({jump_url(job.guild_id, job.channel_id, job.message_id)})"


# --- /videobot settings -----------------------------------------------------------------------------

_LABELS: Final[dict[str, str]] = {
    "allowed_channel_ids": "Channels for /video",
    "default_model": "Default model",
    "plain_messages_remix": "Plain messages in threads remix",
    "moderators_exempt": "Moderators exempt from quotas",
    "mod_log_channel_id": "Moderator log",
    "cooldown_seconds": "Cooldown between a member's videos",
    "max_jobs_per_user": "Videos at once per member",
    "max_jobs_per_guild": "Videos at once in this server",
}


def _setting_value(name: str, settings: GuildSettings, bot: Settings) -> str:
    value: Any = getattr(settings, name)
    show: dict[str, Callable[[Any], str]] = {
        "allowed_channel_ids": lambda v: " ".join(f"<#{c}>" for c in sorted(v)) if v else "everywhere",
        "default_model": lambda v: v or f"the bot's default ({bot.default_model})",
        "plain_messages_remix": yes_no,
        "moderators_exempt": yes_no,
        "mod_log_channel_id": lambda v: f"<#{v}>" if v else "off",
        "cooldown_seconds": lambda v: human_duration(v) if v else "none",
        "max_jobs_per_user": lambda v: str(v) if v else f"the bot's default ({bot.max_jobs_per_user})",
        "max_jobs_per_guild": lambda v: str(v) if v else f"the bot's default ({bot.max_jobs_per_guild})",
    }
    return show[name](value)


def settings_text(settings: GuildSettings, bot: Settings) -> str:
    """Every setting with its current value, for /videobot settings without options."""
    lines = ["**VideoBot settings in this server**"]
    lines += [f"{label}: {_setting_value(name, settings, bot)}" for name, label in _LABELS.items()]
    return "\n".join(lines)


def _setting_diffs(change: SettingsChange, bot: Settings) -> list[str]:
    return [
        f"{_LABELS[name]}: {_setting_value(name, change.before, bot)} → {_setting_value(name, change.after, bot)}"
        for name in change.changed_fields
    ]


def settings_change_reply(change: SettingsChange, bot: Settings) -> str:
    """Confirms /videobot settings, before → after per setting."""
    diffs = _setting_diffs(change, bot)
    if not diffs:
        return "Nothing changed: those are already the settings."
    return "\n".join(["**Changed**", *diffs])


def settings_change_log(actor_id: int, change: SettingsChange, bot: Settings) -> str:
    """`⚙️ @mod changed Cooldown between a member's videos: none → 1 m 0 s`."""
    return f"⚙️ <@{actor_id}> changed " + "; ".join(_setting_diffs(change, bot))


# --- the moderator log's generation lines -----------------------------------------------------------


def generation_line(job: Job) -> str:
    """`🎬 @maya · sora-2 · "A cow with wings…" → [thread](link)`, then its outcome once it has ended."""
    line = f'🎬 <@{job.user_id}> · {job.model} · "{shorten(job.params.prompt, LOG_PROMPT_LIMIT)}"'
    if job.channel_id is not None and job.message_id is not None:
        line += f" → [thread]({jump_url(job.guild_id, job.channel_id, job.message_id)})"
    outcome = outcome_words(job)
    return f"{line} · {outcome}" if outcome else line


def outcome_words(job: Job) -> str | None:
    """`✅ 2 m 14 s`, `❌ refused (sentinel_block): … · not billed by the vendor`, `⏹️ cancelled`; None while
    the job runs. A video that did not come out says what the vendor likely billed for it (members are refunded)."""
    words = _outcome(job)
    if words is None or job.status is JobStatus.SUCCEEDED or job.vendor_billing not in BILLING_WORDS:
        return words
    return f"{words} · {BILLING_WORDS[job.vendor_billing]}"


def _outcome(job: Job) -> str | None:
    if job.status is JobStatus.SUCCEEDED:
        return f"✅ {human_duration(_took(job.started_at or job.created_at, job.finished_at))}"
    if job.status is JobStatus.CANCELLED:
        by = job.cancelled_by
        return f"⏹️ cancelled by <@{by}>" if by is not None and by != job.user_id else "⏹️ cancelled"
    if job.status is JobStatus.FAILED:
        reason = shorten(plain(job.error or "no reason given"), LOG_ERROR_LIMIT)
        kind = job.error_kind
        if kind == "refused":
            return f"❌ refused ({job.failure_code}): {reason}" if job.failure_code else f"❌ refused: {reason}"
        if kind == "unavailable":
            return "❌ the video service was unavailable"
        if kind == "busy":
            return "❌ the video service stayed busy"
        if kind == "undelivered":
            return f"⚠️ made but shown nowhere (refunded): {reason}"
        if kind == "timeout":
            return "❌ timed out"
        if kind == "interrupted":
            return "❌ interrupted before the video service accepted it"
        return f"❌ failed: {reason}"
    return None


def _took(start: datetime, end: datetime | None) -> float:
    return 0.0 if end is None else (end - start).total_seconds()
