"""`videobot --playground` (or `python -m playground`): start the playground, print its address, open it
in a browser when this machine has a graphical one, and run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import webbrowser
from collections.abc import Sequence

from bot.core.logs import setup_logging
from bot.core.tasks import log_crash
from playground.stack import Playground

log = logging.getLogger("playground")

DEFAULT_PORT = 8770


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="videobot --playground",
        description="Try videobot in your browser: a local stand-in Discord, the video API simulator and the "
        "real bot, with no account, token, key or setting.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"page port (default {DEFAULT_PORT}; "
                        "a free one if it is taken)")
    parser.add_argument("--no-browser", action="store_true", help="only print the address")
    parser.add_argument("--boost-tier", type=int, default=0, choices=(0, 1, 2, 3),
                        help="the server's boost tier, which sets its upload limit (0 and 1: 20 MiB, the default; "
                        "2: 50 MiB; 3: 100 MiB)")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="how much the bot logs (default WARNING)")
    return parser.parse_args(argv)


class _NoVoiceNotice(logging.Filter):
    """discord.py warns at start that voice is unsupported; the bot never uses voice, so a newcomer's first
    screen need not say so."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m playground`, which `videobot --playground` runs."""
    args = parse_args(argv)
    setup_logging(args.log_level)
    logging.getLogger("discord.client").addFilter(_NoVoiceNotice())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, open_browser=not args.no_browser, boost_tier=args.boost_tier))
    return 0


def graphical_browser_available() -> bool:
    """Whether opening a browser would show a window (a console browser would take over the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def _serve(port: int, *, open_browser: bool, boost_tier: int = 0) -> None:
    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    print("Starting the playground: a stand-in Discord, the video API simulator and the bot…", flush=True)
    async with Playground(port=port, boost_tier=boost_tier) as playground:
        print(f"\n  Playground ready: {playground.url}\n", flush=True)
        print("  You are Maya (a member); switch to Mo (a moderator) at the bottom left.", flush=True)
        print("  Try /video a cat surfing in #video-lab. Ctrl-C stops it (nothing is kept).\n", flush=True)
        opener = None
        if open_browser and graphical_browser_available():
            # webbrowser may block while it launches a browser: keep it off the event loop.
            opener = asyncio.create_task(asyncio.to_thread(webbrowser.open, playground.url), name="open browser")
            opener.add_done_callback(log_crash)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            print("Stopping the playground.", flush=True)
        finally:
            if opener is not None:
                opener.cancel()
                await asyncio.gather(opener, return_exceptions=True)
