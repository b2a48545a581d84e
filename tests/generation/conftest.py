"""The generation services built on a real SQLite file and the simulator, with no Discord at all: the
presenter is a recorder standing where the Discord side would be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import pytest

from bot.core.config import Settings, load_settings
from bot.generation.engine import GenerationEngine
from bot.generation.leasing import LeaseTerms
from bot.generation.runner import Caps, JobRunner
from bot.generation.service import VideoService
from bot.generation.state import Delivery, Phase, Places, ProgressState
from bot.quotas.admission import QuotaService
from bot.store import Store
from bot.videoapi import VideoAPI
from bot.videoapi.simulator import Simulator


@dataclass
class RecordingPresenter:
    """What each job's progress message would have shown, in order."""

    shown: dict[int, list[ProgressState]] = field(default_factory=dict)
    concluded: dict[int, ProgressState] = field(default_factory=dict)
    concluded_in: dict[int, Places] = field(default_factory=dict)  # where each final state was shown
    notes: list[tuple[Places, str]] = field(default_factory=list)

    def show(self, places: Places, state: ProgressState) -> None:
        self.shown.setdefault(state.job_id, []).append(state)

    async def conclude(self, places: Places, state: ProgressState) -> Delivery:
        self.concluded[state.job_id] = state
        self.concluded_in[state.job_id] = places
        return Delivery("message", places.thread_id, places.message_id)

    async def notify(self, places: Places, text: str) -> Delivery:
        self.notes.append((places, text))
        return Delivery("thread", places.thread_id, 1) if places.thread_id else Delivery(None, reason="nowhere")

    def phases(self, job_id: int) -> list[Phase]:
        return [s.phase for s in self.shown.get(job_id, [])]


@pytest.fixture
def settings(simulator: Simulator) -> Settings:
    assert simulator.base_url
    return load_settings(
        {
            "DISCORD_TOKEN": "t" * 30,
            "VIDEO_API_KEY": "sk-test-0123456789",
            "VIDEO_API_BASE_URL": simulator.base_url,
            "TRUSTED_MEDIA_ORIGINS": simulator.media_origin,
            "VIDEO_MODELS": "sora-2,veo3.1-fast,grok",
            "VIDEO_RAW_DATA_URL": simulator.raw_data_url,
        },
        env_file=None,
    )


@pytest.fixture
def presenter() -> RecordingPresenter:
    return RecordingPresenter()


@pytest.fixture
def quotas(store: Store, settings: Settings) -> QuotaService:
    return QuotaService(store, settings)


LEASE_TIMEOUT = 30.0  # seconds; the tests' clock only moves when a test says so
CAPS = Caps(total=4, per_guild=2)


@asynccontextmanager
async def running(
    store: Store, settings: Settings, quotas: QuotaService, presenter: RecordingPresenter, *,
    owner: str = "process-a", caps: Caps = CAPS, backoff: float = 0.01,
) -> AsyncIterator[JobRunner]:
    """A JobRunner over the simulator (2 videos at once per server, 4 in all, by default); a second one on the
    same database is what another process, or the next start of the bot, builds."""
    async with aiohttp.ClientSession() as session:
        api = VideoAPI(settings.video_api_base_url, settings.video_api_key.reveal(), session, backoff=backoff,
                       read_timeout=5, trusted_media_origins=settings.trusted_media_origins)
        runner = JobRunner(
            store=store, engine=GenerationEngine(api, settings.provider, poll_interval=0.01, deadline=30),
            presenter=presenter, quotas=quotas, caps=caps, history_max_turns=20,
            lease=LeaseTerms(owner, timeout=LEASE_TIMEOUT, line_retry=0.02),
        )
        try:
            yield runner
        finally:
            await runner.shutdown()


@pytest.fixture
async def runner(
    store: Store, settings: Settings, quotas: QuotaService, presenter: RecordingPresenter
) -> AsyncIterator[JobRunner]:
    async with running(store, settings, quotas, presenter) as runner:
        yield runner


@pytest.fixture
def videos(store: Store, quotas: QuotaService, runner: JobRunner, settings: Settings) -> VideoService:
    return VideoService(store, quotas, runner, settings)
