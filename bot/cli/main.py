"""Command line: `videobot` (or `python -m bot`) runs the bot; `--check` reports what is missing;
`videobot migrate-db` moves the SQLite database into PostgreSQL; `--playground` hands over to the
playground package (a separate program that runs this bot from outside)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from bot.cli.movedb import move_database
from bot.cli.selfcheck import CheckResult, check_database, run_checks
from bot.core.config import (
    DATABASE_URL_SCHEMES,
    DEFAULT_DATABASE_PATH,
    ConfigError,
    Settings,
    database_url_secrets,
    load_settings,
)

log = logging.getLogger("bot")

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2
PLAYGROUND_FLAG = "--playground"


def _playground(arguments: list[str]) -> NoReturn:
    """Become `python -m playground …` in this same process. The bot never imports the playground (it sits
    above the bot and runs it from outside, like an operator would), so it is started by name, not import."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "playground", *arguments])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="videobot", description="A Discord bot that turns chat into AI video.")
    parser.add_argument(
        "command", nargs="?", choices=("run", "migrate-db"), default="run",
        help="run the bot (default), or move the SQLite database into PostgreSQL",
    )
    parser.add_argument("--check", action="store_true", help="validate configuration, database and connections")
    parser.add_argument(
        "--simulate", action="store_true", help="use a local video API simulator (no key, no cost, fake videos)"
    )
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="settings file (default: ./.env)")
    parser.add_argument(
        "--from", dest="source", type=Path, metavar="PATH", help="migrate-db: the SQLite file (default: DATABASE_PATH)"
    )
    parser.add_argument(
        "--to", dest="target", metavar="URL",
        help="migrate-db: postgresql://… (default: DATABASE_URL, which keeps the password out of shell history)",
    )
    parser.add_argument(
        PLAYGROUND_FLAG, action="store_true",
        help="try it in a browser: a local stand-in Discord, the simulator and this bot, no account or setting "
        "(takes --port N and --no-browser)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `videobot` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if PLAYGROUND_FLAG in arguments:
        _playground([a for a in arguments if a != PLAYGROUND_FLAG])
    args = parse_args(arguments)
    if args.command == "migrate-db":
        return asyncio.run(move_database(args.source, args.target, env_file=args.env_file))
    try:
        settings = load_settings(env_file=args.env_file, simulate=args.simulate)
    except ConfigError as error:
        if args.check:
            return asyncio.run(_report_config_problems(error))
        for problem in error.problems:
            print(f"videobot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    if args.check:
        return asyncio.run(_report(settings))
    return _run(settings)


async def _report_config_problems(error: ConfigError) -> int:
    # The database can still be checked: the SQLite path has a default and cannot be malformed, and a
    # DATABASE_URL that is malformed is among the problems already.
    url = os.environ.get("DATABASE_URL", "").strip()
    results = [CheckResult(False, "configuration", str(p)) for p in error.problems]
    if not url:
        results.append(await check_database(Path(os.environ.get("DATABASE_PATH") or DEFAULT_DATABASE_PATH)))
    elif url.split("://", 1)[0] in DATABASE_URL_SCHEMES:
        results.append(await check_database(url))
    _print_report(results)
    return EXIT_CONFIG


async def _report(settings: Settings) -> int:
    from bot.cli.simulation import simulated  # noqa: PLC0415 - only --simulate needs the simulator

    async with simulated(settings) as effective:
        results = [CheckResult(True, "configuration", _summary(effective)), *await run_checks(effective)]
    _print_report(results)
    return EXIT_OK if all(r.ok for r in results) else EXIT_PROBLEM


def _summary(settings: Settings) -> str:
    mode = " (simulated video API)" if settings.simulate else ""
    return f"models {', '.join(settings.models)}; default {settings.default_model}{mode}"


def _print_report(results: list[CheckResult]) -> None:
    for result in results:
        print(result)
    problems = sum(not r.ok for r in results)
    print("All good." if not problems else f"{problems} problem{'s' if problems > 1 else ''} to fix.")


def _run(settings: Settings) -> int:
    from bot.core.logs import setup_logging  # noqa: PLC0415

    secrets = (
        settings.discord_token.reveal(), settings.video_api_key.reveal(), settings.server_key_secret.reveal(),
        *database_url_secrets(settings.database_url.reveal()),
    )
    setup_logging(settings.log_level, secrets=secrets)
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=_event_loop_factory()) as runner:
        runner.run(_serve(settings))
    return EXIT_OK


def _event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (every platform but Windows), else asyncio's own: the bot's
    one loop runs the gateway, every acknowledgement and every progress edit, and uvloop runs it faster."""
    try:
        import uvloop  # noqa: PLC0415 - optional, and only for the running bot
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(settings: Settings) -> None:
    from bot.app import VideoBot  # noqa: PLC0415 - keeps `--check` light
    from bot.cli.simulation import simulated  # noqa: PLC0415

    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    # SIGTERM (systemd, docker stop) closes the bot like Ctrl-C: jobs in flight stay resumable.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    async with simulated(settings) as effective, VideoBot(effective) as bot:
        try:
            await bot.start(effective.discord_token.reveal())
        except asyncio.CancelledError:
            log.info("shutting down")

