"""Command line: `videobot` (or `python -m bot`) runs the bot; `--check` reports what is missing;
`videobot migrate-db` moves the SQLite database into PostgreSQL; `--playground` hands over to the
playground package (a separate program that runs this bot from outside)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import threading
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
    load_database_settings,
    load_settings,
)

log = logging.getLogger("bot")

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2
PLAYGROUND_FLAG = "--playground"
# Seconds from SIGTERM to exit, at the latest: the hand-over takes a few (Tuning.handover_wait and
# edits_landing); a close that hangs past this ends the process anyway (a container stop allows 30, see deploy/).
SHUTDOWN_LIMIT = 20.0


def _stop_within_limit(main_task: asyncio.Task[None]) -> None:
    """SIGTERM: begin the clean stop, and make sure the process is gone SHUTDOWN_LIMIT seconds later even if
    something in it hangs (a thread, not the event loop, keeps that promise)."""
    if main_task.cancelling():
        return  # a second SIGTERM changes nothing: the stop is under way and bounded
    log.info("SIGTERM: handing this process's videos over, then stopping")
    main_task.cancel()
    watchdog = threading.Timer(SHUTDOWN_LIMIT, _exit_now)
    watchdog.daemon = True
    watchdog.start()


def _exit_now() -> None:
    log.error("the clean stop took longer than %g s; exiting now (unfinished videos are adopted once their "
              "leases lapse)", SHUTDOWN_LIMIT)
    logging.shutdown()
    os._exit(EXIT_PROBLEM)


def _playground(arguments: list[str]) -> NoReturn:
    """Become `python -m playground …` in this same process. The bot never imports the playground (it sits
    above the bot and runs it from outside, like an operator would), so it is started by name, not import."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "playground", *arguments])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="videobot", description="A Discord bot that turns chat into AI video.")
    parser.add_argument(
        "command", nargs="?", choices=("run", "migrate", "migrate-db"), default="run",
        help="run the bot (default); create or migrate the database and exit (migrate: a deployment's one-off "
        "step, needing only DATABASE_URL or DATABASE_PATH); or move the SQLite database into PostgreSQL",
    )
    parser.add_argument("--check", action="store_true", help="validate configuration, database and connections")
    parser.add_argument(
        "--simulate", action="store_true", help="use a local video API simulator (no key, no cost, fake videos)"
    )
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="settings file (default: ./.env)")
    parser.add_argument(
        "--http-port", type=int, metavar="PORT",
        help="serve /healthz, /readyz and /metrics on this port (overrides HTTP_PORT; loopback unless HTTP_HOST)",
    )
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
    if args.command == "migrate":
        return asyncio.run(_migrate(args.env_file))
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
    if args.http_port is not None:
        if not 0 < args.http_port < 65536:
            print(f"videobot: --http-port must be a port number (1-65535), not {args.http_port}", file=sys.stderr)
            return EXIT_CONFIG
        settings = dataclasses.replace(settings, http_port=args.http_port)
    return _run(settings)


async def _migrate(env_file: Path) -> int:
    """Bring the database's schema up to date, once, before any bot process starts (deploy/compose.yaml)."""
    try:
        path, url = load_database_settings(env_file=env_file)
    except ConfigError as error:
        for problem in error.problems:
            print(f"videobot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    result = await check_database(url.reveal() or path)
    print(result)
    return EXIT_OK if result.ok else EXIT_PROBLEM


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
    setup_logging(settings.log_level, secrets=secrets, log_format=settings.log_format)
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
    from bot.store.shard_claims import claimed_shard  # noqa: PLC0415

    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    # SIGTERM (systemd, docker stop) closes the bot like Ctrl-C: it admits nothing more, hands its jobs over to
    # another process (bot/generation/runner.py, `shutdown`) and exits, at the latest SHUTDOWN_LIMIT seconds on.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, _stop_within_limit, main_task)
    async with contextlib.AsyncExitStack() as stack:
        effective = await stack.enter_async_context(simulated(settings))
        try:
            if effective.claim_shard and effective.shard_count is not None:  # DISCORD_SHARD_IDS=claim
                shard = await stack.enter_async_context(
                    claimed_shard(effective.database_url.reveal(), effective.shard_count)
                )
                effective = dataclasses.replace(effective, shard_ids=(shard,))
            bot = await stack.enter_async_context(VideoBot(effective))
            await bot.start(effective.discord_token.reveal())
        except asyncio.CancelledError:
            log.info("shutting down")

