"""The message box reads slash commands as Discord's client does: "/video " selects /video and the words after
it fill its prompt, Enter with the picker open picks the highlighted command, and only a "/" text naming no
command goes out as a plain message."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.playground.driver import Client


async def test_typing_a_video_command_and_enter_makes_the_video(client: Client) -> None:
    # Exactly what the page's hint suggests, typed key by key as a new member would.
    await client.box(client.main).click()
    await client.page.keyboard.type("/video a cat surfing a wave at sunset")
    form = client.main.get_by_role("form", name="/video")
    await expect(form.get_by_label(re.compile(r"^prompt( \*)?$"))).to_have_value("a cat surfing a wave at sunset")
    await client.page.keyboard.press("Enter")
    starter = client.message(client.main, "a cat surfing a wave at sunset")
    await expect(starter).to_contain_text("Maya used /video")
    await expect(form).to_have_count(0)
    await client.open_thread_of("a cat surfing a wave at sunset")
    progress = client.progress()
    await expect(progress.locator(".embed-title")).to_have_text(re.compile(r"Generating|Finished"))
    await expect(progress.locator(".embed-title")).to_have_text(re.compile(r"Finished in \d+ s"), timeout=30_000)
    await expect(progress.locator("video")).to_be_visible()
    # Nothing went out as Maya's own plain message.
    await expect(client.message(client.main, "/video a cat")).to_have_count(0)


async def test_pasted_command_and_enter_is_sent_as_the_command(client: Client) -> None:
    box = client.box(client.main)
    await box.fill("/video a lighthouse at dusk")  # pasted in one go
    await client.page.keyboard.press("Enter")
    await expect(client.message(client.main, "a lighthouse at dusk")).to_contain_text("Maya used /video")


async def test_enter_with_the_picker_open_picks_the_highlighted_command(client: Client) -> None:
    box = client.box(client.main)
    await box.click()
    await client.page.keyboard.type("/vid")
    menu = client.main.get_by_role("listbox", name="Commands")
    await expect(menu.get_by_role("option", name="/video", exact=True)).to_have_attribute("aria-selected", "true")
    await client.page.keyboard.press("Enter")
    form = client.main.get_by_role("form", name="/video")
    prompt = form.get_by_label(re.compile(r"^prompt( \*)?$"))
    await expect(prompt).to_be_focused()
    await expect(client.messages(client.main)).to_have_count(0)  # picking sent nothing
    await client.page.keyboard.type("a fox in the snow")
    await client.page.keyboard.press("Enter")
    await expect(client.message(client.main, "a fox in the snow")).to_contain_text("Maya used /video")


async def test_arrow_down_then_enter_picks_the_next_command(client: Client) -> None:
    await client.box(client.main).click()
    await client.page.keyboard.type("/v")
    menu = client.main.get_by_role("listbox", name="Commands")
    await expect(menu.get_by_role("option", name="/videos", exact=True)).to_be_visible()
    await client.page.keyboard.press("ArrowDown")
    await client.page.keyboard.press("Enter")
    await expect(client.main.get_by_role("form", name="/videos")).to_be_visible()


async def test_a_subcommand_path_and_a_space_selects_the_subcommand(client: Client) -> None:
    await client.play_as("Mo")
    await client.box(client.main).click()
    await client.page.keyboard.type("/videobot status ")
    await expect(client.main.get_by_role("form", name="/videobot status")).to_be_visible()
    await client.page.keyboard.press("Enter")
    answer = client.message(client.main, "shard 0 of 1")
    await expect(answer).to_contain_text("Mo used /videobot")


async def test_a_slash_text_naming_no_command_goes_as_a_plain_message(client: Client) -> None:
    box = client.box(client.main)
    await box.click()
    await client.page.keyboard.type("/shrug not a command")
    await client.page.keyboard.press("Enter")
    message = client.message(client.main, "/shrug not a command")
    await expect(message).to_be_visible()
    await expect(message).not_to_contain_text("used /")
    await expect(box).to_have_value("")
