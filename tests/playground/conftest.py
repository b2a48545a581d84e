"""Browser tests of the playground: the real launcher's Playground (stand-in Discord, simulator, real bot,
page) driven through headless Chromium (Debian's package) by Playwright, asserting what is on the page."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright, expect

from playground.stack import Playground
from tests.playground.driver import Client

# The flags CI runs Chromium with: no sandbox (CI runs as root), nothing reaching out to the network.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# A simulated video takes about six seconds; a dropped stream is resumed by polling every five.
expect.set_options(timeout=30_000)


def chromium() -> str:
    """Debian's chromium; CI installs it (.ci/run), so there its absence is a failure, not a skip."""
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium fonts-noto-color-emoji)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
async def playground() -> AsyncIterator[Playground]:
    async with Playground() as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def client(browser: Browser, playground: Playground) -> AsyncIterator[Client]:
    """The page, open as Maya (the member) on #video-lab; fails the test on any error the page logged."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("response", lambda response: errors.append(f"HTTP {response.status} {response.url}")
            if response.status >= 400 else None)
    client = Client(page, playground)
    await client.open()
    yield client
    await context.close()
    assert not errors, errors
