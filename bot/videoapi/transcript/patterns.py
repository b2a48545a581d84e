"""Pure: how the lines of a status transcript are recognised, across the dialects resellers stream.

Lines are matched by loose label patterns at their start, never by exact strings: upstreams differ in
language (English, simplified and traditional Chinese), emoji (with joiners and variation selectors),
quote markers, bold markers and backticks around IDs.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from bot.core.scrub import plain

SEP = r"(?=[\s:：`'\"*=#(\[]|$)"
OK_MARKS = re.compile("[\u2705\u2714\u2611\U0001f389]")  # ✅ ✔ ☑ 🎉
FAIL_MARKS = re.compile("[\u274c\u274e\u2716\u26d4\U0001f6ab\U0001f6d1]")  # ❌ ❎ ✖ ⛔ 🚫 🛑
ID_LABEL = re.compile(
    r"(?:task[\s_-]*id|id|任务\s*id|任務\s*id|任务编号|任務編號|任务号|任務號)" + SEP, re.IGNORECASE
)
SID_LABEL = re.compile(r"sid" + SEP, re.IGNORECASE)
# "Progress 36..", "进度 36..", "生成进度: 3%", "**Video Generation Progress**: 45% (processing)"
PROGRESS = re.compile(
    r"(?:(?:video\s+)?(?:generation\s+)?progress|(?:视频)?(?:生成)?进度|(?:視頻)?(?:生成)?進度)(?![a-z])",
    re.IGNORECASE,
)
QUEUED = re.compile(r"(?:queu(?:e|ed|ing|eing)\b|in queue|waiting|pending|排队|排隊|等待)", re.IGNORECASE)
GENERATING = re.compile(
    r"(?:generating|processing|rendering|in progress|running|(?:视频|視頻)?(?:正在生成|生成中)|处理中|處理中|"
    r"制作中|製作中|开始生成|開始生成|正在优化|正在優化|upsampling)",
    re.IGNORECASE,
)
COMPLETED = re.compile(
    r"(?:(?:video\s+)?generation\s+(?:is\s+)?(?:complete|succe|done|finish)|complete(?:d)?\b|"
    r"succe(?:ss|eded|ssful)\b|done\b|finished\b|生成完成|生成成功|视频生成成功|視頻生成成功|已完成|"
    r"(?:高质量|高品質|高清)?(?:视频|視頻)已生成)",
    re.IGNORECASE,
)
# "Task submitted ✅", "视频生成任务已创建": a task that exists, not a finished video.
SUBMITTED = re.compile(r"submit|accepted|received|created|提交|已接收|已创建|已創建|已启动|已啟動", re.IGNORECASE)
FAILED = re.compile(
    r"(?:(?:video\s+)?(?:generation|task|request)\s+(?:has\s+)?(?:failed|failure|error)|"
    r"fail(?:ed|ure)?\b|error\b|生成失败|生成失敗|任务失败|任務失敗|失败|失敗|错误|錯誤)",
    re.IGNORECASE,
)
REASON = re.compile(r"(?:reason|cause|details?|原因|理由)\s*[:：]\s*", re.IGNORECASE)
REFUSAL = re.compile(
    r"\b(?:sorry|unable to|cannot|can't|can’t|could not|couldn't|not able to|refus\w*|violat\w*|"
    r"content polic\w*|against (?:our|the) (?:usage )?(?:polic\w*|guidelines|rules)|prohibited|"
    r"not allowed|not permitted|rejected|blocked)\b|抱歉|无法|無法|不能|违反|違反|违规|違規|拒绝|拒絕|"
    r"不允许|不允許|敏感内容",
    re.IGNORECASE,
)
BOLD_LINE = re.compile(r"^\*\*(?P<text>[^*]{2,300})\*\*[.。:：]?$")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*")
TOKEN_LEAD = re.compile("[\\s:：`'\"*=#\u200b-\u200d\u2060\ufeff\ufe0f]*")
TASK_TOKEN = re.compile(r"(?<![A-Za-z0-9_])task_[A-Za-z0-9]{6,}")
# A progress number, with its decimals ("5.9"), never a part of one ("9" of "5.9") nor of a path or a date.
NUM = re.compile(r"(?<![/0-9０-９])(?<![0-9０-９][.．])[0-9０-９]{1,3}(?:[.．][0-9０-９]+)?(?![0-9０-９])")
PERCENT = re.compile(r"([0-9]{1,3}(?:\.[0-9]+)?)\s*%")

_LEAD_PUNCT = frozenset(">*_#~-+|•·")
_DECOR_CATEGORIES = frozenset({"So", "Sk", "Cf", "Mn", "Me", "Co", "Cs"})
_REASON_STRIP = " :：-–—,，.。!！"


def is_decor(ch: str) -> bool:
    return ch.isspace() or ch in _LEAD_PUNCT or unicodedata.category(ch) in _DECOR_CATEGORIES


def lead(line: str) -> int:
    """Where a line's words start, after quote markers, emoji and joiners."""
    i, n = 0, len(line)
    while i < n and is_decor(line[i]):
        i += 1
    return i


def strip_decor(line: str) -> str:
    """Drop quote markers, emoji, joiners and variation selectors around a line's words."""
    i = lead(line)
    j = len(line)
    while j > i and is_decor(line[j - 1]):
        j -= 1
    return line[i:j]


def bold_text(line: str) -> str | None:
    """The words of a line that is one bold span ("> **This content may violate …**"), else None."""
    text = line.strip().lstrip(">").strip()
    m = BOLD_LINE.match(text)
    return m.group("text").strip() if m else None


def clean_sentence(text: str) -> str | None:
    """One printable sentence of at most 200 characters, without status marks, markdown emphasis or secrets."""
    text = plain(OK_MARKS.sub("", FAIL_MARKS.sub("", text)))
    text = " ".join(text.split()).strip(" *_>`")
    if not text:
        return None
    text = "".join(ch for ch in text if ch.isprintable())
    if len(text) > 200:
        text = text[:200].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text or None


def failure_reason(text: str) -> str | None:
    """What follows the failure label on a "❌ 生成失败: …" line."""
    text = clean_sentence(text) or ""
    if m := FAILED.match(text):
        text = text[m.end() :]
    return clean_sentence(text.lstrip(_REASON_STRIP))


def token_after(text: str, pos: int) -> tuple[str | None, bool]:
    """The ID-like token after a label, and whether something follows it (so it cannot grow further)."""
    pos = TOKEN_LEAD.match(text, pos).end()  # type: ignore[union-attr]  # always matches
    m = TOKEN.match(text, pos)
    if m is None:
        return None, pos < len(text)
    token = m.group().rstrip(".:-")
    if len(token) < 3 or not any(c.isdigit() for c in token):
        return None, True
    return token, m.end() < len(text)


def url_ext(url: str) -> str:
    """The lower-case extension of a URL's last path segment ("" when none)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""
