"""Incremental parser for the markdown status transcript resellers stream in chat completions.

The seed vendor's answer (seed 004) is a ```json block (the service's reading of the request), then
"> ID: `task_…`", its [Data Preview] | [Raw Data] links, "> Queuing...", "> Generating.",
">🏃 Progress 36..44..", "> Generation Complete ✅", "> sid: s_…", a preview image and [Play Online▶️](….mp4).
Other dialects of the family are read by the same rules: Chinese labels, the Veo wording ("视频生成任务已创建",
"任务ID: `veo3…`", a preview before "🎉 高质量视频已生成", watch | download pairs), statuses run onto one line
with " > ", progress and failures in `reasoning_content`, a bold reason line before "❌ 生成失败", and a video
given only as an HTML <video> tag (even in a ```html block).

Cost is linear: each delta is split once; a complete line is parsed once when its end arrives. The last,
unfinished line is only "peeked" while it is short (so "Queuing" and the task ID show up at once), except a
progress line, whose numbers are scanned incrementally with a few carried characters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.core.scrub import scrub_configured
from bot.core.urls import normalize_origins, safe_media_url

from . import patterns as p
from .lines import Channel, Line
from .links import Link, find_links, has_any_link, video_tags
from .progress import scan_progress, to_percent
from .provenance import MemberWords

__all__ = [
    "DEFAULT_FAILURE",
    "UNSAFE_LINK_FAILURE",
    "Transcript",
    "TranscriptParser",
    "TranscriptState",
    "parse_transcript",
]

TranscriptState = Literal["pending", "queued", "generating", "completed", "failed"]

_PEEK_MAX = 256  # the unfinished last line is re-examined only while shorter than this
_RANK = {"pending": 0, "queued": 1, "generating": 2}
DEFAULT_FAILURE = "The video generation failed."
UNSAFE_LINK_FAILURE = "The video service returned a video link the bot is not allowed to open."


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
    raw_data_url: str | None = None  # the task's Raw Data page, as linked (not yet checked against a profile)
    content: str = ""

    @property
    def is_final(self) -> bool:
        """True for completed and failed."""
        return self.state in ("completed", "failed")

    def visible(self) -> tuple[object, ...]:
        """Everything a user could see change, i.e. all fields but `content` and the Raw Data link."""
        return (self.task_id, self.state, self.progress, self.video_url, self.preview_url, self.sid, self.error)


class TranscriptParser:
    """Feed streamed deltas, get `Transcript` snapshots; call `finish()` at the end of the stream.

    `content` policy: the final `content` is the exact concatenation of all `delta.content` pieces, since
    that is what the vendor will expect back verbatim in the next turn. Text arriving in
    `reasoning_content` is parsed for status just the same, but is not part of `content` - unless the
    upstream sent no `content` at all, in which case the reasoning text is used so the next remix still
    carries the task ID and `sid`.

    Video links: the best-ranked link after the last completion line wins (the high-quality video after a
    preview); within one place, watch/play beats a bare link beats download. Preview images: an inline image
    or a <video poster> beats an image offered as a link (a PNG download).

    Provenance: `member_words` are the member's messages as sent (the conversation's user turns). The vendor
    quotes them, so nothing is read from them: quotes are masked before lines are split, a line or link the
    member wrote is data, and fenced blocks other than ```html are data (see provenance.py and lines.py).
    """

    def __init__(self, *, trusted_origins: Iterable[str] = (), member_words: Iterable[str] = ()) -> None:
        self._trusted = normalize_origins(trusted_origins)
        self._member = MemberWords(member_words)
        self._content_parts: list[str] = []
        self._reasoning_parts: list[str] = []
        self._channels = (Channel(self._member.masker()), Channel(self._member.masker()))
        self._phase: TranscriptState = "pending"
        self._task_id: str | None = None
        self._task_id_labelled = False
        self._progress: int | None = None
        self._video: str | None = None
        self._video_key: tuple[int, int] = (-1, -1)  # (completion lines before it, rank) of the chosen link
        self._completions = 0
        self._preview: str | None = None
        self._preview_rank = -1
        self._raw_data: str | None = None
        self._sid: str | None = None
        self._completed = False
        self._completion_line = False
        self._hard_failed = False
        self._soft_failed = False
        self._error: str | None = None
        self._error_guessed = False  # the error is a refusal-sounding sentence, not a stated failure reason
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
        for line in ch.feed(delta):
            self._line(ch, line)
        if ch.fresh:
            self._peek(ch, ch.fresh)
        return self._snapshot()

    def fail(self, reason: str | None) -> Transcript:
        """Record a failure reported outside the text (an error event, `finish_reason: content_filter`)."""
        self._hard_failed = True
        if self._error is None:
            self._error = p.clean_sentence(reason or "") or None
        return self._snapshot()

    def finish(self) -> Transcript:
        """Flush the unfinished last lines and return the final snapshot, with `content`."""
        if not self._finished:
            self._finished = True
            for ch in self._channels:
                for line in ch.flush():
                    self._line(ch, line)
            if not self._hard_failed and self._video is not None and not self._completed:
                self._completed = True  # some upstreams end with the video and no completion line
                self._progress = 100
            if self._completed and self._video is None and self._unsafe_video:
                self._hard_failed = True
                self._completed = False
                self._error = UNSAFE_LINK_FAILURE
        snap = self._snapshot()
        return dataclasses.replace(snap, content=scrub_configured(self.content))

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

    @property
    def failure_is_explicit(self) -> bool:
        """True when failure was stated (❌, a failure label, an error event), not inferred from a sentence."""
        return self._hard_failed

    @property
    def completion_is_explicit(self) -> bool:
        """True when a completion line was seen, not only a video link (which a preview can be)."""
        return self._completion_line

    # -- state ----------------------------------------------------------------------------------------

    def _state(self) -> TranscriptState:
        # A stated failure wins over any later claim of success: a refused prompt stays refused, whatever
        # text follows the refusal.
        if self._hard_failed:
            return "failed"
        if self._completed:
            return "completed"
        # A refusal-sounding sentence decides only at the end: mid-stream it may be small talk
        # ("sorry for the wait") and must not stop live progress.
        if self._soft_failed and self._finished:
            return "failed"
        return self._phase

    def _snapshot(self) -> Transcript:
        state = self._state()
        failed = state == "failed"
        error = (self._error or DEFAULT_FAILURE) if failed else None
        video, preview = (None, None) if failed else (self._video, self._preview)  # a failed video has none
        key = (self._task_id, state, self._progress, video, preview, self._sid, error)
        if key != self._snap.visible() or self._raw_data != self._snap.raw_data_url:
            self._snap = Transcript(*key, raw_data_url=self._raw_data)
        return self._snap

    def _at_least(self, phase: TranscriptState) -> None:
        if _RANK[phase] > _RANK[self._phase]:
            self._phase = phase

    def _bump(self, value: int) -> None:
        if 0 <= value <= 100 and (self._progress is None or value > self._progress):
            self._progress = value

    def _set_task_id(self, token: str, *, labelled: bool) -> None:
        if self._member.wrote(token):
            return  # a task the member named is never this generation's (recovery and Refresh would follow it)
        if self._task_id is None or (labelled and not self._task_id_labelled):
            self._task_id = token
            self._task_id_labelled = labelled

    # -- lines ------------------------------------------------------------------------------------------

    def _peek(self, ch: Channel, new_text: str) -> None:
        """Look at the unfinished last line, cheaply, for things worth showing before its end."""
        if ch.progress_mode:
            ch.carry = scan_progress(ch.carry, new_text, self._bump)
            return
        if ch.peek_done or ch.in_code:
            return
        if ch.length > _PEEK_MAX:
            ch.peek_done = True
            return
        line = ch.unfinished
        if line.lstrip("> \t").startswith(("`", "~")):
            return  # maybe a code fence still arriving
        text = line[p.lead(line) :]
        if not text:
            return
        if m := p.PROGRESS.match(text):
            ch.progress_mode = True
            self._at_least("generating")
            ch.carry = scan_progress("", text[m.end() :], self._bump)
        elif m := p.ID_LABEL.match(text):
            token, terminated = p.token_after(text, m.end())
            if token and terminated:
                self._set_task_id(token, labelled=True)
                ch.peek_done = True
        elif p.QUEUED.match(text):
            self._at_least("queued")
            ch.peek_done = True
        elif p.GENERATING.match(text):
            self._at_least("generating")
            ch.peek_done = True

    def _line(self, ch: Channel, line: Line) -> None:
        """Parse one complete line: a vendor's status, or data (a fenced block, the member's own words)."""
        if line.code is not None:
            if line.code == "html":  # ```html <video src=…> is how some gateways hand over the video
                for link in video_tags(line.text):
                    self._take(link)
            return
        raw = line.text
        text = p.strip_decor(raw)
        if text and self._member.wrote(text):
            ch.last_bold = None
            return  # the member's words, quoted: whatever they look like, they are not the vendor's status
        bold_before, ch.last_bold = ch.last_bold, (p.bold_text(raw) if text else ch.last_bold)
        if not text:
            if p.FAIL_MARKS.search(raw):
                self._hard_failed = True  # a bare ❌: the reason, if any, follows
            return
        links = find_links(raw)  # first: a collapsed line may carry links after its label ("> sid: … [▶️](…)")
        for link in links:
            self._take(link)
        if self._labelled_value(text):
            return
        if m := p.PROGRESS.match(text):
            self._at_least("generating")
            for num in p.NUM.finditer(text, m.end()):
                self._bump(to_percent(num.group()))
            return
        if p.FAIL_MARKS.search(raw) or p.FAILED.match(text):
            self._hard_failed = True
            if self._error is None or self._error_guessed:
                # A bold line just before "❌ 生成失败: …" is the reason; the ❌ line is then only a label.
                stated = p.clean_sentence(bold_before) if bold_before else p.failure_reason(text)
                self._error = stated or self._error
                self._error_guessed = False
            return
        if p.COMPLETED.match(text) or (p.OK_MARKS.search(raw) and not p.SUBMITTED.search(text)):
            self._completed = True
            self._completion_line = True
            self._completions += 1
            self._progress = 100
            return
        self._phase_line(text, raw, has_links=bool(links) or has_any_link(raw))

    def _labelled_value(self, text: str) -> bool:
        """A task ID or sid line; True when it was one."""
        if m := p.ID_LABEL.match(text):
            token, _ = p.token_after(text, m.end())
            if token:
                self._set_task_id(token, labelled=True)
                return True
        if m := p.SID_LABEL.match(text):
            token, _ = p.token_after(text, m.end())
            if token:
                if not self._member.wrote(token):
                    self._sid = token
                return True
        return False

    def _phase_line(self, text: str, line: str, *, has_links: bool) -> None:
        if m := p.QUEUED.match(text):
            # "排队中... 生成中." says both on one line, and the later word is the news; "等待处理中"
            # ("waiting to be processed") is one phrase, so the second word must follow a pause.
            later = p.GENERATING.search(text, m.end())
            paused = later is not None and any(c in ".。…  \t" for c in text[m.end() : later.start()])
            self._at_least("generating" if paused else "queued")
        elif p.GENERATING.match(text):
            self._at_least("generating")
            if pct := p.PERCENT.search(text):
                self._bump(to_percent(pct.group(1)))
        elif self._hard_failed and self._error is None and not has_links:
            m = p.REASON.match(text)
            self._error = p.clean_sentence(text[m.end() :] if m else text)
        elif not has_links and not self._completed and p.REFUSAL.search(text):
            self._soft_failed = True
            if self._error is None:
                self._error = p.clean_sentence(text)
                self._error_guessed = True
        if self._task_id is None and (tm := p.TASK_TOKEN.search(line)):
            self._set_task_id(tm.group(), labelled=False)

    def _take(self, link: Link) -> None:
        if self._member.wrote(link.url):
            return  # a link the member wrote is theirs, not the vendor's answer
        if link.kind == "raw_data":
            self._raw_data = self._raw_data or link.url
            return
        safe = safe_media_url(link.url, self._trusted)
        if link.kind == "preview":
            if safe is not None and link.rank >= self._preview_rank:
                self._preview, self._preview_rank = safe, link.rank
            return
        if safe is None:
            self._unsafe_video = True
            return
        key = (self._completions, link.rank)
        if key > self._video_key:
            self._video, self._video_key = safe, key


def parse_transcript(
    text: str, *, trusted_origins: Iterable[str] = (), member_words: Iterable[str] = ()
) -> Transcript:
    """Parse a whole assistant message at once (e.g. a stored turn); `member_words` are the member's messages
    of its conversation (see TranscriptParser)."""
    parser = TranscriptParser(trusted_origins=trusted_origins, member_words=member_words)
    parser.feed(text)
    return parser.finish()
