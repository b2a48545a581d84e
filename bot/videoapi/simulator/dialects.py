"""Pure: the assistant text a simulated task streams, in the dialect its Scenario names.

Each script is a list of pieces (channel, text, timeline step reached); the server writes one SSE event
per piece and pauses before each piece that reaches a step. The wordings are the ones public transcripts
show (seed 004 and DMXAPI's sora2-chat.md for kkiai; tu-zi's and apicore's Veo examples; sora2api's
generation_handler.py and a flow2api capture for the gateway); where no public text exists (the Veo
preview line, the bold failure reason) the shape follows issue 12's description and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .scenario import Scenario, SimTask

__all__ = ["CHUNKS_THROUGH_TASK_ID", "Links", "Piece", "chunks_through_task_id", "first_paced", "script"]

Piece = tuple[str, str, int | None]  # (channel: "content" | "reasoning_content" | "", text, step)

_LABELS = {
    "en": {
        "id": "> ID: `{id}`",
        "links": ">[Data Preview]({base}/web/{id}) | [Raw Data]({base}/source/{id})",
        "queue": "> Queuing.",
        "generating": "> Generating",
        "progress": ">🏃 Progress ",
        "complete": "> Generation Complete ✅",
        "preview": "![{preview}]({preview})",
        "play": "[Play Online▶️]({video})",
        "failed": "> ❌ Generation failed: {reason}",
        "refused": "> ❌ {reason}",
    },
    "zh": {
        "id": "> ID: `{id}`",
        "links": "> [数据预览]({base}/web/{id}) | [原始数据]({base}/source/{id})",
        "queue": "> 排队中.",
        "generating": "> 生成中",
        "progress": "> 🏃‍ 进度 ",
        "complete": "> 生成完成 ✅",
        "preview": "![{preview}]({preview})",
        "play": "[在线播放▶️]({video})",
        "failed": "> ❌ 生成失败: {reason}",
        "refused": "> ❌ 生成失败: {reason}",
    },
}
_ECHO_PIECES = 7  # "```", "json", "\n", "{\n", the fields, "\n}\n", "```"
# A role chunk, the echo, an empty delta, then the chunk with the task ID (kkiai dialect, its own echo).
# `drop_after_chunks=CHUNKS_THROUGH_TASK_ID` drops right after the ID; anything less, before it.
CHUNKS_THROUGH_TASK_ID = 1 + _ECHO_PIECES + 1 + 1


@dataclass(frozen=True, slots=True)
class Links:
    """Where a task's pages and media are served."""

    base: str  # the Raw Data and Data Preview pages
    video: str
    preview: str
    sd_video: str  # the Veo preview cut
    download: str


def chunks_through_task_id(scenario: Scenario) -> int | None:
    """How many SSE chunks a stream sends up to and including its task ID (None: it shows no ID)."""
    if scenario.dialect == "kkiai":
        return 1 + _echo_pieces(scenario.echo_style) + 1 + 1
    if scenario.dialect == "veo":
        return 2  # the role chunk, then "任务已创建" with the ID
    return None


def first_paced(pieces: list[Piece]) -> int:
    """The index of the first piece that reaches a step (the pause before it is the request's own wait)."""
    return next((i for i, (_, _, step) in enumerate(pieces) if step is not None), 0)


def script(task: SimTask, links: Links) -> list[Piece]:
    """The pieces of `task`'s stream, in order."""
    if task.scenario.dialect == "veo":
        return _veo(task, links)
    if task.scenario.dialect == "gateway":
        return _gateway(task, links)
    return _kkiai(task, links)


def _echo(task: SimTask, *, raw: bool = False) -> str:
    fields = {"prompt": task.prompt, "orientation": task.orientation}
    if task.scenario.echo_mode:  # some answers name the orientation this way (issue 21)
        fields = {"prompt": task.prompt, "mode": "横屏模式" if task.orientation == "landscape" else "竖屏模式"}
    if task.duration is not None:
        fields["duration"] = task.duration  # type: ignore[assignment]  # JSON mixes types
    if task.continues is not None:
        fields["sid"] = task.sid

    def value(key: str, v: object) -> str:
        return f'"{v}"' if raw and key == "prompt" else json.dumps(v, ensure_ascii=False)

    return ",\n".join(f"  {json.dumps(k)}: {value(k, v)}" for k, v in fields.items())


def _echo_pieces(style: str) -> int:
    return _ECHO_PIECES if style in ("json", "raw") else 1 if style == "quote" else 0


def _fenced_echo(task: SimTask, style: str) -> list[str]:
    """The ```json block's pieces, as the seed's stream cuts them."""
    return ["```", "json", "\n", "{\n", _echo(task, raw=style == "raw"), "\n}\n", "```"]


def _quoted_prompt(task: SimTask, language: str) -> str:
    """The prompt quoted in a sentence, as geekai's captured stream opens (one bold-italic line)."""
    if language == "zh":
        return f' **分析输入提示** > ***- 输入是一个 JSON，提示词为："{task.prompt}"。*** '
    return f' **Analyzing input prompt** > ***- The input provides a JSON with a prompt: "{task.prompt}".*** '


