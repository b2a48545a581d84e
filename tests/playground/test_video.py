"""/video on the page: the living progress message, the video playing inline, options and an image."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.async_api import expect

from playground.clip import Scene, render_png
from tests.playground.driver import Client

ROOT = Path(__file__).resolve().parents[2]


async def playing_time(video) -> float:
    # Resolves once the element has really played half a second (it waits on the media element's events).
    return await video.evaluate(
        "v => new Promise(done => { const check = () => v.currentTime > 0.5 ? done(v.currentTime)"
        " : v.addEventListener('timeupdate', check, {once: true}); check(); })"
    )


async def test_a_cat_surfing_comes_alive_and_plays_inline(client: Client, tmp_path: Path) -> None:
    await client.slash("video", prompt="a cat surfing")
    starter = client.message(client.main, "a cat surfing")
    await expect(starter).to_contain_text("Maya used /video")
    await expect(starter).to_contain_text("sora-2 · portrait")
    await client.open_thread_of("a cat surfing")
    progress = client.progress()
    message_id = await progress.get_attribute("data-id")
    # One message comes alive: a real percentage while generating, then the finished video, same message.
    await expect(progress.locator(".embed-title")).to_have_text(re.compile("Generating"))
    await expect(progress.locator(".embed-description")).to_contain_text(re.compile(r"▰+▱* \d+ %"))
    # The README's picture: VIDEOBOT_UPDATE_SCREENSHOT=1 .venv/bin/pytest tests/playground -k cat_surfing
    keep = os.environ.get("VIDEOBOT_UPDATE_SCREENSHOT")
    screenshot = ROOT / "docs" / "playground.png" if keep else tmp_path / "playground.png"
    await client.page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    await expect(progress.get_by_role("button", name="Cancel")).to_be_visible()
    await expect(progress.locator(".embed-title")).to_have_text(re.compile(r"Finished in \d+ s"), timeout=30_000)
    assert await progress.get_attribute("data-id") == message_id
    video = progress.locator("video")
    await expect(video).to_have_attribute("src", re.compile(r"/attachments/.+/a-cat-surfing\.mp4$"))
    assert await playing_time(video) > 0.5
    assert await video.evaluate("v => [v.videoWidth, v.videoHeight]") == [144, 256]  # portrait, decoded
    await expect(progress.get_by_role("button", name="Remix")).to_be_visible()
    await expect(progress.get_by_role("button", name="Re-roll")).to_be_visible()
    await expect(progress.locator(".embed-image")).to_be_visible()  # the preview, from attachment://


async def test_options_and_an_image_from_the_file_picker(client: Client) -> None:
    picture = render_png(Scene.for_prompt("start here", "landscape"))
    await client.slash(
        "video", prompt="a lighthouse at dusk", model="Sora 2 Pro", orientation="Landscape",
        duration="15 seconds", size="large", image=("start.png", picture),
    )
    starter = client.message(client.main, "a lighthouse at dusk")
    await expect(starter).to_contain_text("sora-2-pro · landscape · 15 s")
    await client.open_thread_of("a lighthouse at dusk")
    progress = client.progress()
    await expect(progress.locator(".embed-title")).to_have_text(re.compile("Finished"), timeout=30_000)
    await expect(progress.locator(".embed")).to_contain_text("Landscape")
    assert await playing_time(progress.locator("video")) > 0.5


async def test_a_required_option_left_empty_is_not_sent(client: Client) -> None:
    form = await client.start_command("video")
    await form.get_by_role("button", name="Send").click()
    await expect(form.get_by_role("alert")).to_have_text("prompt is required.")
    await expect(client.messages(client.main)).to_have_count(0)
