"""Transcripts of the vendor family's chat answers, quoted from public sources (each cited), and the
few shapes issue 12 describes but no public source shows verbatim (marked as such).

A "transcript" here is the assistant text (what `delta.content` / `delta.reasoning_content` carry,
concatenated), with the channel it came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Channel = Literal["content", "reasoning"]


@dataclass(frozen=True)
class Quoted:
    """A transcript and what a member must see from it."""

    source: str  # where it is quoted from (repository and path, or address)
    pieces: tuple[tuple[Channel, str], ...]
    state: str
    task_id: str | None = None
    progress: int | None = None
    video_url: str | None = None
    preview_url: str | None = None
    sid: str | None = None
    error: str | None = None
    raw_data_url: str | None = None
    echo: tuple[str | None, int | None] | None = None  # (orientation, duration) the ```json block states
    notes: list[str] = field(default_factory=list)


# YeSongYun/dmxapi.doc, sora2-chat.md ("返回示例", the sora-2-hd-15s-chat model; commit 23542a2c). The page
# renders the stream's markdown; line ends "  " are markdown line breaks. Its warning reads "无论生成失败还是
# 成功都会被收费" (billed whether the generation fails or succeeds) and its tip says the aspect ratio is read
# from the prompt ("中国街头吃西瓜,生成视频比例9:16").
DMXAPI = Quoted(
    source="YeSongYun/dmxapi.doc sora2-chat.md",
    pieces=((
        "content",
        "```json\n"
        "{\n"
        '  "prompt": "中国街头吃西瓜",\n'
        '  "orientation": "portrait",\n'
        '  "duration": 15\n'
        "}\n"
        "```\n"
        "\n"
        "> ID: `task_01k8sxz17gewz8kac074xz4crh`  \n"
        "> [数据预览](https://asyncdata.net/web/task_01k8sxz17gewz8kac074xz4crh) | "
        "[原始数据](https://asyncdata.net/source/task_01k8sxz17gewz8kac074xz4crh)  \n"
        "> 排队中... 生成中.\n"
        "\n"
        "> 🏃‍ 进度 42..54..67..75..81..\n"
        "\n"
        "> 生成完成 ✅  \n"
        "> sid: `s_69030aec68108191a24f05b2089bcb59`\n"
        "\n"
        "![https://filesystem.site/cdn/20251030/5aad43fd4008074d2074b13d8dd4c9.webp]"
        "(https://filesystem.site/cdn/20251030/5aad43fd4008074d2074b13d8dd4c9.webp)\n"
        "[在线播放▶️](https://filesystem.site/cdn/20251030/181a1916dcfe0bb84cafed2427204c.mp4)",
    ),),
    state="completed",
    task_id="task_01k8sxz17gewz8kac074xz4crh",
    progress=100,
    video_url="https://filesystem.site/cdn/20251030/181a1916dcfe0bb84cafed2427204c.mp4",
    preview_url="https://filesystem.site/cdn/20251030/5aad43fd4008074d2074b13d8dd4c9.webp",
    sid="s_69030aec68108191a24f05b2089bcb59",
    raw_data_url="https://asyncdata.net/source/task_01k8sxz17gewz8kac074xz4crh",
    echo=("portrait", 15),
)

# yangjian102621/geekai, api/test/test.go (the version that tests geekai/service/sora): a stream whose
# every status ran onto one line, cut before the video; the client then reads the 原始数据 link, as
# api/service/sora/sora_service.go does.
GEEKAI_COLLAPSED = Quoted(
    source="yangjian102621/geekai api/test/test.go",
    pieces=((
        "content",
        ' **Analyzing input prompt** > ***- The input provides a JSON with an empty history and a prompt in '
        'Chinese: "女孩在雪山上滑雪，欢快的节奏，姿势优雅，伴随女孩的欢声笑语".*** '
        "> ID: task_01k8pye324ef7t6heq6jyaxbfe "
        ">[数据预览](https://asyncdata.net/web/task_01k8pye324ef7t6heq6jyaxbfe) | "
        "[原始数据](https://asyncdata.net/source/task_01k8pye324ef7t6heq6jyaxbfe) > 排队中... > 生成中. "
        ">🏃 进度 36..47..57..61..69..76..79..81..",
    ),),
    state="generating",
    task_id="task_01k8pye324ef7t6heq6jyaxbfe",
    progress=81,
    raw_data_url="https://asyncdata.net/source/task_01k8pye324ef7t6heq6jyaxbfe",
)

# The Veo wording of the family: a veo3-pro chat completion in an Apifox API export held in the public code
# index (the index names no repository for it; found by its text "视频生成任务已创建").
VEO_PRO = Quoted(
    source="Apifox export, veo3-pro chat completion example (public code index, repository not named)",
    pieces=((
        "content",
        "\n\n> 视频生成任务已创建\n"
        "> 任务ID: `veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47`\n"
        "> 为了防止任务中断，可以从以下链接持续获取任务进度:\n"
        "> [数据预览](https://asyncdata.net/web/veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47) | "
        "[原始数据](https://asyncdata.net/source/veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47)\n"
        "> 等待处理中.\n\n"
        "> 类型: 文字生成\n"
        "> 🎬 开始生成视频...........................\n\n"
        "> 🎉 高质量视频已生成\n\n"
        "[▶️ 在线观看](https://filesystem.site/cdn/20250822/2hO6Q2oDZtT5I2sZd1lmyGUjmXntfT.mp4) | "
        "[⏬ 下载视频](https://filesystem.site/cdn/download/20250822/2hO6Q2oDZtT5I2sZd1lmyGUjmXntfT.mp4)",
    ),),
    state="completed",
    task_id="veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47",
    progress=100,
    video_url="https://filesystem.site/cdn/20250822/2hO6Q2oDZtT5I2sZd1lmyGUjmXntfT.mp4",
    raw_data_url="https://asyncdata.net/source/veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47",
)

# tu-zi's Veo 3 wiki page ("来由兔子API提供veo3模型生成"), as held in the public code index (no repository named):
# the text-to-video answer, with the quality pass before the high-quality video.
TUZI_VEO = Quoted(
    source="tu-zi Veo 3 wiki page (public code index, repository not named)",
    pieces=((
        "content",
        "> 视频生成任务已创建\n"
        "> 任务ID: `24cbd66b-3163-4f1a-95cf-0b9af4bf606f`\n"
        "> 为了防止任务中断，可以从以下链接持续获取任务进度:\n"
        "> [数据预览](https://asyncdata.net/web/24cbd66b-3163-4f1a-95cf-0b9af4bf606f) | "
        "[原始数据](https://asyncdata.net/source/24cbd66b-3163-4f1a-95cf-0b9af4bf606f)\n"
        "> 等待处理中\n"
        "> 类型: 文本视频生成\n"
        "> 🎬 开始生成视频................\n"
        "> 🔄 正在优化视频质量.............\n"
        "> 🎉 高质量视频已生成\n\n"
        "[▶️ 在线观看](https://filesystem.site/cdn/20250617/c5NLjuBPZD3oqzj6xJIx2bYJmDPVja.mp4) | "
        "[⏬ 下载视频](https://filesystem.site/cdn/download/20250617/c5NLjuBPZD3oqzj6xJIx2bYJmDPVja.mp4)",
    ),),
    state="completed",
    task_id="24cbd66b-3163-4f1a-95cf-0b9af4bf606f",
    progress=100,
    video_url="https://filesystem.site/cdn/20250617/c5NLjuBPZD3oqzj6xJIx2bYJmDPVja.mp4",
    raw_data_url="https://asyncdata.net/source/24cbd66b-3163-4f1a-95cf-0b9af4bf606f",
)

# shukeCyp/glin, video.md: a flow2api gateway's captured stream (veo_3_1_t2v_fast_portrait): progress in
# reasoning_content, then the video only as an HTML tag (a signed URL without an extension).
FLOW_SUCCESS_URL = (
    "https://storage.googleapis.com/ai-sandbox-videofx/video/ce3d8279-f338-4ffa-915d-d192151a60c2"
    "?GoogleAccessId=labs-ai-sandbox-videoserver-prod@system.gserviceaccount.com&Expires=1770971838"
    "&Signature=ayuU1jCUzB0dHJInag9F1qhiy5HzcOKMtuvDlFeUlk%2B8bkeSMFFot%2BNM6LK9cKMFA93SzX0qVKWRBEgLRIsE9qPl6Zdp"
)
FLOW_SUCCESS = Quoted(
    source="shukeCyp/glin video.md",
    pieces=(
        ("reasoning", "✨ 视频生成任务已启动\n"),
        ("reasoning", "初始化生成环境...\n"),
        ("reasoning", "TIER_TWO 账号自动切换到 ultra 模型: veo_3_1_t2v_fast_portrait_ultra\n"),
        ("reasoning", "提交视频生成任务...\n"),
        ("reasoning", "视频生成中...\n"),
        ("reasoning", "生成进度: 0%\n"),
        ("reasoning", "生成进度: 3%\n"),
        ("reasoning", "生成进度: 7%\n"),
        ("reasoning", "缓存已关闭,正在返回源链接...\n"),
        ("content", f"<video src='{FLOW_SUCCESS_URL}' controls style='max-width:100%'></video>"),
    ),
    state="completed",
    progress=100,
    video_url=FLOW_SUCCESS_URL,
)
# The same capture's failure (veo_3_1_t2v_fast_landscape): the reason only in reasoning_content.
FLOW_FAILURE = Quoted(
    source="shukeCyp/glin video.md",
    pieces=(
        ("reasoning", "✨ 视频生成任务已启动\n"),
        ("reasoning", "初始化生成环境...\n"),
        ("reasoning", "TIER_TWO 账号自动切换到 ultra 模型: veo_3_1_t2v_fast_ultra\n"),
        ("reasoning", "提交视频生成任务...\n"),
        ("reasoning", "❌ 生成失败: Flow API request failed: HTTP Error 401: Request had invalid authentication "
                      "credentials. Expected OAuth 2 access token, login cookie or other valid authentication "
                      "credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.\n"),
    ),
    state="failed",
    error="Flow API request failed: HTTP Error 401: Request had invalid authentication credentials. Expected "
          "OAuth 2 access token, login cookie or other valid authentication credential. See…",  # cut at 200
)

# TheSmallHanCat/sora2api, src/services/generation_handler.py: the gateway's own f-strings, filled in: a
# policy failure says its reason under a bold header in reasoning_content, then "❌ 生成失败: {reason_str}";
# a success hands the video over in a fenced ```html block.
SORA2API_REASON = "This content may violate our guardrails concerning similarity to third-party content."
SORA2API_FAILURE = Quoted(
    source="TheSmallHanCat/sora2api src/services/generation_handler.py",
    pieces=(
        ("reasoning", "**Generation Process Begins**\n\nInitializing generation request...\n"),
        ("reasoning", "\n**Video Generation Progress**: 45% (processing)\n"),
        ("reasoning", f"**Content Policy Violation**\n\n{SORA2API_REASON}\n"),
        ("content", f"❌ 生成失败: {SORA2API_REASON}"),
    ),
    state="failed",
    progress=45,
    error=SORA2API_REASON,
)
SORA2API_SUCCESS = Quoted(
    source="TheSmallHanCat/sora2api src/services/generation_handler.py",
    pieces=(
        ("reasoning", "\n**Video Generation Progress**: 88% (processing)\n"),
        ("reasoning", "**Video Generation Completed**\n\nCache is disabled. Using original URL directly...\n"),
        ("content", "```html\n<video src='https://gateway.example/tmp/3f9c0d.mp4' controls></video>\n```"),
    ),
    state="completed",
    progress=100,
    video_url="https://gateway.example/tmp/3f9c0d.mp4",
)

# Described by issue 12, seen verbatim nowhere public: a bold reason line, then "❌ 生成失败: <a code>".
BOLD_REASON = Quoted(
    source="issue 12's description (no public verbatim)",
    pieces=((
        "content",
        "> ID: `task_01k9b0ld0reas0n0000000000`\n> 生成中.\n\n"
        "> **This content may violate our guardrails around nudity, sexuality, or erotic content.**\n"
        "> ❌ 生成失败: content_policy_violation",
    ),),
    state="failed",
    task_id="task_01k9b0ld0reas0n0000000000",
    error="This content may violate our guardrails around nudity, sexuality, or erotic content.",
)

# Described by issue 12, seen verbatim nowhere public: a Veo preview cut before the high-quality video.
VEO_PREVIEW = Quoted(
    source="issue 12's description (no public verbatim)",
    pieces=((
        "content",
        "> 视频生成任务已创建\n> 任务ID: `veo3.1-fast:1770350082-trii1OXZc3`\n"
        "> 🎬 开始生成视频.....\n"
        "> ✅ 预览视频已生成: [▶️ 在线观看](https://filesystem.site/cdn/20260206/preview.mp4)\n"
        "> 🔄 正在优化视频质量.....\n"
        "> 🎉 高质量视频已生成\n\n"
        "[⏬ 下载视频](https://filesystem.site/cdn/download/20260206/hq.mp4) | "
        "[▶️ 在线观看](https://filesystem.site/cdn/20260206/hq.mp4)",
    ),),
    state="completed",
    task_id="veo3.1-fast:1770350082-trii1OXZc3",
    progress=100,
    video_url="https://filesystem.site/cdn/20260206/hq.mp4",
)

# Issue 21's three reading gaps, each in a dialect's own wording (no public verbatim: the shapes it describes).
# A gateway's <video> tag with a poster: the poster is the preview.
GATEWAY_POSTER = Quoted(
    source="issue 21's description: a <video poster> (no public verbatim)",
    pieces=(
        ("reasoning", "视频生成中...\n生成进度: 5.9%\n生成进度: 48.5%\n"),
        ("content", "```html\n<video src='https://gateway.example/tmp/3f9c0d.mp4' "
                    "poster='https://gateway.example/tmp/3f9c0d.jpg' controls></video>\n```"),
    ),
    state="completed",
    progress=100,
    video_url="https://gateway.example/tmp/3f9c0d.mp4",
    preview_url="https://gateway.example/tmp/3f9c0d.jpg",
)
# The kkiai answer with a PNG download link after the video: the inline preview image stays the preview.
KKIAI_PNG_DOWNLOAD = Quoted(
    source="issue 21's description: a later PNG download link (no public verbatim)",
    pieces=((
        "content",
        "> ID: `task_01k9png0000000000000000000`\n> 生成中.\n\n> 生成完成 ✅\n\n"
        "![https://filesystem.site/cdn/20251030/inline.webp](https://filesystem.site/cdn/20251030/inline.webp)\n"
        "[在线播放▶️](https://filesystem.site/cdn/20251030/v.mp4)\n"
        "[⏬ 下载封面](https://filesystem.site/cdn/download/20251030/cover.png)",
    ),),
    state="completed",
    task_id="task_01k9png0000000000000000000",
    progress=100,
    video_url="https://filesystem.site/cdn/20251030/v.mp4",
    preview_url="https://filesystem.site/cdn/20251030/inline.webp",
)
# Decimal progress, cut mid-generation, in each dialect's progress wording: 5.9 reads 5, never 9.
KKIAI_DECIMAL = Quoted(
    source="issue 21's description: decimal progress, kkiai wording (no public verbatim)",
    pieces=(("content", "> ID: `task_01k9dec0000000000000000000`\n> 生成中.\n\n> 🏃‍ 进度：5.9%"),),
    state="generating",
    task_id="task_01k9dec0000000000000000000",
    progress=5,
)
KKIAI_DECIMAL_DOTS = Quoted(
    source="issue 21's description: decimal progress, seed wording (no public verbatim)",
    pieces=(("content", "> ID: `task_01k9dec0000000000000000001`\n>🏃 Progress 2.5..5.9..12.25.."),),
    state="generating",
    task_id="task_01k9dec0000000000000000001",
    progress=12,
)
VEO_DECIMAL = Quoted(
    source="issue 21's description: decimal progress, Veo wording (no public verbatim)",
    pieces=(("content", "> 视频生成任务已创建\n> 任务ID: `veo3.1-fast:1770350082-dec0000000`\n> 进度：5.9%\n"),),
    state="generating",
    task_id="veo3.1-fast:1770350082-dec0000000",
    progress=5,
)
SORA2API_DECIMAL = Quoted(
    source="issue 21's description: decimal progress, sora2api wording (no public verbatim)",
    pieces=(("reasoning", "\n**Video Generation Progress**: 5.9% (processing)\n"),),
    state="generating",
    progress=5,
)
READING_GAPS = (GATEWAY_POSTER, KKIAI_PNG_DOWNLOAD, KKIAI_DECIMAL, KKIAI_DECIMAL_DOTS, VEO_DECIMAL, SORA2API_DECIMAL)

ALL = (DMXAPI, GEEKAI_COLLAPSED, VEO_PRO, TUZI_VEO, FLOW_SUCCESS, FLOW_FAILURE, SORA2API_FAILURE, SORA2API_SUCCESS,
       BOLD_REASON, VEO_PREVIEW, *READING_GAPS)
