"""The README's run command: `videobot --playground` prints the page's address, serves it, and stops
cleanly on SIGTERM, with no setting, token or key, whatever the environment or .env holds."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from playwright.async_api import Browser, expect

ROOT = Path(__file__).resolve().parents[2]


async def test_videobot_playground_serves_the_page_and_stops_on_sigterm(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=a-real-token-that-must-not-be-used\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": "also-not-used"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())",
        "--playground", "--no-browser", "--port", "0",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    printed: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("Playground ready:" in line for line in printed):
                line = (await process.stdout.readline()).decode()
                assert line, "".join(printed)
                printed.append(line)
        url = re.search(r"http://127\.0\.0\.1:\d+/", "".join(printed))
        assert url is not None
        page = await browser.new_page()
        await page.goto(url.group(0))
        await expect(page.locator("#main-pane").get_by_role("heading")).to_have_text(re.compile("video-lab"))
        await expect(page.locator("#server-name")).to_have_text("Videobot Playground")
        await page.close()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    output = "".join(printed) + rest.decode()
    assert process.returncode == 0, output
    assert "Stopping the playground." in output
    assert "Traceback" not in output and "a-real-token" not in output, output
