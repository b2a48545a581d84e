"""/videos on the page: ⭐ under a finished video, the library's media gallery, its jump links and Remix."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.async_api import expect

from tests.playground.driver import Client

ROOT = Path(__file__).resolve().parents[2]
FINISHED = re.compile(r"Finished in \d+ s")


async def finished_video(client: Client, prompt: str) -> None:
    await client.slash("video", prompt=prompt)
    await client.open_thread_of(prompt)
    await expect(client.progress(0).locator(".embed-title")).to_have_text(FINISHED, timeout=30_000)


async def test_star_a_video_then_browse_the_library_open_a_thread_and_remix(client: Client, tmp_path: Path) -> None:
    await finished_video(client, "a cat surfing")
    star = client.progress(0).get_by_role("button", name=re.compile("^⭐"))
    await star.click()
    await expect(star).to_have_text(re.compile(r"⭐\s*1"))  # the count is on the button
    await finished_video(client, "a paper boat on a lake")

    await client.slash("videos")
    library = client.message(client.main, "Videos in this server").last
    await expect(library).to_contain_text("2 videos, newest first")
    await expect(library).to_contain_text("Only you can see this")
    gallery = library.locator(".media-gallery video")
    await expect(gallery).to_have_count(2)
    await expect(gallery.first).to_have_attribute("src", re.compile(r"a-paper-boat-on-a-lake\.mp4$"))
    await expect(library.locator(".v2-section").nth(1)).to_contain_text("⭐ 1")
    # The README's picture: VIDEOBOT_UPDATE_SCREENSHOT=1 .venv/bin/pytest tests/playground -k library
    keep = os.environ.get("VIDEOBOT_UPDATE_SCREENSHOT")
    screenshot = ROOT / "docs" / "library.png" if keep else tmp_path / "library.png"
    await client.page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")

    await library.locator(".v2-section").nth(1).get_by_role("link", name="Open its thread").click()
    await expect(client.thread).to_contain_text("a cat surfing")  # the jump link opened the video's thread

    await library.locator(".v2-section").nth(1).get_by_role("button", name="Remix").click()
    form = client.page.get_by_role("dialog")
    await form.get_by_label(re.compile("What should change")).fill("now at night")
    await form.get_by_role("button", name="Submit").click()
    await expect(client.message(client.main, "Remixing it in").last).to_be_visible()
    remix = client.progress(1)
    await expect(remix.locator(".embed-description")).to_contain_text("Remixing video 1 of this thread")
    await expect(remix.locator(".embed-title")).to_have_text(FINISHED, timeout=30_000)
