"""`python -m bot` as users run it: its own process, configured only through its environment, aimed at the
stand-in Discord. Nothing of the test runner's environment reaches it but PATH, and the `.env` it is pointed
at does not exist, so what it does follows from the settings given here alone."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import IO

from fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]


async def start_videobot(
    fake: FakeDiscord,
    folder: Path,
    *arguments: str,
    output: int | IO[bytes] = asyncio.subprocess.DEVNULL,
    **settings: str,
) -> asyncio.subprocess.Process:
    """Start `python -m bot *arguments` in `folder` with the stand-in's token and addresses plus `settings`;
    its standard output and error both go to `output`."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": fake.bot_token,
        "DISCORD_API_BASE_URL": fake.api_base_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *arguments, "--env-file", str(folder / "none.env"),
        cwd=folder, env=environment, stdout=output, stderr=asyncio.subprocess.STDOUT,
    )