def _kkiai_echo(task: SimTask) -> list[str]:
    style = task.scenario.echo_style
    if style in ("json", "raw"):
        return _fenced_echo(task, style)
    return [_quoted_prompt(task, task.scenario.language)] if style == "quote" else []


def _echo_text(task: SimTask) -> str:
    """The whole echo as one text, for the dialects that would send it with their first words."""
    style = task.scenario.echo_style
    if style in ("json", "raw"):
        return "".join(_fenced_echo(task, style)) + "\n\n"
    if style == "quote":
        return _quoted_prompt(task, task.scenario.language) + "\n"
    return ""


def _kkiai(task: SimTask, links: Links) -> list[Piece]:
    sc = task.scenario
    lab = _LABELS[sc.language]
    status = "reasoning_content" if sc.status_in_reasoning else "content"
    sep = " " if sc.collapsed else "\n"
    pieces: list[Piece] = [("content", p, None) for p in _kkiai_echo(task)]
    pieces.append(("", "", None))  # the empty delta seen in the seed
    head = sep.join((lab["id"], lab["links"], lab["queue"])).format(id=task.shown_id, base=links.base)
    pieces.append((status, "\n\n" + head, 1))
    queue = max(1, sc.queue_steps)
    pieces += [(status, ".", 1 + i) for i in range(sc.queue_steps)]
    pieces.append((status, sep + lab["generating"], None))
    pieces.append((status, ".", 1 + queue))
    if sc.progress_steps:
        pieces.append((status, (sep if sc.collapsed else "\n\n") + lab["progress"], None))
        pieces += [(status, f"{p}..", 1 + queue + i) for i, p in enumerate(sc.progress_steps)]
    if sc.error_code:
        return pieces  # the server ends the stream with an error event here
    if sc.outcome == "success":
        tail = sep.join(
            (lab["complete"], f"> sid: {task.sid}", "", lab["preview"].format(preview=links.preview),
             lab["play"].format(video=links.video))
        )
    else:
        tail = _failure(sc, lab["refused" if sc.outcome == "refusal" else "failed"])
    pieces.append(("content", "\n\n" + tail, task.last_step))
    return pieces


def _failure(sc: Scenario, label: str) -> str:
    if sc.bold_reason:
        # The reason in bold, then the bare failure mark with only a code: the member must read the former.
        return f"> **{sc.reason}**\n> ❌ 生成失败: content_policy_violation"
    return label.format(reason=sc.reason)


def _veo(task: SimTask, links: Links) -> list[Piece]:
    sc = task.scenario
    pieces: list[Piece] = [(
        "content",
        _echo_text(task) + "\n\n> 视频生成任务已创建\n"
        f"> 任务ID: `{task.shown_id}`\n"
        "> 为了防止任务中断，可以从以下链接持续获取任务进度:\n"
        f"> [数据预览]({links.base}/web/{task.shown_id}) | [原始数据]({links.base}/source/{task.shown_id})\n"
        "> 等待处理中",
        1,
    )]
    queue = max(1, sc.queue_steps)
    pieces += [("content", ".", 1 + i) for i in range(sc.queue_steps)]
    pieces.append(("content", "\n\n> 类型: 文字生成\n> 🎬 开始生成视频", None))
    steps = list(range(1 + queue, 1 + queue + len(sc.progress_steps)))
    half = len(steps) // 2 if sc.preview else len(steps)
    pieces += [("content", ".", s) for s in steps[:half]]
    if sc.error_code:
        return pieces
    if sc.preview and sc.outcome == "success":
        # No public transcript shows the preview line's words; this is issue 12's description of it.
        preview = f"\n> ✅ 预览视频已生成: [▶️ 在线观看]({links.sd_video})\n> 🔄 正在优化视频质量"
        pieces.append(("content", preview, None))
    pieces += [("content", ".", s) for s in steps[half:]]
    if sc.outcome == "success":
        tail = (f"\n\n> 🎉 高质量视频已生成\n\n[▶️ 在线观看]({links.video}) | [⏬ 下载视频]({links.download})")
    else:
        tail = "\n\n" + _failure(sc, "> ❌ 生成失败: {reason}")
    pieces.append(("content", tail, task.last_step))
    return pieces


def _gateway(task: SimTask, links: Links) -> list[Piece]:
    sc = task.scenario
    queue = max(1, sc.queue_steps)
    echo = _echo_text(task)
    pieces: list[Piece] = [("content", echo, None)] if echo else []
    pieces += [
        ("reasoning_content", "✨ 视频生成任务已启动\n", 1),
        ("reasoning_content", "提交视频生成任务...\n", None),
    ]
    pieces.append(("reasoning_content", "视频生成中...\n", queue))
    pieces += [("reasoning_content", f"生成进度: {p}%\n", 1 + queue + i) for i, p in enumerate(sc.progress_steps)]
    if sc.error_code:
        return pieces
    if sc.outcome == "success":
        pieces.append(("content", f"```html\n<video src='{links.video}' controls></video>\n```", task.last_step))
    else:
        pieces.append(("reasoning_content", f"**Content Policy Violation**\n\n{sc.reason}\n", None))
        pieces.append(("content", f"❌ 生成失败: {sc.reason}", task.last_step))
    return pieces
