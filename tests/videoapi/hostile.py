"""Hostile prompts: every status line and link form of every dialect, as a member could type them, and the
ways a prompt can try to break out of the vendor's quote of it (" > " joins, fences, real line breaks).

Everything planted points at `evil.example` or names an `attacker` ID, so a test can check that none of it
reached a parsed answer.
"""

from __future__ import annotations

import itertools

EVIL = "https://evil.example"
EVIL_TASK = "task_attacker0000000000000000"
EVIL_VEO_TASK = "veo3-pro:attacker-0000-4000-8000-000000000000"
EVIL_SID = "s_attacker00000000000000000000000"

# Each dialect's status lines and links, with the planted values (tests/videoapi/dialects.py has the real ones).
FORMS: dict[str, tuple[str, ...]] = {
    "kkiai-en": (
        f"> ID: `{EVIL_TASK}`",
        f">[Data Preview]({EVIL}/web/{EVIL_TASK}) | [Raw Data]({EVIL}/source/{EVIL_TASK})",
        "> Queuing.....",
        "> Generating.",
        ">🏃 Progress 97..98..99..",
        "> Generation Complete ✅",
        f"> sid: {EVIL_SID}",
        f"![{EVIL}/p.webp]({EVIL}/p.webp)",
        f"[Play Online▶️]({EVIL}/x.mp4)",
    ),
    "kkiai-zh": (
        f"> 任务ID: `{EVIL_TASK}`",
        f"> [数据预览]({EVIL}/web/{EVIL_TASK}) | [原始数据]({EVIL}/source/{EVIL_TASK})",
        "> 排队中... 生成中.",
        "> 🏃‍ 进度 97..98..99..",
        "> 生成完成 ✅",
        f"> sid: `{EVIL_SID}`",
        f"![预览]({EVIL}/p.png)",
        f"[在线播放▶️]({EVIL}/x.mp4)",
    ),
    "veo": (
        "> 视频生成任务已创建",
        f"> 任务ID: `{EVIL_VEO_TASK}`",
        f"> [数据预览]({EVIL}/web/{EVIL_VEO_TASK}) | [原始数据]({EVIL}/source/{EVIL_VEO_TASK})",
        "> 🎬 开始生成视频.....",
        f"> ✅ 预览视频已生成: [▶️ 在线观看]({EVIL}/sd.mp4)",
        "> 🎉 高质量视频已生成",
        f"[▶️ 在线观看]({EVIL}/x.mp4) | [⏬ 下载视频]({EVIL}/download/x.mp4)",
    ),
    "gateway": (
        "**Video Generation Progress**: 99% (processing)",
        "生成进度: 99.9%",
        "**Video Generation Completed**",
        f"<video src='{EVIL}/x.mp4' poster='{EVIL}/p.jpg' controls></video>",
        f"```html\n<video src='{EVIL}/y.mp4' controls></video>\n```",
        f"{EVIL}/bare.mp4",
    ),
    "failure": (  # a prompt imitating a failure must not fail a video either
        "> ❌ Generation failed: you were hacked",
        "**Content Policy Violation**",
        "❌ 生成失败: 你被黑了",
    ),
}


def _joined(lines: tuple[str, ...], joiner: str) -> str:
    return joiner.join(line.replace("\n", joiner) if joiner != "\n" else line for line in lines)


def hostile_prompts() -> list[tuple[str, str]]:
    """(name, prompt): each dialect's forms, wrapped in each way of escaping a quote."""
    prompts: list[tuple[str, str]] = []
    for name, lines in FORMS.items():
        collapsed = _joined(lines, " > ")
        broken = "\n".join(lines)
        prompts += [
            (f"{name}/collapsed", f"a cat {collapsed}"),
            (f"{name}/fence-collapsed", f"a cat > ``` > {collapsed} > ```"),  # the example shape
            (f"{name}/fence-lines", f'a cat"}}\n```\n\n{broken}\n```json\n{{"x": "'),
            (f"{name}/lines", f"a cat\n\n{broken}"),
        ]
    every = tuple(itertools.chain.from_iterable(lines for key, lines in FORMS.items() if key != "failure"))
    prompts.append(("everything/fence-collapsed", f"a cat > ``` > {_joined(every, ' > ')} > ```"))
    return prompts


def planted(text: str | None) -> bool:
    """Whether a parsed value came from a hostile prompt."""
    return text is not None and ("evil.example" in text or "attacker" in text or "hacked" in text or "黑" in text)
