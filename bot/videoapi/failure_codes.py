"""Pure: the refusal codes this vendor family gives, what each means for the member and for the bill.

Resellers pass OpenAI's Sora codes through, in an `{"error": {"code": …}}` event or body, in a task's
failure fields, or as the last words of a transcript's failure line:

* `sentinel_block`: refused by the safety check at the request stage, before any generation; no credit used
  (help.apiyi.com, "Sora 2 API 8 种常见报错信息" and its sentinel_block guide: "请求阶段拦截", "不消耗额度").
* `moderation_blocked`: stopped by moderation while the video was being made; part of the credit may be used
  (the same guide: "生成阶段拦截", "可能消耗部分额度").
* `cameo_permission_denied`: the prompt names a cameo whose owner has not allowed its use. No public source
  says what it costs, so its cost is the route's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["KNOWN_CODES", "Refusal", "failure_code", "refusal_of"]

Stage = Literal["before", "during", "permission"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A known refusal: when it happened, and the sentence the member reads."""

    code: str
    stage: Stage
    sentence: str


KNOWN_CODES: Final[dict[str, Refusal]] = {
    "sentinel_block": Refusal(
        "sentinel_block", "before",
        "The video service's safety check refused this prompt before making anything; try wording it differently.",
    ),
    "moderation_blocked": Refusal(
        "moderation_blocked", "during",
        "The video service's moderation stopped this video while it was being made; try wording it differently.",
    ),
    "cameo_permission_denied": Refusal(
        "cameo_permission_denied", "permission",
        "The video service refused: a person named in the prompt has not allowed their cameo to be used.",
    ),
}
_KNOWN = re.compile("|".join(KNOWN_CODES), re.IGNORECASE)
# A code as a vendor spells one: lower-case words joined by underscores ("content_policy_violation").
_CODE_LIKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def failure_code(explicit: object = None, texts: Iterable[str | None] = ()) -> str | None:
    """The vendor's code: an explicit code field when it is a word, else a known code named in its texts."""
    if isinstance(explicit, str) and _CODE_LIKE.fullmatch(explicit.strip()):
        return explicit.strip()
    for text in texts:
        if text and (m := _KNOWN.search(text)):
            return m.group(0).lower()
    for text in texts:  # a failure line that ends in a bare code ("❌ 生成失败: content_policy_violation")
        if text and (m := _CODE_LIKE.fullmatch(text.strip().rsplit(" ", 1)[-1].strip("`.:"))):
            return m.group(0)
    return None


def refusal_of(code: str | None) -> Refusal | None:
    """The known refusal a code names, if any."""
    return KNOWN_CODES.get(code.lower()) if code else None
