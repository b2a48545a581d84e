"""Pure: the links of one transcript line, each with what it is (video, preview image, Raw Data page).

A line may offer one video several ways ("[▶️ 在线观看](…mp4) | [⏬ 下载视频](…/download/…mp4)"); a
watch or play link, or an HTML <video> tag, outranks a bare video link, which outranks a download link.
Likewise an image shown inline ("![…](….webp)", <video poster="…">) outranks an image offered as a link
("[Download PNG](….png)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .patterns import url_ext

LinkKind = Literal["video", "preview", "raw_data"]

PLAY_RANK = 3
PLAIN_RANK = 2
DOWNLOAD_RANK = 1

_MD_LINK = re.compile(
    r"(!?)\[([^\]\n]{0,500})\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]{0,200}\)){1,2048})>?(?:\s+\"[^\"]*\")?\s*\)"
)
_BARE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s<>()\[\]\"'`]+")
# <video src='…' poster='…'> or <source src="…"> (sora2api and flow2api send the video only this way).
_VIDEO_TAG = re.compile(r"<(?P<tag>video|source)\b(?P<attrs>[^>]{0,8192})>?", re.IGNORECASE)
_ATTR = re.compile(r"\b(?P<name>src|poster)\s*=\s*(['\"])(?P<url>[^'\"\s]{1,4096})\2", re.IGNORECASE)
_DOWNLOAD_TEXT = re.compile(r"download|下载|下載|⏬", re.IGNORECASE)
_PLAY_TEXT = re.compile(r"play|watch|▶|播放|观看|觀看|在线|在線", re.IGNORECASE)
_VIDEO_TEXT = re.compile(r"video|视频|視頻", re.IGNORECASE)
_RAW_DATA_TEXT = re.compile(r"raw\s*data|原始数据|原始數據", re.IGNORECASE)
_VIDEO_EXT = frozenset({"mp4", "mov", "webm", "m4v"})
_IMAGE_EXT = frozenset({"webp", "png", "jpg", "jpeg", "gif"})


@dataclass(frozen=True, slots=True)
class Link:
    """A link found in a line; `rank` orders the ways one video is offered (see the module docstring)."""

    kind: LinkKind
    url: str
    rank: int = 0


def video_tags(line: str) -> list[Link]:
    """HTML video tags only (their video, and a <video>'s poster image): what counts in a ```html block."""
    found = []
    for tag in _VIDEO_TAG.finditer(line):
        for attr in _ATTR.finditer(tag.group("attrs")):
            if attr.group("name").lower() == "src":
                found.append(Link("video", attr.group("url"), PLAY_RANK))
            elif tag.group("tag").lower() == "video":
                found.append(Link("preview", attr.group("url"), PLAY_RANK))
    return found


def find_links(line: str) -> list[Link]:
    """Every video, preview image and Raw Data link of a line, in order."""
    if "://" not in line and "](" not in line and "<" not in line:
        return []
    found = video_tags(line)
    rest = _VIDEO_TAG.sub(" ", line) if found else line
    for m in _MD_LINK.finditer(rest):
        bang, label, url = m.groups()
        ext = url_ext(url)
        if bang or ext in _IMAGE_EXT:
            found.append(Link("preview", url, PLAY_RANK if bang else DOWNLOAD_RANK))
        elif _RAW_DATA_TEXT.search(label):
            found.append(Link("raw_data", url))
        elif _DOWNLOAD_TEXT.search(label) or "/download/" in url:
            if ext in _VIDEO_EXT or _VIDEO_TEXT.search(label):
                found.append(Link("video", url, DOWNLOAD_RANK))
        elif _PLAY_TEXT.search(label):
            found.append(Link("video", url, PLAY_RANK))
        elif ext in _VIDEO_EXT or _VIDEO_TEXT.search(label):
            found.append(Link("video", url, PLAIN_RANK))
        rest = rest.replace(m.group(), " ")
    for m in _BARE_URL.finditer(rest):
        url = m.group().rstrip(".,;:!?")
        if url_ext(url) in _VIDEO_EXT:
            found.append(Link("video", url, DOWNLOAD_RANK if "/download/" in url else PLAIN_RANK))
    return found


def has_any_link(line: str) -> bool:
    """Whether a line carries a link at all (a line of links is never a failure reason)."""
    return "://" in line or "](" in line
