"""Where a task whose stream is gone can be found again, in the order a provider profile gives.

Resellers do not show chat-made tasks on their task endpoints; the chat answer's own Raw Data link
(`https://asyncdata.net/source/<task id>`) does. So a chat-route model looks there first, then at
`/v1/videos/{id}` and `/v1/video/query` under every spelling of the ID the family uses (`sora-2-pro:task_…`
and `sora-2:task_…`; a model-prefixed ID such as `veo3-pro:<uuid>` as it is). A task made by
`/v1/video/create` is asked at its model's endpoints, then at the Raw Data page too, which public clients
of the family poll for such tasks as well (see README, "Video providers"). A Raw Data link is followed only
to a host the profile allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.catalog import ModelSpec, ProviderProfile
from bot.videoapi import TaskStatus, VideoAPI, task_id_forms

__all__ = ["Source", "recovery_sources"]


@dataclass(frozen=True, slots=True)
class Source:
    """One place to ask about a task, named for the logs."""

    name: str
    fetch: Callable[[], Awaitable[TaskStatus]]


def recovery_sources(
    api: VideoAPI, provider: ProviderProfile, spec: ModelSpec, task_id: str, raw_link: str | None,
    *, created: bool = False,
) -> list[Source]:
    """The sources to poll for `task_id` (as its transcript showed it, or as create returned it), in order.

    A `created` task (made by /v1/video/create) has no chat answer: the task endpoints of its model are asked
    first (both when its profile names none, as for a chat model's picture job), then its Raw Data page.
    """
    names = list(spec.recovery)
    if created:
        names = [n for n in names if n != "raw_data"] or ["videos", "query"]
        names.append("raw_data")
    sources: list[Source] = []
    for name in names:
        if name == "raw_data":
            url = raw_data_url(provider, task_id, raw_link)
            if url is not None:
                sources.append(Source("raw data", _raw(api, url)))
            continue
        path = "/v1/videos" if name == "videos" else "/v1/video/query"
        for form in task_id_forms(task_id, spec.task_prefixes):
            sources.append(Source(f"{path} {form}", _task(api, form, name)))
    return sources


def raw_data_url(provider: ProviderProfile, task_id: str, raw_link: str | None) -> str | None:
    """The transcript's own Raw Data link when its host is allowed, else the profile's template."""
    if raw_link and _allowed(provider, raw_link):
        return raw_link
    if provider.raw_data_url is None:
        return None
    return provider.raw_data_url.format(task_id=task_id)


def _allowed(provider: ProviderProfile, url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username or parts.password:
        return False
    if parts.scheme == "https" and (parts.hostname or "").lower() in provider.raw_data_hosts:
        return True
    # The template's own origin (a mirror, or the local simulator) is trusted as much as the template.
    if provider.raw_data_url is not None:
        template = urlsplit(provider.raw_data_url)
        return (parts.scheme, parts.netloc.lower()) == (template.scheme, template.netloc.lower())
    return False


def _raw(api: VideoAPI, url: str) -> Callable[[], Awaitable[TaskStatus]]:
    async def fetch() -> TaskStatus:
        return await api.get_raw_data(url)

    return fetch


def _task(api: VideoAPI, full_id: str, endpoint: str) -> Callable[[], Awaitable[TaskStatus]]:
    async def fetch() -> TaskStatus:
        return await api.get_task(full_id, "videos" if endpoint == "videos" else "query")

    return fetch
