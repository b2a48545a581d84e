"""Driving the playground page the way a person does: the sidebar, the composer and its slash-command
form, buttons, the Remix form, replies, and the member/moderator switch."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Locator, Page, expect

from playground.stack import Playground


class Client:
    """One browser tab on the playground."""

    def __init__(self, page: Page, playground: Playground) -> None:
        self.page = page
        self.playground = playground
        self.main = page.locator("#main-pane")
        self.thread = page.locator("#thread-pane")

    async def open(self) -> None:
        await self.page.goto(self.playground.url)
        await expect(self.main.get_by_role("heading")).to_have_text(re.compile("video-lab"))
        await expect(self.page.get_by_role("button", name="Maya · member")).to_have_attribute("aria-pressed", "true")
        await self.loaded(self.main)

    async def play_as(self, name: str) -> None:
        """Switch person with the switch at the bottom left."""
        await self.page.get_by_role("button", name=re.compile(rf"^{name} · ")).click()
        await expect(self.page.locator("#you")).to_contain_text(name)
        await expect(self.page.get_by_role("button", name=re.compile(rf"^{name} · "))).to_have_attribute(
            "aria-pressed", "true"
        )
        await self.loaded(self.main)

    async def loaded(self, pane: Locator) -> None:
        """Wait until the pane shows the channel's history as this person sees it (not "Loading…")."""
        await expect(pane.locator(".loading")).to_have_count(0)

    async def open_channel(self, name: str) -> None:
        await self.page.locator("#channels").get_by_role("button", name=name, exact=False).first.click()
        await expect(self.main.get_by_role("heading")).to_have_text(re.compile(re.escape(name)))
        await self.loaded(self.main)

    def box(self, pane: Locator) -> Locator:
        return pane.get_by_role("textbox", name=re.compile("^Message"))

    async def slash(self, command: str, pane: Locator | None = None, **options: Any) -> None:
        """Type "/", pick ``command`` from the bot's commands, fill its options, send. Values: text or numbers
        for inputs, the visible label for lists (choices, members, roles, channels), (name, bytes) for files."""
        await self.start_command(command, pane)
        await self.fill_and_send(command, pane, **options)

    async def start_command(self, command: str, pane: Locator | None = None) -> Locator:
        pane = pane or self.main
        box = self.box(pane)
        await box.fill("/" + command.split(maxsplit=1)[0][:3])
        menu = pane.get_by_role("listbox", name="Commands")
        await menu.get_by_role("option", name=f"/{command}", exact=True).click()
        form = pane.get_by_role("form", name=f"/{command}")
        await expect(form).to_be_visible()
        return form

    async def fill_and_send(self, command: str, pane: Locator | None = None, **options: Any) -> None:
        form = (pane or self.main).get_by_role("form", name=f"/{command}")
        for name, value in options.items():
            control = form.get_by_label(re.compile(rf"^{name}( \*)?$"))
            tag = await control.evaluate("node => node.tagName + ':' + (node.type || '')")
            if tag.startswith("SELECT"):
                await control.select_option(label=str(value))
            elif tag == "INPUT:file":
                filename, data = value
                await control.set_input_files({"name": filename, "mimeType": "image/png", "buffer": data})
            else:
                await control.fill(str(value))
        await form.get_by_role("button", name="Send").click()

    def messages(self, pane: Locator) -> Locator:
        return pane.get_by_role("article")

    def message(self, pane: Locator, text: str | re.Pattern[str]) -> Locator:
        return pane.get_by_role("article").filter(has_text=text)

    async def open_thread_of(self, text: str | re.Pattern[str]) -> None:
        """Open, beside the channel, the thread under the bot's post containing ``text``."""
        await self.message(self.main, text).get_by_role("button", name=re.compile("Open thread")).last.click()
        await expect(self.thread).to_be_visible()
        await self.loaded(self.thread)

    def progress(self, index: int = 0) -> Locator:
        """The bot's index-th message with an embed in the open thread."""
        return self.thread.get_by_role("article").filter(has=self.page.locator(".embed")).nth(index)

    async def reply(self, message: Locator, text: str, *, ping: bool = True) -> None:
        await message.hover()
        await message.get_by_role("button", name=re.compile("Reply")).click()
        pane = self.thread
        if not ping:
            await pane.get_by_role("button", name="@ ON").click()
        box = self.box(pane)
        await box.fill(text)
        await box.press("Enter")
