"""Remixing on the page: by replying to a finished video, by the Remix button and its form, and Re-roll."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.playground.driver import Client

FINISHED = re.compile(r"Finished in \d+ s")


async def finished_video(client: Client, prompt: str) -> None:
    await client.slash("video", prompt=prompt)
    await client.open_thread_of(prompt)
    await expect(client.progress(0).locator(".embed-title")).to_have_text(FINISHED)


async def test_a_reply_to_the_video_remixes_it(client: Client) -> None:
    await finished_video(client, "a cat surfing")
    await client.reply(client.progress(0), "now at night, in the rain")
    reply = client.message(client.thread, "now at night, in the rain").first  # the remix quotes it too
    await expect(reply.locator(".reply-context")).to_contain_text("@VideoBot")
    remix = client.progress(1)
    await expect(remix.locator(".embed-description")).to_contain_text("Remixing video 1 of this thread")
    await expect(remix.locator(".embed-title")).to_have_text(FINISHED)
    await expect(remix.locator("video")).to_have_attribute("src", re.compile(r"\.mp4$"))


async def test_the_remix_button_opens_the_form_and_starts_a_remix(client: Client) -> None:
    await finished_video(client, "a paper boat")
    await client.progress(0).get_by_role("button", name="Remix").click()
    form = client.page.get_by_role("dialog")
    await expect(form.get_by_role("heading")).to_have_text("Remix this video")
    await form.get_by_label(re.compile("What should change")).fill("make it a steamboat")
    await form.get_by_role("button", name="Submit").click()
    await expect(form).to_be_hidden()
    request = client.message(client.thread, "make it a steamboat").first  # the progress message quotes it too
    await expect(request).to_contain_text("✏️ @Maya: make it a steamboat")
    remix = client.progress(1)
    await expect(remix.locator(".embed-description")).to_contain_text("Remixing video 1 of this thread")
    await expect(remix.locator(".embed-title")).to_have_text(FINISHED)


async def test_re_roll_makes_the_same_request_again(client: Client) -> None:
    await finished_video(client, "a red balloon")
    await client.progress(0).get_by_role("button", name="Re-roll").click()
    await expect(client.message(client.thread, "Re-roll by").first).to_contain_text("🎲 Re-roll by @Maya")
    again = client.progress(1)
    await expect(again.locator(".embed-description")).to_contain_text("a red balloon")
    await expect(again.locator(".embed-title")).to_have_text(FINISHED)


async def test_video_inside_the_thread_and_a_mention_of_the_bot_remix_too(client: Client) -> None:
    await finished_video(client, "a snowman")
    await client.slash("video", client.thread, prompt="now melting in the sun")
    first = client.progress(1)
    await expect(first.locator(".embed-description")).to_contain_text("Remixing video 1 of this thread")
    await expect(first.locator(".embed-title")).to_have_text(FINISHED)
    box = client.box(client.thread)
    await box.fill("@VideoBot and then a puddle")
    await box.press("Enter")
    await expect(client.message(client.thread, "and then a puddle").first.locator(".mention")).to_have_text(
        "@VideoBot"
    )
    second = client.progress(2)
    await expect(second.locator(".embed-description")).to_contain_text("Remixing video 2 of this thread")
    await expect(second.locator(".embed-title")).to_have_text(FINISHED)
