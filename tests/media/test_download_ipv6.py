"""The download guard against IPv6 spellings of internal IPv4 addresses (NAT64, 6to4, Teredo, mapped,
compatible): refused before any connection, directly or after a redirect from a trusted origin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.media.download import UnsafeMediaURL, download_media
from tests.local_server import serving

HOSTILE = [
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[64:ff9b::a9fe:a9fe]:8443/latest/meta-data",
    "https://[64:ff9b:1::a9fe:a9fe]/",
    "https://[2002:a9fe:a9fe::1]/",
    "https://[2001:0:a9fe:a9fe::5601:5601]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::a9fe:a9fe]/",
]


@pytest.fixture
async def redirector() -> AsyncIterator[tuple[str, list[str]]]:
    """A trusted origin that redirects wherever the test asks (?to=…)."""
    hits: list[str] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        hits.append(request.query["to"])
        raise web.HTTPFound(request.query["to"])

    app = web.Application()
    app.router.add_get("/", handle)
    async with serving(app) as base:
        yield base, hits


@pytest.mark.parametrize("url", HOSTILE)
async def test_an_ipv6_spelling_of_an_internal_address_is_refused(url: str, http: aiohttp.ClientSession) -> None:
    with pytest.raises(UnsafeMediaURL):
        await download_media(http, url, max_bytes=1000, timeout=2.0)


@pytest.mark.parametrize("url", HOSTILE)
async def test_a_redirect_to_one_is_refused(
    url: str, http: aiohttp.ClientSession, redirector: tuple[str, list[str]]
) -> None:
    base, hits = redirector
    with pytest.raises(UnsafeMediaURL):
        await download_media(http, f"{base}/?to={url}", max_bytes=1000, trusted_origins=(base,), timeout=2.0)
    assert hits == [url]
