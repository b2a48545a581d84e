"""What people type is shown, never run: markup stays text and mentions are labels. And only the
playground's own page may act through its API."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from playground.stack import Playground
from tests.playground.driver import Client

HOSTILE = (
    '<img src=x onerror="document.title=\'pwned\'"> <script>document.title="pwned"</script> '
    "**bold** [click](javascript:alert(1)) @everyone"
)


async def test_markup_in_messages_and_prompts_is_shown_as_text(client: Client) -> None:
    await client.open_channel("general")
    box = client.box(client.main)
    await box.fill(HOSTILE + " @Sam")
    await box.press("Enter")
    said = client.message(client.main, "bold")
    await expect(said.locator(".content")).to_contain_text('<img src=x onerror="document.title=\'pwned\'">')
    await expect(said.locator(".content strong")).to_have_text("bold")
    await expect(said.locator(".content .mention")).to_have_text(["@everyone", "@Sam"])
    assert await said.locator(".content img, .content script, .content a").count() == 0
    await client.open_channel("video-lab")
    await client.slash("video", prompt="<b>a cat</b> for <@1> and @everyone")
    starter = client.message(client.main, "a cat")
    await expect(starter.locator(".content")).to_contain_text("<b>a cat</b> for @unknown-user and @everyone")
    assert await starter.locator(".content b").count() == 0
    assert await client.page.title() == "videobot playground"


async def test_only_the_page_itself_may_act(playground: Playground) -> None:
    page = playground.url.rstrip("/")
    maya = playground.world.member if playground.world else None
    assert maya is not None
    body = {"as": str(maya.id), "channel_id": str(playground.world.video_lab.id), "command": "usage"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{page}/api/slash", json=body, headers={"Origin": "http://evil.example"}) as r:
            assert r.status == 403
        async with session.get(f"{page}/", headers={"Host": "evil.example"}) as r:
            assert r.status == 421  # DNS rebinding: another name pointing at 127.0.0.1
        async with session.get(f"{page}/api/feed?as={maya.id}", headers={
            "Origin": "http://evil.example", "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }) as r:
            assert r.status == 403
        async with session.post(f"{page}/api/slash", json=body, headers={"Origin": page}) as r:
            assert r.status == 200 and (await r.json())["interaction_id"]
        hidden = {**body, "command": "quota set", "options": {"units": 1}}
        async with session.post(f"{page}/api/slash", json=hidden, headers={"Origin": page}) as r:
            assert r.status == 400 and "hidden from maya" in (await r.json())["message"]
        stranger = {**body, "as": str(playground.world.owner.id)}
        async with session.post(f"{page}/api/slash", json=stranger, headers={"Origin": page}) as r:
            assert r.status == 400  # only the playground's two people can be played
