"""Pure: what the vendor likely billed for a video that did not come out (the operator's cost, not the member's).

Members are always given their units back for a failure: units are the server's quota. What the vendor
charges is another matter, and moderators see it in the moderator log and in /quota top:

* never sent, or refused at the door (an HTTP error answering the request): not billed;
* `sentinel_block`: refused before generation, not billed; `moderation_blocked`: stopped during generation,
  maybe billed (bot/videoapi/failure_codes.py has the sources);
* any other failure of a generation the vendor started: what the model's profile says failures cost on its
  route (`on_failure`: the chat route's failed generations are billed, failed `/v1/video/create` tasks are
  refunded, unknown is "maybe");
* sent, then lost without a word (a stream cut before the task ID, a restart, a Cancel, the deadline): the
  vendor may be making it still, so maybe billed, or billed where failures are billed anyway.
"""

from __future__ import annotations

from typing import Final, Literal

from bot.core.catalog import FailureCost
from bot.videoapi import refusal_of

__all__ = ["BILLING_WORDS", "Billing", "failure_billing", "unfinished_billing"]

Billing = Literal["billed", "maybe_billed", "not_billed"]

BILLING_WORDS: Final[dict[str, str]] = {
    "billed": "billed by the vendor",
    "maybe_billed": "maybe billed by the vendor",
    "not_billed": "not billed by the vendor",
}
_BY_COST: Final[dict[str, Billing]] = {"billed": "billed", "refunded": "not_billed", "unknown": "maybe_billed"}


def failure_billing(cost: FailureCost, code: str | None) -> Billing:
    """A generation the vendor took and then reported failed (or refused), with its code if it gave one."""
    refusal = refusal_of(code)
    if refusal is not None and refusal.stage == "before":
        return "not_billed"
    if refusal is not None and refusal.stage == "during":
        return "billed" if cost == "billed" else "maybe_billed"
    return _BY_COST[cost]


def unfinished_billing(cost: FailureCost, *, sent: bool) -> Billing:
    """A video the bot stopped waiting for (cancelled, interrupted, timed out): billed only if it was sent."""
    if not sent:
        return "not_billed"
    return "billed" if cost == "billed" else "maybe_billed"
