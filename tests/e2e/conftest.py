"""End-to-end harness: the real VideoBot, configured like production, against the fake Discord and the
video API simulator, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import Tuning, VideoBot
from bot.core.config import load_settings
from bot.store import Job
from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import BucketLimit, Channel, FakeDiscord, MessageView, RateLimits, User
from tests.fakediscord.fixtures import TypicalGuild, running_bot

FAST = Tuning(poll_interval=0.02, edit_interval=0.05, edit_rate=40.0, api_backoff=0.01, line_retry=0.05,
              refresh_per_video=0.0, refresh_per_member=0.0)  # test_forged_interactions.py paces Refresh link


# Tests edit every 50 ms to stay fast; Discord's 5-per-5-s channel buckets would make each video wait
# seconds for its final edit. The global 50/s bucket stays real, and the load test restores every limit.
ROOMY = RateLimits(message_edit=BucketLimit(100, 1.0), message_create=BucketLimit(50, 1.0))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cdn(path_padding=0): how the test's media CDN pads its links")


@pytest.fixture
def fake_discord_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("fake_discord")
    return {"rate_limits": ROOMY, **(marker.kwargs if marker else {})}


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    sim = Simulator(Scenario(step_delay=0.01))
    await sim.start()
    yield sim
    await sim.close()


@dataclass
class Harness:
    """Everything a test drives: the people and places, the simulator, and bots it starts."""

    world: TypicalGuild
    simulator: Simulator
    database: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def fake(self) -> FakeDiscord:
        return self.world.fake

    def settings(self, **overrides: str):
        assert self.simulator.base_url
        env = {
            "DISCORD_TOKEN": self.fake.bot_token,
            "VIDEO_API_KEY": "sk-test-0123456789",
            "DATABASE_PATH": str(self.database),
            "DISCORD_API_BASE_URL": self.fake.api_base_url,
            "DISCORD_GATEWAY_URL": self.fake.gateway_url,
            "DISCORD_DEV_GUILD_ID": str(self.world.guild.id),
            "VIDEO_API_BASE_URL": self.simulator.base_url,
            "VIDEO_RAW_DATA_URL": self.simulator.raw_data_url,  # where asyncdata.net's Raw Data pages would be
            "TRUSTED_MEDIA_ORIGINS": self.simulator.media_origin,
            "VIDEO_MODELS": "sora-2,veo3.1-fast,grok",
            "DISCORD_MESSAGE_CONTENT_INTENT": "true" if self.fake.message_content_granted else "false",
            **self.env,
            **overrides,
        }
        return load_settings(env, env_file=None)

    @contextlib.asynccontextmanager
    async def bot(self, tuning: Tuning = FAST, **overrides: str) -> AsyncIterator[VideoBot]:
        """Run a VideoBot until the block ends (a second one after the first is a restart)."""
        bot = VideoBot(self.settings(**overrides), tuning=tuning, guild_ready_timeout=0.05)
        async with running_bot(self.fake, bot) as running:
            yield running

    async def video(self, user: User, prompt: str, channel: Channel | None = None, **options: object):
        """Run /video as a member and return the interaction."""
        return await self.fake.slash(user, channel or self.world.channel, "video", prompt=prompt, **options)

    def chat_requests(self) -> list[dict[str, Any]]:
        """Every chat-completion body the video service received, in order (what a generation sent)."""
        return [r.json for r in self.simulator.requests if r.path == "/v1/chat/completions"]

    async def open_remix_modal(self, user: User, video: MessageView):
        """Press Remix under a finished video; return the click whose response is the modal."""
        click = await self.fake.click(user, video, "Remix")
        assert (await click.wait_response()).modal is not None
        return click

    async def submit_remix(self, user: User, click, instruction: str) -> None:
        """Fill the Remix modal's one field and send it."""
        modal = (await click.wait_response()).modal
        field = modal["components"][0]["components"][0]
        await self.fake.submit_modal(user, click, {field["custom_id"]: instruction})

    async def thread_for(self, interaction) -> Channel:
        """The thread the bot opened from its public post."""
        post = await public_post(interaction)
        await self.fake.wait_until(lambda: self.fake.thread_of(post.id) is not None, message="the video thread")
        thread = self.fake.thread_of(post.id)
        assert thread is not None
        return thread

    async def private_answer(self, interaction) -> str:
        """What only the member saw: the private answer itself, or, when the bot had acknowledged a start
        with its public "thinking…" placeholder, the private followup, once the placeholder is gone."""
        response = await interaction.wait_response()
        if response.ephemeral:
            assert response.message is not None
            return response.message.content
        followup, = await interaction.wait_followups()
        assert followup.ephemeral_user_id is not None  # only the member sees it
        if response.kind == "deferred":  # a "thinking…" placeholder was shown: it must not stay behind
            await self.fake.wait_until(lambda: self.fake.message(response.message_id).deleted,
                                       message="the placeholder to be removed")
        return followup.content

    async def progress_message(self, thread: Channel, index: int = 0) -> MessageView:
        """The bot's index-th progress message in a thread."""
        await self.fake.wait_until(lambda: len(self.progress_messages(thread)) > index,
                                   message="the progress message")
        return self.progress_messages(thread)[index]

    def progress_messages(self, thread: Channel) -> list[MessageView]:
        bot_id = self.fake.bot_user.id
        return [m for m in self.fake.messages(thread) if m.author.id == bot_id and m.embeds]

    async def wait_title(self, message: MessageView, prefix: str, timeout: float = 10.0) -> MessageView:
        """Wait until a message's embed title starts with `prefix`; return it then."""
        def current() -> MessageView:
            return self.fake.message(message.id)

        await self.fake.wait_until(
            lambda: (current().embed or {}).get("title", "").startswith(prefix), timeout=timeout,
            message=f"title starting {prefix!r}; now {(current().embed or {}).get('title')!r}",
        )
        return current()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0, message: str = "") -> None:
    """Poll an async condition (e.g. a database read) until it holds; fail with `message` after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or check}")
        await asyncio.sleep(0.02)


def titles(message: MessageView) -> list[str]:
    """Every embed title a message has shown, oldest first, without repeats in a row."""
    seen: list[str] = []
    for revision in [*message.edits, message]:
        embeds = getattr(revision, "embeds", None) or []
        title = embeds[0].get("title", "") if embeds else ""
        if not seen or seen[-1] != title:
            seen.append(title)
    return seen


@pytest.fixture
def harness(discord_world: TypicalGuild, simulator: Simulator, tmp_path: Path) -> Harness:
    return Harness(discord_world, simulator, tmp_path / "data" / "videobot.sqlite3")


async def public_post(interaction) -> MessageView:
    """The public post a start answered with (the "thinking…" placeholder, once it says what it is)."""
    return await interaction.wait_done()


async def job_of(bot, message) -> Job:
    job = await bot.store.jobs.by_message(message.id)
    assert job is not None
    return job


async def refunded(bot, message) -> bool:
    """True once the job's units are given back (shortly after its final state is shown)."""
    job_id = (await job_of(bot, message)).id

    async def check() -> bool:
        entry = await bot.store.quotas.usage_for_job(job_id)
        return entry is not None and entry.refunded_at is not None

    await eventually(check, message=f"job {job_id} to be refunded")
    return True


async def start(harness: Harness, prompt: str = "A cow with wings flying over a farm at sunset", user=None,
                **options):
    """/video as a member; returns (thread, progress message)."""
    interaction = await harness.video(user or harness.world.member, prompt, **options)
    thread = await harness.thread_for(interaction)
    return thread, await harness.progress_message(thread)
