"""Incremental parser for the markdown status transcript the vendor streams in chat completions.

The assistant text looks like (seed 004):

    ```json {...the prompt...} ```
    > ID: `task_01k7…`
    >[Data Preview](…) | [Raw Data](…)
    > Queuing......
    > Generating.
    >🏃 Progress 36..44..61..
    > Generation Complete ✅
    > sid: s_68ec…
    ![…](https://….webp)
    [Play Online▶️](https://….mp4)

Upstreams vary (Chinese labels, emoji with joiners or variation selectors, IDs with or without backticks,
failures reported in text), so lines are recognised by loose label patterns, never by exact strings.

Cost is linear: each delta is split once; a complete line is parsed once when its end arrives. The last,
unfinished line is only "peeked" while it is short (so "Queuing" and the task ID show up at once), except a
progress line, whose numbers are scanned incrementally with a few carried characters.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.core.urls import normalize_origins, safe_media_url

__all__ = [
    "Transcript",
    "TranscriptParser",
    "TranscriptState",
    "parse_transcript",
]

TranscriptState = Literal["pending", "queued", "generating", "completed", "failed"]

_PEEK_MAX = 256  # the unfinished last line is re-examined only while shorter than this
_LINE_MAX = 64 * 1024  # longer lines keep only their head for parsing (content still keeps everything)
_RANK = {"pending": 0, "queued": 1, "generating": 2}
DEFAULT_FAILURE = "The video generation failed."
UNSAFE_LINK_FAILURE = "The video service returned a video link the bot is not allowed to open."

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r"^[>\s]*(?:```|~~~)")
_OK_MARKS = re.compile("[\u2705\u2714\u2611]")  # ✅ ✔ ☑
_FAIL_MARKS = re.compile("[\u274c\u274e\u2716\u26d4\U0001f6ab\U0001f6d1]")  # ❌ ❎ ✖ ⛔ 🚫 🛑
_SEP = r"(?=[\s:：`'\"*=#(\[]|$)"
_ID_LABEL = re.compile(
    r"(?:task[\s_-]*id|id|任务\s*id|任務\s*id|任务编号|任務編號|任务号|任務號)" + _SEP, re.IGNORECASE
)
_SID_LABEL = re.compile(r"sid" + _SEP, re.IGNORECASE)
_PROGRESS = re.compile(r"(?:progress|进度|進度)(?![a-z])", re.IGNORECASE)
_QUEUED = re.compile(r"(?:queu(?:e|ed|ing|eing)\b|in queue|waiting|pending|排队|排隊|等待)", re.IGNORECASE)
_GENERATING = re.compile(
    r"(?:generating|processing|rendering|in progress|running|正在生成|生成中|处理中|處理中|制作中|製作中)",
    re.IGNORECASE,
)
_COMPLETED = re.compile(
    r"(?:(?:video\s+)?generation\s+(?:is\s+)?(?:complete|succe|done|finish)|complete(?:d)?\b|"
    r"succe(?:ss|eded|ssful)\b|done\b|finished\b|生成完成|生成成功|视频生成成功|視頻生成成功|已完成)",
    re.IGNORECASE,
)
# "Task submitted ✅" is not a finished video.
_SUBMITTED = re.compile(r"submit|accepted|received|created|提交|已接收|已创建|已創建", re.IGNORECASE)
_FAILED = re.compile(
    r"(?:(?:video\s+)?(?:generation|task|request)\s+(?:has\s+)?(?:failed|failure|error)|"
    r"fail(?:ed|ure)?\b|error\b|生成失败|生成失敗|任务失败|任務失敗|失败|失敗|错误|錯誤)",
    re.IGNORECASE,
)
_REASON = re.compile(r"(?:reason|cause|details?|原因|理由)\s*[:：]\s*", re.IGNORECASE)
_REFUSAL = re.compile(
    r"\b(?:sorry|unable to|cannot|can't|can’t|could not|couldn't|not able to|refus\w*|violat\w*|"
    r"content polic\w*|against (?:our|the) (?:usage )?(?:polic\w*|guidelines|rules)|prohibited|"
    r"not allowed|not permitted|rejected|blocked)\b|抱歉|无法|無法|不能|违反|違反|违规|違規|拒绝|拒絕|"
    r"不允许|不允許|敏感内容",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*")
_TOKEN_LEAD = re.compile("[\\s:：`'\"*=#\u200b-\u200d\u2060\ufeff\ufe0f]*")
_TASK_TOKEN = re.compile(r"(?<![A-Za-z0-9_])task_[A-Za-z0-9]{6,}")
_NUM = re.compile(r"(?<![/0-9０-９])[0-9０-９]{1,3}(?![0-9０-９])")
_PERCENT = re.compile(r"([0-9]{1,3})\s*%")
_MD_LINK = re.compile(
    r"(!?)\[([^\]\n]{0,500})\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]{0,200}\)){1,2048})>?(?:\s+\"[^\"]*\")?\s*\)"
)
_BARE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s<>()\[\]\"'`]+")
_PLAY_TEXT = re.compile(r"play|watch|video|download|▶|播放|观看|觀看|下载|下載|视频|視頻", re.IGNORECASE)
_VIDEO_EXT = frozenset({"mp4", "mov", "webm", "m4v"})
_IMAGE_EXT = frozenset({"webp", "png", "jpg", "jpeg", "gif"})
_LEAD_PUNCT = frozenset(">*_#~-+|•·")
_DECOR_CATEGORIES = frozenset({"So", "Sk", "Cf", "Mn", "Me", "Co", "Cs"})
_REASON_STRIP = " :：-–—,，.。!！"


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the stream has said so far; `content` is filled on the final snapshot (see TranscriptParser)."""

    task_id: str | None = None
    state: TranscriptState = "pending"
    progress: int | None = None
    video_url: str | None = None
    preview_url: str | None = None
    sid: str | None = None
    error: str | None = None
    content: str = ""

    @property
    def is_final(self) -> bool:
        """True for completed and failed."""
        return self.state in ("completed", "failed")

    def visible(self) -> tuple[object, ...]:
        """Everything a user could see change, i.e. all fields but `content`."""
        return (self.task_id, self.state, self.progress, self.video_url, self.preview_url, self.sid, self.error)


