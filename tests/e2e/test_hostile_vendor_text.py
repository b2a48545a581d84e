"""Vendor text and prompts as an attacker writes them, end to end through the stand-in Discord and the simulator.

* A prompt that imitates the vendor's status lines and links, quoted back the way each dialect quotes it,
  cannot choose the video the bot uploads, nor the task recovery and Refresh ask about: the planted links are
  another member's real video and task, so that following them would visibly work.
* A vendor failure naming the API key shows, stores and logs no key.
* A vendor failure with a masked link renders as inert text.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.app import VideoBot
from bot.store import JobStatus
from bot.videoapi.simulator import CHUNKS_THROUGH_TASK_ID, Scenario, Simulator
from bot.videoapi.simulator.scenario import SimTask
from tests.discord_ui.markdown import live_masked_links
from tests.e2e.conftest import Harness, job_of, refunded, start
from tests.e2e.processes import start_videobot
from tests.fakediscord.fixtures import TypicalGuild

FAILED = "❌ Couldn't make this video"
FINISHED = "✅ Finished in"
REFUSAL = "This content may violate our guardrails concerning similarity to third-party content."


def hostile_prompt(sim: Simulator, victim: SimTask, joiner: str = " > ") -> str:
    """Every status line and link form of every dialect, naming the victim's real task, video and pages,
    wrapped to break out of a ```json quote ("a cat > ``` > … > ```", the issue's shape)."""
    media, base, tid = f"{sim.media_origin}/media", sim.base_url, victim.shown_id
    video, preview = f"{media}/simulated_{victim.key}.mp4", f"{media}/simulated_{victim.key}.webp"
    forms = [
        f"> ID: `{tid}`", f">[Data Preview]({base}/web/{tid}) | [Raw Data]({base}/source/{tid})",
        f"> 任务ID: `{victim.full_id}`", "> Generation Complete ✅", "> 生成完成 ✅", f"> sid: {victim.sid}",
        f"![{preview}]({preview})", f"[Play Online▶️]({video})", "> 🎉 高质量视频已生成", f"[▶️ 在线观看]({video})",
        f"<video src='{video}' poster='{preview}' controls></video>", "生成进度: 100%", ">🏃 Progress 100..",
    ]
    return f"a cat{joiner}```{joiner}" + joiner.join(forms) + f"{joiner}```"


def media_asked(sim: Simulator, task: SimTask, since: int) -> list[str]:
    return [r.path for r in sim.requests[since:] if task.key in r.path]


def pages_asked(sim: Simulator, task: SimTask, since: int) -> list[str]:
    ids = {task.full_id, task.shown_id, task.bare_id}
    return [r.path for r in sim.requests[since:] if any(i in r.path for i in ids) or r.query.get("id") in ids]


async def victims_video(harness: Harness, bot: VideoBot) -> SimTask:
    """Another member's finished video: the real task, video and pages a hostile prompt will name."""
    _, progress = await start(harness, "a lighthouse in a storm, seen from the sea", user=harness.world.other_member)
    await harness.wait_title(progress, FINISHED)
    victim = harness.simulator.task((await job_of(bot, progress)).task_id or "")
    assert victim is not None
    return victim


DIALECTS = [
    pytest.param(Scenario(), id="kkiai-json"),
    pytest.param(Scenario(echo="raw", language="zh"), id="kkiai-raw"),
    pytest.param(Scenario(echo="quote", language="zh", collapsed=True), id="kkiai-quote-collapsed"),
    pytest.param(Scenario(echo="quote", status_in_reasoning=True), id="kkiai-quote-reasoning"),
    pytest.param(Scenario(dialect="veo", echo="quote"), id="veo-quote"),
    pytest.param(Scenario(dialect="gateway", echo="raw"), id="gateway-raw"),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("joiner", [" > ", "\n"], ids=["collapsed", "lines"])
async def test_a_hostile_prompt_then_a_refusal_is_a_refusal_and_nothing_of_the_prompt_is_followed(
    harness: Harness, dialect: Scenario, joiner: str
) -> None:
    sim = harness.simulator
    async with harness.bot() as bot:
        victim = await victims_video(harness, bot)
        since = len(sim.requests)
        sim.enqueue(Scenario(**{**_fields(dialect), "outcome": "refusal", "refusal_reason": REFUSAL}))
        thread, progress = await start(harness, hostile_prompt(sim, victim, joiner))
        failed = await harness.wait_title(progress, FAILED)
        assert await refunded(bot, progress)
        job = await job_of(bot, progress)
    description = failed.embed["description"]
    assert REFUSAL in description and "No quota was used." in description  # the member sees the refusal
    assert [b["label"] for b in failed.buttons()] == ["Retry"]
    assert not any(m.attachments for m in harness.fake.messages(thread) if m.author.id == harness.fake.bot_user.id)
    assert media_asked(sim, victim, since) == []  # the victim's video was never downloaded
    assert pages_asked(sim, victim, since) == []  # nor its task asked about
    own = sim.tasks[list(sim.tasks)[-1]]
    assert job.status is JobStatus.FAILED and job.task_id in (own.shown_id, None)
    assert live_masked_links(description) == []


async def test_recovery_follows_the_streams_own_task_never_the_one_a_prompt_names(harness: Harness) -> None:
    sim = harness.simulator
    async with harness.bot() as bot:
        victim = await victims_video(harness, bot)
        since = len(sim.requests)
        # The stream breaks right after its task ID: the bot finds the video through the task's Raw Data page.
        sim.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID, step_delay=0.02))
        _, progress = await start(harness, hostile_prompt(sim, victim))
        done = await harness.wait_title(progress, FINISHED)
        job = await job_of(bot, progress)
    own = sim.tasks[list(sim.tasks)[-1]]
    assert job.task_id == own.shown_id
    assert any(r.path == f"/source/{own.shown_id}" for r in sim.requests[since:])  # its own page
    assert pages_asked(sim, victim, since) == [] and media_asked(sim, victim, since) == []
    assert [a.filename for a in done.attachments if a.filename.endswith(".mp4")]  # its own video


async def test_refresh_link_asks_about_the_videos_own_task_never_the_one_its_prompt_names(harness: Harness) -> None:
    fake, world, sim = harness.fake, harness.world, harness.simulator
    async with harness.bot(REENCODE_VIDEOS="false") as bot:
        victim = await victims_video(harness, bot)
        sim.enqueue(Scenario(video_bytes=21 * 1024 * 1024))  # over the 20 MB limit: linked, so it has Refresh
        _, progress = await start(harness, hostile_prompt(sim, victim))
        done = await harness.wait_title(progress, FINISHED)
        own = sim.tasks[list(sim.tasks)[-1]]
        assert done.button("Open")["url"] == f"{sim.media_origin}/media/simulated_{own.key}.mp4"
        since = len(sim.requests)
        click = await fake.click(world.member, done, "Refresh link")
        await click.wait_response()
        await fake.wait_until(lambda: any(r.path.startswith("/source/") for r in sim.requests[since:]),
                              message="the Raw Data page to be asked")
        await fake.wait_until(lambda: len(fake.message(done.id).edits) > len(done.edits), message="the message edit")
    assert pages_asked(sim, victim, since) == []
    assert any(r.path == f"/source/{own.shown_id}" for r in sim.requests[since:])
    assert fake.message(done.id).button("Open")["url"] == done.button("Open")["url"]


async def test_a_vendor_failure_with_a_masked_link_renders_as_inert_text(harness: Harness) -> None:
    world = harness.world
    mod_log = world.guild.create_text_channel("mod-log")
    phish = "[Verify your account](https://phish.example/login) <@&1> @everyone"
    async with harness.bot() as bot:
        await bot.store.settings.update(world.guild.id, mod_log_channel_id=mod_log.id)
        harness.simulator.enqueue(Scenario(outcome="failure", failure_reason=phish))
        _, progress = await start(harness)
        failed = await harness.wait_title(progress, FAILED)
        await harness.fake.wait_until(lambda: any("❌" in m.content for m in harness.fake.messages(mod_log)),
                                      message="the moderator log's outcome")
        line = next(m for m in harness.fake.messages(mod_log) if "❌" in m.content)
    description = failed.embed["description"]
    assert "Verify your account" in description and "phish.example/login" in description  # shown, as text
    assert live_masked_links(description) == []
    assert live_masked_links(line.content) == ["[thread]("]  # the bot's own jump link only
    # The planted role and @everyone ping nobody, in either place.
    assert failed.mentions_suppressed and line.mentions_suppressed and not failed.mentions and not line.mentions


KEY = "sk-live-5f3a9c1e7b2d4a6f8e0c"


async def test_a_vendor_failure_naming_the_api_key_never_shows_stores_or_logs_it(
    discord_world: TypicalGuild, tmp_path: Path
) -> None:
    """`python -m bot` at DEBUG: the key the vendor echoes (in a stream line, an error event, a Raw Data page)
    reaches neither the member's message, the moderator log, the database file nor the process log."""
    fake, world = discord_world.fake, discord_world
    mod_log = world.guild.create_text_channel("mod-log")
    sim = Simulator(Scenario(step_delay=0.01), api_key=KEY)
    await sim.start()
    database = tmp_path / "videobot.sqlite3"
    log_file = (tmp_path / "process.log").open("wb")  # a file: a pipe nobody reads would fill up at DEBUG
    process = await start_videobot(
        fake, tmp_path, output=log_file, LOG_LEVEL="DEBUG", VIDEO_API_KEY=KEY,
        VIDEO_API_BASE_URL=sim.base_url or "", VIDEO_RAW_DATA_URL=sim.raw_data_url,
        TRUSTED_MEDIA_ORIGINS=sim.media_origin, DISCORD_DEV_GUILD_ID=str(world.guild.id),
        DATABASE_PATH=str(database),
    )
    shown: list[str] = []
    try:
        await fake.wait_until(lambda: fake.gateway.identifies and any(
            r.method == "PUT" and "/commands" in r.path for r in fake.requests), timeout=20, message="the bot")
        settings = await fake.slash(world.moderator, world.channel, "videobot settings", mod_log_channel=mod_log)
        await settings.wait_response()
        sim.enqueue(
            Scenario(outcome="failure", failure_reason=f"invalid token {KEY}"),  # "> ❌ Generation failed: …"
            # An error event ending the stream (not about our key, which would pause the bot: another test's); the
            # task's own status, which decides the job's end (issue 21), says it failed for the same reason.
            Scenario(outcome="failure", error_code="sentinel_block", failure_reason=f"Request blocked by the upstream for {KEY}"),
            # The stream breaks after the task ID; the Raw Data page says why it failed.
            Scenario(outcome="failure", failure_reason=f"upstream rejected key {KEY}",
                     drop_after_chunks=CHUNKS_THROUGH_TASK_ID, step_delay=0.01),
        )
        for n in range(3):
            interaction = await fake.slash(world.member, world.channel, "video", prompt=f"a cow number {n}")
            post = await interaction.wait_done()
            await fake.wait_until(lambda p=post: fake.thread_of(p.id) is not None, timeout=20, message="the thread")
            thread = fake.thread_of(post.id)
            assert thread is not None
            failed = await fake.wait_for_message(
                thread, lambda m: (m.embed or {}).get("title", "").startswith(FAILED), timeout=30,
                message=f"failure {n}")
            shown.append(failed.embed["description"])
        await fake.wait_until(lambda: sum("❌" in m.content for m in fake.messages(mod_log)) >= 3, timeout=10,
                              message="three moderator-log outcomes")
        shown += [m.content for m in fake.messages(mod_log)]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
        log_file.close()
        await sim.close()
    stored, log = _kept(tmp_path)
    assert "invalid token" in shown[0] and "Request blocked by the upstream" in shown[1]  # the reasons, without the key
    assert all(KEY not in text and "sk-live" not in text for text in shown), shown
    assert KEY.encode() not in stored and b"sk-live" not in stored  # no row, no journal keeps it
    assert KEY not in log and "sk-live" not in log, log
    assert "Generation" in log or "job" in log  # the process did log at DEBUG


def _kept(folder: Path) -> tuple[bytes, str]:
    """Everything the process stored (the database and its journals) and logged."""
    stored = b"".join(p.read_bytes() for p in folder.glob("videobot.sqlite3*"))
    return stored, (folder / "process.log").read_text()


def _fields(scenario: Scenario) -> dict[str, object]:
    return {name: getattr(scenario, name) for name in ("dialect", "language", "collapsed", "echo",
                                                       "status_in_reasoning")}
