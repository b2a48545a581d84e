"""Pure text for money: what a period cost a server (under /quota top and in /videobot status), what each
member's videos cost, and what one finished video cost (its moderator-log line)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.money import Money
from bot.quotas.policy import PERIOD_WORDS
from bot.quotas.spending import SpendReport
from bot.store import MemberSpend


def _videos(n: int) -> str:
    return f"{n} video{'s' if n != 1 else ''}"


def spend_words(report: SpendReport) -> str:
    """'$1.20 for 8 videos (of which $0.30 on this server's own key) · 1 video of unknown price', or 'nothing'."""
    parts = []
    for spend in report.spend:
        words = f"{spend.money} for {_videos(spend.videos)}"
        if spend.own_key.micros:
            words += f" (of which {spend.own_key} on this server's own key)"
        parts.append(words)
    if report.unpriced:
        parts.append(f"{_videos(report.unpriced)} of unknown price (set one with VIDEO_PRICES)")
    return " · ".join(parts) if parts else "nothing"


def spend_line(report: SpendReport, period: str) -> str:
    """The line under /quota top: `Spent this week: $1.20 for 8 videos`."""
    return f"Spent {PERIOD_WORDS.get(period, period)}: {spend_words(report)}"


def member_spend_lines(spends: Sequence[MemberSpend]) -> str:
    """`Cost: @maya $0.45 · @sam $0.15`, for the members of /quota top whose videos had a price."""
    if not spends:
        return ""
    return "Cost: " + " · ".join(f"<@{s.user_id}> {s.money}" for s in spends)


def cost_suffix(cost: Money | None) -> str:
    """What a finished video's moderator-log line adds: ` · $0.15`, or nothing when its price is unknown."""
    return f" · {cost}" if cost is not None else ""


def with_spend(report_text: str, members: Sequence[MemberSpend], spent: SpendReport, period: str) -> str:
    """A /quota top report with what its members' videos cost and what the period cost the server."""
    return "\n".join(line for line in (report_text, member_spend_lines(members), spend_line(spent, period)) if line)
