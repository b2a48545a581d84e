"""Real videos, end to end: the vendor's CDN serves real H.264/AAC files to the real bot, in a server that
allows 20 MiB uploads (Discord's default since September 2026). What is asserted is what a member sees and plays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.videoapi.simulator import Scenario, Simulator, simulated_image
from fakediscord import MessageView
from tests.e2e.conftest import Harness, job_of, start
from tests.local_server import serving
from tests.media.playback import play
from tests.media.samples import HUGE, LARGE, SMALL, Samples, samples

__all__ = ["samples"]  # the session's real videos, made once

MIB = 1024 * 1024
FINISHED = "✅ Finished in"


class VendorCDN:
    """The vendor's CDN with real files: every video link serves `video`, every preview link `preview`; None
    answers 404 (a vendor that gave no usable preview, or let the video go)."""

    def __init__(self) -> None:
        self.video: Path | None = None
        self.preview: Path | None = None
        self.hits: list[str] = []
        self.base = ""
        self.app = web.Application()
        self.app.router.add_get("/{tail:.*}", self._serve)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["tail"].rsplit("/", 1)[-1]
        self.hits.append(name)
        path = self.video if name.endswith(".mp4") else self.preview
        if path is None:
            return web.Response(status=404)
        return web.FileResponse(path, headers={"Content-Type": "video/mp4" if name.endswith(".mp4") else "image/png"})


@pytest.fixture
async def cdn(tmp_path: Path) -> AsyncIterator[VendorCDN]:
    server = VendorCDN()
    preview = tmp_path / "preview.png"
    preview.write_bytes(simulated_image("preview", 4096))
    server.preview = preview
    async with serving(server.app) as server.base:
        yield server


@pytest.fixture
async def simulator(cdn: VendorCDN) -> AsyncIterator[Simulator]:
    sim = Simulator(Scenario(step_delay=0.01), media_base_url=cdn.base)
    await sim.start()
    yield sim
    await sim.close()


def description(message: MessageView) -> str:
    return (message.embed or {}).get("description", "")


def labels(message: MessageView) -> list[str]:
    return [b["label"] for b in message.buttons()]


async def test_a_30_mb_video_arrives_inline_re_encoded_under_a_20_mib_limit(
    harness: Harness, cdn: VendorCDN, samples: Samples, tmp_path: Path
) -> None:
    cdn.video, cdn.preview = samples(LARGE), None  # ~30 MB, and no preview: the bot takes a frame
    original = play(cdn.video)
    assert cdn.video.stat().st_size > 3 * 10 * MIB
    async with harness.bot() as bot:
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=90)
        usage = await bot.store.quotas.usage_for_job((await job_of(bot, done)).id)

    videos = [a for a in done.attachments if a.filename.endswith(".mp4")]
    assert len(videos) == 1 and videos[0].size <= 20 * MIB
    uploaded = tmp_path / videos[0].filename
    uploaded.write_bytes(videos[0].data)
    seen = play(uploaded)
    assert (seen.video_codec, seen.audio_codec) == ("h264", "aac") and seen.faststart
    assert seen.frames == original.frames
    assert seen.duration == pytest.approx(original.duration, abs=0.1)
    assert seen.aspect == pytest.approx(original.aspect, rel=0.01)

    assert f"Re-encoded to fit this server's 20 MB limit; original: [link]({cdn.base}/" in description(done)
    assert any("Re-encoding it to fit this server's 20 MB upload limit" in (r.embeds[0].get("description") or "")
               for r in done.edits if r.embeds)  # said while it ran
    assert "poster.jpg" in [a.filename for a in done.attachments]
    assert done.embed["image"]["url"] == "attachment://poster.jpg"
    assert labels(done) == ["Remix", "Re-roll", "Open", "Refresh link", "Delete"]
    assert usage is not None and usage.refunded_at is None  # received, so charged


async def test_a_100_mib_video_is_linked_with_the_right_sentence(
    harness: Harness, cdn: VendorCDN, samples: Samples
) -> None:
    cdn.video = samples(HUGE)
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=30)
    assert not any(a.filename.endswith(".mp4") for a in done.attachments)
    assert ("The video is larger than this server's upload limit (20 MB), even re-encoded; open it from the link."
            in description(done))
    assert done.button("Open")["url"].startswith(cdn.base)
    assert labels(done) == ["Remix", "Re-roll", "Open", "Refresh link", "Delete"]
    assert done.embed["image"]["url"] == "attachment://preview.webp"  # the vendor's own preview, kept


async def test_a_video_without_a_preview_gets_a_frame_of_itself(
    harness: Harness, cdn: VendorCDN, samples: Samples
) -> None:
    cdn.video, cdn.preview = samples(SMALL), None
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=30)
    files = {a.filename: a for a in done.attachments}
    assert files["poster.jpg"].data[:2] == b"\xff\xd8"
    assert [name for name in files if name.endswith(".mp4")]
    assert done.embed["image"]["url"] == "attachment://poster.jpg"
    assert labels(done) == ["Remix", "Re-roll", "Open", "Delete"]  # attached as it came: no link to refresh


async def test_refresh_link_asks_the_vendor_again_and_says_so_when_it_no_longer_has_the_video(
    harness: Harness, cdn: VendorCDN
) -> None:
    fake, world = harness.fake, harness.world
    cdn.video = None  # the download fails: the video is linked
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=30)
        assert "Open the video from the link." in description(done)
        asked = len(harness.simulator.requests)

        click = await fake.click(world.other_member, done, "Refresh link")  # anyone may refresh a link
        await click.wait_response()
        await fake.wait_until(lambda: any(r.path.startswith("/source/") for r in harness.simulator.requests[asked:]),
                              message="the task's Raw Data page to be asked")  # where a chat-made task is found
        await fake.wait_until(lambda: len(fake.message(done.id).edits) > len(done.edits), message="the message edit")
        renewed = fake.message(done.id)
        # Shown again from the records: the same link and words (the title's "Finished in" may differ by a second).
        assert {**renewed.embed, "title": ""} == {**done.embed, "title": ""}
        assert renewed.button("Open")["url"] == done.button("Open")["url"]
        assert labels(renewed) == ["Remix", "Re-roll", "Open", "Refresh link", "Delete"]

        harness.simulator.tasks.clear()  # the vendor let the video go
        click = await fake.click(world.member, renewed, "Refresh link")
        await click.wait_response()
        await fake.wait_until(lambda: "no longer has this video" in description(fake.message(done.id)),
                              message="the message to say the video is gone")
    gone = fake.message(done.id)
    assert description(gone).endswith("The video service no longer has this video, so there is no link to open.")
    assert labels(gone) == ["Remix", "Re-roll", "Delete"]


async def test_delete_works_for_the_requester_after_a_restart_and_for_nobody_else(
    harness: Harness, cdn: VendorCDN, samples: Samples
) -> None:
    fake, world = harness.fake, harness.world
    cdn.video = samples(SMALL)
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=30)
        assert [a.filename.endswith(".mp4") for a in done.attachments] == [True, False]
        stranger = await fake.click(world.other_member, done, "Delete")
        refusal = await stranger.wait_response()
        assert refusal.ephemeral
        assert refusal.message.content == "Only the person who asked for this video or a moderator can delete it."
    assert len(fake.message(done.id).attachments) == 2

    async with harness.bot() as bot:  # the buttons are matched by their IDs: a restart changes nothing
        click = await fake.click(world.member, done, "Delete")
        await click.wait_response()
        deleted = fake.message(done.id)
        entries = await bot.store.audit.recent(world.guild.id)
    assert deleted.attachments == [] and deleted.buttons() == []
    assert deleted.embed["title"] == "🗑️ Video deleted"
    assert f"Deleted by <@{world.member.id}>; it can no longer be remixed." in description(deleted)
    assert [(e.action, e.actor_id) for e in entries] == [("video.delete", world.member.id)]


async def test_a_moderator_may_delete_anyones_video(harness: Harness, cdn: VendorCDN, samples: Samples) -> None:
    fake, world = harness.fake, harness.world
    cdn.video = samples(SMALL)
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=30)
        click = await fake.click(world.moderator, done, "Delete")
        await click.wait_response()
    deleted = fake.message(done.id)
    assert deleted.attachments == [] and f"Deleted by <@{world.moderator.id}>" in description(deleted)
