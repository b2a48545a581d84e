"""What can go wrong, on the page: Cancel while it runs, and the simulator's refused, failed and dropped
generations ("refuse", "fail" or "drop" in the prompt), with Retry after a failure."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.playground.driver import Client


async def test_cancel_stops_the_video_and_costs_nothing(client: Client) -> None:
    await client.slash("video", prompt="a very long documentary")
    await client.open_thread_of("a very long documentary")
    progress = client.progress()
    await progress.get_by_role("button", name="Cancel").click()
    await expect(progress.locator(".embed-title")).to_have_text("⏹️ Cancelled by @Maya")
    await expect(progress.locator(".embed-description")).to_contain_text("No quota was used.")
    await expect(progress.get_by_role("button", name="Retry")).to_be_visible()


async def test_a_moderator_can_cancel_a_member_s_video(client: Client) -> None:
    await client.slash("video", prompt="an endless staircase")
    await client.open_thread_of("an endless staircase")
    await client.play_as("Mo")
    await client.loaded(client.thread)
    progress = client.progress()
    await progress.get_by_role("button", name="Cancel").click()
    await expect(progress.locator(".embed-title")).to_have_text("⏹️ Cancelled by @Mo")


async def test_a_refused_prompt_says_why_and_retry_tries_again(client: Client) -> None:
    await client.slash("video", prompt="please refuse this one")
    await client.open_thread_of("please refuse this one")
    progress = client.progress()
    await expect(progress.locator(".embed-title")).to_have_text("❌ Couldn't make this video")
    await expect(progress.locator(".embed-description")).to_contain_text("No quota was used.")
    await progress.get_by_role("button", name="Retry").click()
    await expect(client.message(client.thread, "Retry by").first).to_contain_text("🔁 Retry by @Maya")
    await expect(client.progress(1).locator(".embed-title")).to_have_text("❌ Couldn't make this video")


async def test_a_failed_generation_is_reported(client: Client) -> None:
    await client.slash("video", prompt="this will fail")
    await client.open_thread_of("this will fail")
    progress = client.progress()
    await expect(progress.locator(".embed-title")).to_have_text("❌ Couldn't make this video")
    await expect(progress.locator(".embed-description")).to_contain_text("could not be rendered")


async def test_a_dropped_stream_still_ends_with_the_video(client: Client) -> None:
    await client.slash("video", prompt="drop the connection halfway")
    await client.open_thread_of("drop the connection halfway")
    progress = client.progress()
    await expect(progress.locator(".embed-title")).to_have_text(re.compile(r"Finished in \d+ s"), timeout=40_000)
    await expect(progress.locator("video")).to_have_attribute("src", re.compile(r"\.mp4$"))
