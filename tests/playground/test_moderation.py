"""Members and moderators on the page: who sees which commands and channels, private answers, and a
moderator's /quota set and /videobot settings taking effect for a member."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.playground.driver import Client


async def offered_commands(client: Client) -> list[str]:
    box = client.box(client.main)
    await box.fill("/")
    menu = client.main.get_by_role("listbox", name="Commands")
    await expect(menu.get_by_role("option").first).to_be_visible()
    names = await menu.get_by_role("option").evaluate_all("items => items.map(i => i.getAttribute('aria-label'))")
    await box.fill("")
    return names


async def test_moderator_commands_and_channels_show_only_for_moderators(client: Client) -> None:
    assert await offered_commands(client) == ["/usage", "/video"]
    await expect(client.page.locator("#channels")).not_to_contain_text("mod-log")
    await client.play_as("Mo")
    assert await offered_commands(client) == [
        "/quota clear", "/quota cost", "/quota reset", "/quota set", "/quota show", "/quota top", "/usage",
        "/video", "/videobot key clear", "/videobot key set", "/videobot settings", "/videobot status",
    ]
    await expect(client.page.locator("#channels")).to_contain_text("mod-log")


async def test_usage_answers_privately(client: Client) -> None:
    await client.slash("usage")
    answer = client.message(client.main, "Your videos in Videobot Playground")
    await expect(answer).to_contain_text("0 of 10 used")
    await expect(answer).to_contain_text("Only you can see this")
    await expect(answer).to_contain_text("Maya used /usage")
    await client.play_as("Mo")
    await expect(client.main.locator(".empty")).to_have_text("This is the start of #video-lab.")
    await expect(client.messages(client.main)).to_have_count(0)  # Maya's private answer is not Mo's to see
    await client.play_as("Maya")
    await expect(client.message(client.main, "Your videos in")).to_be_visible()  # still hers
    await client.message(client.main, "Your videos in").get_by_role("button", name="Dismiss message").click()
    await expect(client.messages(client.main)).to_have_count(0)


async def test_a_quota_set_by_a_moderator_is_enforced(client: Client) -> None:
    await client.play_as("Mo")
    await client.slash("quota set", units=1, period="Day", who="@Maya")
    await expect(client.message(client.main, "@Maya:")).to_contain_text(re.compile(r"@Maya: .+ → 1 a day"))
    await client.slash("quota show", member="@Maya")
    await expect(client.message(client.main, "Effective limit")).to_contain_text("1 a day")
    await client.play_as("Maya")
    await client.slash("video", prompt="my one video today")
    await expect(client.message(client.main, "my one video today")).to_contain_text("Maya used /video")
    await client.slash("video", prompt="one too many")
    refusal = client.message(client.main, "You've used 1 of 1 videos today")
    await expect(refusal).to_contain_text("Only you can see this")
    await expect(client.message(client.main, "one too many")).to_have_count(0)  # no post, no thread


async def test_settings_restrict_channels_and_turn_on_the_moderator_log(client: Client) -> None:
    await client.play_as("Mo")
    await client.slash("videobot settings")
    await expect(client.message(client.main, "VideoBot settings in this server")).to_be_visible()
    await client.slash("videobot settings", allow_channel="#video-lab", mod_log_channel="#mod-log")
    await expect(client.message(client.main, "Changed")).to_contain_text("#video-lab")
    await client.open_channel("mod-log")
    await expect(client.message(client.main, "changed")).to_contain_text("⚙️ @Mo changed")
    await client.play_as("Maya")
    await client.open_channel("general")
    await client.slash("video", prompt="a cow in the wrong channel")
    await expect(client.message(client.main, "Videos can't be made in this channel")).to_contain_text("#video-lab")


async def test_the_other_quota_commands_answer_the_moderator(client: Client) -> None:
    await client.play_as("Mo")
    await client.slash("quota set", units=3, period="Week", who="@Supporter")
    await expect(client.message(client.main, "@Supporter:")).to_contain_text("3 a week")
    await client.slash("quota show")
    await expect(client.message(client.main, "Limits in this server")).to_contain_text("@Supporter: 3 a week")
    await client.slash("quota cost", model="Sora 2 Pro", units=2)
    await expect(client.message(client.main, "Cost of sora-2-pro")).to_contain_text("1 unit → 2 units")
    await client.slash("quota top")
    await expect(client.message(client.main, "Top members")).to_contain_text("Nobody has made a video")
    await client.slash("quota reset", member="@Sam")
    await expect(client.message(client.main, "there is nothing to reset")).to_be_visible()
    await client.slash("quota clear", who="@Supporter")
    await expect(client.message(client.main, re.compile("@Supporter: 3 a week →"))).to_be_visible()


async def test_a_moderator_sees_the_bots_status(client: Client) -> None:
    await client.play_as("Mo")
    await client.slash("videobot status")
    answer = client.message(client.main, "shard 0 of 1")
    await expect(answer).to_contain_text(re.compile(r"videobot \S+ · shard 0 of 1 · up"))
    await expect(answer).to_contain_text("Video service, last hour:")
    await expect(answer).to_contain_text("Upload limit here:")
    await expect(answer).to_contain_text("Only you can see this")