def _is_decor(ch: str) -> bool:
    return ch.isspace() or ch in _LEAD_PUNCT or unicodedata.category(ch) in _DECOR_CATEGORIES


def _lead(line: str) -> int:
    i, n = 0, len(line)
    while i < n and _is_decor(line[i]):
        i += 1
    return i


def _strip_decor(line: str) -> str:
    """Drop quote markers, emoji, joiners and variation selectors around a line's words."""
    i = _lead(line)
    j = len(line)
    while j > i and _is_decor(line[j - 1]):
        j -= 1
    return line[i:j]


def _clean_sentence(text: str) -> str | None:
    text = _OK_MARKS.sub("", _FAIL_MARKS.sub("", text))
    text = " ".join(text.split()).strip(" *_>`")
    if not text:
        return None
    text = "".join(ch for ch in text if ch.isprintable())
    if len(text) > 200:
        text = text[:200].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text or None


def _token(text: str, pos: int) -> tuple[str | None, bool]:
    """The ID-like token after a label, and whether something follows it (so it cannot grow further)."""
    pos = _TOKEN_LEAD.match(text, pos).end()  # type: ignore[union-attr]  # always matches
    m = _TOKEN.match(text, pos)
    if m is None:
        return None, pos < len(text)
    token = m.group().rstrip(".:-")
    if len(token) < 3 or not any(c.isdigit() for c in token):
        return None, True
    return token, m.end() < len(text)


