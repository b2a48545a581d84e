"""The operator's side of a running bot, as an operator meets it: `python -m bot --http-port N` aimed at the
stand-in Discord and the video API simulator, its /healthz, /readyz and /metrics scraped over a real socket,
and its JSON log read line by line."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.videoapi.simulator import Simulator
from tests.e2e.processes import start_videobot
from tests.fakediscord.fixtures import TypicalGuild

FINISHED = "✅ Finished in"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def videobot(world: TypicalGuild, folder: Path, port: int, **settings: str) -> AsyncIterator[Path]:
    """`python -m bot --http-port PORT` until the block ends; yields its log file."""
    log = folder / "videobot.log"
    with log.open("ab") as output:
        process = await start_videobot(
            world.fake, folder, "--http-port", str(port), output=output,
            DISCORD_DEV_GUILD_ID=str(world.guild.id), DATABASE_PATH=str(folder / "videobot.sqlite3"),
            VIDEO_API_KEY="sk-test-0123456789", **settings,
        )
    try:
        await world.fake.wait_until(lambda: bool(world.fake.gateway.identifies), timeout=20,
                                    message=f"the bot to connect; its log:\n{log.read_text()}")
        yield log
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=30)


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def until_status(port: int, path: str, status: int, timeout: float = 15.0) -> dict[str, Any]:
    """The JSON body of `path` once it answers `status` (the listener opens as the bot starts)."""
    loop = asyncio.get_running_loop()
    deadline, last = loop.time() + timeout, "nothing"
    while loop.time() < deadline:
        try:
            code, body = await get(port, path)
        except aiohttp.ClientConnectionError:
            code, body = 0, "connection refused"
        if code == status:
            answer: dict[str, Any] = json.loads(body)
            return answer
        last = f"{code} {body}"
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never answered {status}; last: {last}")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page: (name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_health_readiness_metrics_and_json_logs_of_a_running_bot(
    discord_world: TypicalGuild, simulator: Simulator, tmp_path: Path
) -> None:
    world, fake, port = discord_world, discord_world.fake, free_port()
    assert simulator.base_url
    vendor = {"VIDEO_API_BASE_URL": simulator.base_url, "VIDEO_RAW_DATA_URL": simulator.raw_data_url,
              "TRUSTED_MEDIA_ORIGINS": simulator.media_origin}
    async with videobot(world, tmp_path, port, LOG_FORMAT="json", **vendor) as log:
        health = await until_status(port, "/healthz", 200)
        assert health["ok"] is True and "event loop lag" in health["loop"]
        ready = await until_status(port, "/readyz", 200)
        assert {name: check["ok"] for name, check in ready["checks"].items()} == {
            "gateway": True, "database": True, "video_api": True, "accepting": True,
        }

        post = await (await fake.slash(world.member, world.channel, "video", prompt="a cow with wings")).wait_done()
        await fake.wait_until(lambda: fake.thread_of(post.id) is not None, message="the video thread")
        thread = fake.thread_of(post.id)
        assert thread is not None
        await fake.wait_for_message(thread, lambda m: (m.embed or {}).get("title", "").startswith(FINISHED),
                                    timeout=30, message="the video to finish")
        ended: list[dict[str, Any]] = []

        def job_ended_logged() -> bool:
            lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
            ended[:] = [line for line in lines if line["message"].endswith("ended: succeeded")]
            return bool(ended)

        await fake.wait_until(job_ended_logged, message="the job's end in the log")
        code, text = await get(port, "/metrics")

    assert code == 200
    found = samples(text)
    labels = {"provider": "kkiai", "model": "sora-2"}
    assert value(found, "videobot_jobs_admitted_total", **labels) == 1
    assert value(found, "videobot_jobs_ended_total", state="succeeded", error_kind="", **labels) == 1
    for histogram in ("time_to_task_id", "time_to_first_progress", "time_to_video_shown"):
        assert value(found, f"videobot_{histogram}_seconds_count", **labels) == 1, histogram
    assert value(found, "videobot_queue_wait_seconds_count") == 1
    assert value(found, "videobot_units_total", event="reserved") == 1
    assert value(found, "videobot_units_total", event="charged") == 1
    assert value(found, "videobot_units_total", event="refunded") == 0
    assert value(found, "videobot_spend_micros_total", currency="USD", payer="bot") == 150_000  # sora-2's $0.15
    assert value(found, "videobot_vendor_requests_total", status="2xx") >= 1
    assert value(found, "videobot_progress_edits_total", kind="final") >= 1
    assert value(found, "videobot_leases_held", shards="0") == 0  # the one video ended: nothing held
    assert value(found, "videobot_discord_requests_total", route="POST /channels/:id/messages", status="200") >= 1
    assert value(found, "videobot_discord_request_seconds_count", route="POST /channels/:id/messages/:id/threads") == 1
    routes = {dict(labels).get("route", "") for _, labels in found}
    assert all(fake.bot_token not in route and len(route) < 80 for route in routes)  # no token, no ID in labels

    line = ended[0]  # a JSON object of its own, carrying the job's IDs
    assert line["level"] == "INFO" and isinstance(line["job_id"], int)
    assert line["guild_id"] == world.guild.id and line["shard_id"] == 0
    with sqlite3.connect(tmp_path / "videobot.sqlite3") as database:
        task_id = database.execute("SELECT task_id FROM jobs WHERE id = ?", (line["job_id"],)).fetchone()[0]
    assert task_id and line["task_id"] == task_id
    every = log.read_text().splitlines()
    assert all(json.loads(entry) for entry in every if entry.strip())  # every line is one JSON object
    assert fake.bot_token not in log.read_text()


async def test_readiness_fails_while_the_video_api_is_unreachable_and_health_stays_good(
    discord_world: TypicalGuild, tmp_path: Path
) -> None:
    port, dead = free_port(), free_port()
    async with videobot(discord_world, tmp_path, port, VIDEO_API_BASE_URL=f"http://127.0.0.1:{dead}"):
        ready = await until_status(port, "/readyz", 503)
        await until_status(port, "/healthz", 200)
    assert ready["checks"]["video_api"]["ok"] is False
    assert "unreachable" in ready["checks"]["video_api"]["detail"]
    assert ready["checks"]["database"]["ok"] is True