def _url_ext(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


class _Channel:
    """Line state for one text stream (`content` or `reasoning_content`)."""

    __slots__ = ("carry", "in_code", "length", "parts", "peek_done", "progress_mode")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.peek_done = False
        self.progress_mode = False
        self.carry = ""
        self.in_code = False

    def reset_line(self) -> str:
        line = "".join(self.parts)
        self.parts = []
        self.length = 0
        self.peek_done = False
        self.progress_mode = False
        self.carry = ""
        return line


class TranscriptParser:
    """Feed streamed deltas, get `Transcript` snapshots; call `finish()` at the end of the stream.

    `content` policy: the final `content` is the exact concatenation of all `delta.content` pieces, since
    that is what the vendor will expect back verbatim in the next turn. Text arriving in
    `reasoning_content` is parsed for status just the same, but is not part of `content` - unless the
    upstream sent no `content` at all, in which case the reasoning text is used so the next remix still
    carries the task ID and `sid`.

    Snapshots from `feed()` leave `content` empty (building it per chunk would make the parser quadratic);
    use the `content` property for the text so far, and `finish()` for the final snapshot with content.
    """

    def __init__(self, *, trusted_origins: Iterable[str] = ()) -> None:
        self._trusted = normalize_origins(trusted_origins)
        self._content_parts: list[str] = []
        self._reasoning_parts: list[str] = []
        self._channels = (_Channel(), _Channel())
        self._phase: TranscriptState = "pending"
        self._task_id: str | None = None
        self._task_id_labelled = False
        self._progress: int | None = None
        self._video: str | None = None
        self._preview: str | None = None
        self._sid: str | None = None
        self._completed = False
        self._hard_failed = False
        self._soft_failed = False
        self._error: str | None = None
        self._unsafe_video = False
        self._finished = False
        self._snap = Transcript()

    # -- public API -------------------------------------------------------------------------------------

    def feed(self, delta: str, *, reasoning: bool = False) -> Transcript:
        """Consume one delta of assistant text and return the current snapshot."""
        if self._finished:
            raise RuntimeError("TranscriptParser.feed() after finish()")
        if not delta:
            return self._snapshot()
        (self._reasoning_parts if reasoning else self._content_parts).append(delta)
        ch = self._channels[1 if reasoning else 0]
        pieces = _LINE_SPLIT.split(delta)
        for piece in pieces[:-1]:
            self._add(ch, piece)
            self._line(ch, ch.reset_line())
        last = pieces[-1]
        if last:
            self._add(ch, last)
            self._peek(ch, last)
        return self._snapshot()

    def fail(self, reason: str | None) -> Transcript:
        """Record a failure reported outside the text (an error event, `finish_reason: content_filter`)."""
        self._hard_failed = True
        if self._error is None:
            self._error = _clean_sentence(reason or "") or None
        return self._snapshot()

    def finish(self) -> Transcript:
        """Flush the unfinished last lines and return the final snapshot, with `content`."""
        if not self._finished:
            self._finished = True
            for ch in self._channels:
                if ch.parts:
                    self._line(ch, ch.reset_line())
            if self._state() == "completed" and self._video is None and self._unsafe_video:
                self._hard_failed = True
                self._completed = False
                self._error = UNSAFE_LINK_FAILURE
        snap = self._snapshot()
        return dataclasses.replace(snap, content=self.content)

    @property
    def content(self) -> str:
        """The assistant text so far, per the content policy above."""
        text = "".join(self._content_parts)
        if text:
            self._content_parts = [text]
            return text
        return "".join(self._reasoning_parts)

    @property
    def snapshot(self) -> Transcript:
        """The current snapshot (without content)."""
        return self._snapshot()

    # -- state ----------------------------------------------------------------------------------------

    @property
    def failure_is_explicit(self) -> bool:
        """True when failure was stated (❌, a failure label, an error event), not inferred from a sentence."""
        return self._hard_failed

    def _state(self) -> TranscriptState:
        if self._completed and (not self._hard_failed or self._video):
            return "completed"
        # A refusal-sounding sentence decides only at the end: mid-stream it may be small talk
        # ("sorry for the wait") and must not stop live progress.
        if self._hard_failed or (self._soft_failed and self._finished):
            return "failed"
        return self._phase

    def _snapshot(self) -> Transcript:
        state = self._state()
        error = (self._error or DEFAULT_FAILURE) if state == "failed" else None
        key = (self._task_id, state, self._progress, self._video, self._preview, self._sid, error)
        if key != self._snap.visible():
            self._snap = Transcript(self._task_id, state, self._progress, self._video, self._preview, self._sid, error)
        return self._snap

    def _at_least(self, phase: TranscriptState) -> None:
        if _RANK[phase] > _RANK[self._phase]:
            self._phase = phase

    def _bump(self, value: int) -> None:
        if 0 <= value <= 100 and (self._progress is None or value > self._progress):
            self._progress = value

    def _set_task_id(self, token: str, *, labelled: bool) -> None:
        if self._task_id is None or (labelled and not self._task_id_labelled):
            self._task_id = token
            self._task_id_labelled = labelled

    # -- lines ------------------------------------------------------------------------------------------

    @staticmethod
    def _add(ch: _Channel, text: str) -> None:
        room = _LINE_MAX - ch.length
        if room > 0:
            ch.parts.append(text if len(text) <= room else text[:room])
        ch.length += len(text)

    def _peek(self, ch: _Channel, new_text: str) -> None:
        """Look at the unfinished last line, cheaply, for things worth showing before its end."""
        if ch.progress_mode:
            self._scan_progress(ch, new_text)
            return
        if ch.peek_done or ch.in_code:
            return
        if ch.length > _PEEK_MAX:
            ch.peek_done = True
            return
        line = "".join(ch.parts)
        ch.parts = [line]
        if line.lstrip("> \t").startswith(("`", "~")):
            return  # maybe a code fence still arriving
        start = _lead(line)
        text = line[start:]
        if not text:
            return
        if m := _PROGRESS.match(text):
            ch.progress_mode = True
            self._at_least("generating")
            self._scan_progress(ch, text[m.end() :])
        elif m := _ID_LABEL.match(text):
            token, terminated = _token(text, m.end())
            if token and terminated:
                self._set_task_id(token, labelled=True)
                ch.peek_done = True
        elif _QUEUED.match(text):
            self._at_least("queued")
            ch.peek_done = True
        elif _GENERATING.match(text):
            self._at_least("generating")
            ch.peek_done = True

    def _scan_progress(self, ch: _Channel, text: str) -> None:
        """Take finished numbers from new progress text; carry an unfinished one ("3" + "6..")."""
        s = ch.carry + text
        n = len(s)
        for m in _NUM.finditer(s):
            if m.end() == n:
                break
            self._bump(int(m.group()))
        i = n
        while i > 0 and s[i - 1] in "0123456789０１２３４５６７８９":
            i -= 1
        ch.carry = s[max(0, i - 1) :]

    def _line(self, ch: _Channel, line: str) -> None:
        """Parse one complete line."""
        if _FENCE.match(line):
            ch.in_code = not ch.in_code
            return
        if ch.in_code:
            return
        text = _strip_decor(line)
        if not text:
            if _FAIL_MARKS.search(line):
                self._hard_failed = True  # a bare ❌: the reason, if any, follows
            return
        if m := _ID_LABEL.match(text):
            token, _ = _token(text, m.end())
            if token:
                self._set_task_id(token, labelled=True)
                return
        if m := _SID_LABEL.match(text):
            token, _ = _token(text, m.end())
            if token:
                self._sid = token
                return
        if m := _PROGRESS.match(text):
            self._at_least("generating")
            for num in _NUM.finditer(text, m.end()):
                self._bump(int(num.group()))
            return
        has_links = self._links(line)
        if _FAIL_MARKS.search(line) or _FAILED.match(text):
            self._hard_failed = True
            if self._error is None:
                self._error = self._failure_reason(text)
            return
        if _COMPLETED.match(text) or (_OK_MARKS.search(line) and not _SUBMITTED.search(text)):
            self._completed = True
            self._progress = 100
            return
        if _QUEUED.match(text):
            self._at_least("queued")
        elif _GENERATING.match(text):
            self._at_least("generating")
            if pct := _PERCENT.search(text):
                self._bump(int(pct.group(1)))
        elif self._hard_failed and self._error is None and not has_links:
            m = _REASON.match(text)
            self._error = _clean_sentence(text[m.end() :] if m else text)
        elif not has_links and not self._completed and _REFUSAL.search(text):
            self._soft_failed = True
            if self._error is None:
                self._error = _clean_sentence(text)
        if self._task_id is None and (tm := _TASK_TOKEN.search(line)):
            self._set_task_id(tm.group(), labelled=False)

    @staticmethod
    def _failure_reason(text: str) -> str | None:
        text = _clean_sentence(text) or ""
        if m := _FAILED.match(text):
            text = text[m.end() :]
        return _clean_sentence(text.lstrip(_REASON_STRIP))

    def _links(self, line: str) -> bool:
        """Pick the play link and preview image out of a line; return whether it had any link."""
        if "://" not in line and "](" not in line:
            return False
        found = False
        rest = line
        for m in _MD_LINK.finditer(line):
            found = True
            bang, label, url = m.groups()
            ext = _url_ext(url)
            if bang or ext in _IMAGE_EXT:
                self._take_preview(url)
            elif ext in _VIDEO_EXT or _PLAY_TEXT.search(label):
                self._take_video(url)
            rest = rest.replace(m.group(), " ")
        for m in _BARE_URL.finditer(rest):
            found = True
            url = m.group().rstrip(".,;:!?")
            if _url_ext(url) in _VIDEO_EXT:
                self._take_video(url)
        return found

    def _take_video(self, url: str) -> None:
        safe = safe_media_url(url, self._trusted)
        if safe is None:
            self._unsafe_video = True
        else:
            self._video = safe

    def _take_preview(self, url: str) -> None:
        safe = safe_media_url(url, self._trusted)
        if safe is not None:
            self._preview = safe


def parse_transcript(text: str, *, trusted_origins: Iterable[str] = ()) -> Transcript:
    """Parse a whole assistant message at once (e.g. a stored turn)."""
    parser = TranscriptParser(trusted_origins=trusted_origins)
    parser.feed(text)
    return parser.finish()
