"""Configuration and the CLI: clear sentences, the documented exit codes, and secrets never shown."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.config import ConfigError, Secret, load_settings
from bot.core.logs import RedactSecrets
from bot.store import load_migrations

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.super-secret-discord-token"
API_KEY = "sk-live-very-secret-video-key-123"
VALID = {"DISCORD_TOKEN": TOKEN, "VIDEO_API_KEY": API_KEY}
LATEST = load_migrations()[-1].version


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a newcomer would: a bare environment and a working folder of its own."""
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_are_sensible() -> None:
    settings = load_settings(VALID, env_file=None)
    assert settings.models == ("sora-2",) and settings.default_model == "sora-2"
    assert settings.database_path == Path("data/videobot.sqlite3")
    assert settings.message_content_intent is False
    assert settings.discord_api_base_url is None and settings.trusted_media_origins == ()


def test_every_problem_is_named_in_one_sentence() -> None:
    bad = {
        "VIDEO_API_KEY": API_KEY,
        "MAX_JOBS_PER_USER": "two",
        "VIDEO_JOB_DEADLINE": "1",
        "VIDEO_MODELS": "sora-2,sora-9",
        "DISCORD_DEV_GUILD_ID": "my-server",
        "DISCORD_MESSAGE_CONTENT_INTENT": "maybe",
        "TRUSTED_MEDIA_ORIGINS": "ftp://files",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(bad, env_file=None)
    lines = str(caught.value).splitlines()
    hint = "Set it in .env (see .env.example) or in the environment."
    assert lines == [
        f"DISCORD_TOKEN is not set. {hint}",
        "VIDEO_MODELS lists 'sora-9', which this bot doesn't know (known: sora-2, sora-2-pro, veo3.1-fast, grok). "
        + hint,
        f"DISCORD_DEV_GUILD_ID must be a numeric Discord ID, not 'my-server'. {hint}",
        f"DISCORD_MESSAGE_CONTENT_INTENT must be true or false, not 'maybe'. {hint}",
        f"TRUSTED_MEDIA_ORIGINS has 'ftp://files', which is not an origin like https://cdn.example.com. {hint}",
        f"VIDEO_JOB_DEADLINE must be at least 10, not 1. {hint}",
        f"MAX_JOBS_PER_USER must be a whole number, not 'two'. {hint}",
    ]


def test_default_model_must_be_one_of_the_models() -> None:
    with pytest.raises(ConfigError, match="VIDEO_DEFAULT_MODEL is 'grok', which is not one of VIDEO_MODELS"):
        load_settings({**VALID, "VIDEO_MODELS": "sora-2,veo3.1-fast", "VIDEO_DEFAULT_MODEL": "grok"}, env_file=None)


def test_environment_wins_over_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={TOKEN}\nVIDEO_API_KEY={API_KEY}\nLOG_LEVEL=debug\n")
    settings = load_settings({"LOG_LEVEL": "warning"}, env_file=env_file)
    assert settings.log_level == "WARNING"
    assert settings.discord_token.reveal() == TOKEN


def test_simulate_needs_no_api_key() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, env_file=None, simulate=True)
    assert settings.simulate and not settings.video_api_key


def test_secrets_never_show_in_repr_or_str() -> None:
    settings = load_settings(VALID, env_file=None)
    for text in (repr(settings), str(settings), f"{settings.discord_token}", repr(settings.video_api_key)):
        assert TOKEN not in text and API_KEY not in text
    assert Secret(TOKEN) == settings.discord_token


def test_log_filter_scrubs_a_secret_from_any_record() -> None:
    record = logging.LogRecord("discord.http", logging.INFO, __file__, 1, "sent %s to %s", (TOKEN, "x"), None)
    RedactSecrets([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage() and "********" in record.getMessage()


def test_cli_with_empty_environment_reports_and_exits_2(tmp_path: Path) -> None:
    result = run_cli("--check", env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "problem  configuration: DISCORD_TOKEN is not set. Set it in .env (see .env.example) or in the environment.",
        "problem  configuration: VIDEO_API_KEY is not set. Set it in .env (see .env.example) or in the environment.",
        f"ok       database: SQLite data/videobot.sqlite3, schema version {LATEST}",
        "2 problems to fix.",
    ]


def test_cli_run_with_a_bad_setting_prints_one_sentence_and_exits_2(tmp_path: Path) -> None:
    result = run_cli(env={**VALID, "MAX_JOBS_GLOBAL": "lots"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "videobot: MAX_JOBS_GLOBAL must be a whole number, not 'lots'. "
        "Set it in .env (see .env.example) or in the environment."
    )


def test_cli_never_prints_the_secrets(tmp_path: Path) -> None:
    # A reachable-looking but closed port: the checks fail fast and print what they tried.
    env = {**VALID, "VIDEO_API_BASE_URL": "http://127.0.0.1:9", "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10"}
    for args, extra in ((("--check",), {}), ((), {"LOG_LEVEL": "nope"}), (("--check",), {"LOG_LEVEL": "nope"})):
        result = run_cli(*args, env={**env, **extra}, cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode in (1, 2), output
        assert TOKEN not in output and API_KEY not in output
        assert "Traceback" not in output


def test_cli_check_reports_each_item_and_fails_when_services_are_unreachable(tmp_path: Path) -> None:
    env = {**VALID, "VIDEO_API_BASE_URL": "http://127.0.0.1:9", "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10"}
    result = run_cli("--check", env=env, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0] == "ok       configuration: models sora-2; default sora-2"
    assert lines[1] == f"ok       database: SQLite data/videobot.sqlite3, schema version {LATEST}"
    assert lines[2].startswith("problem  video API: http://127.0.0.1:9 is unreachable")
    assert lines[3].startswith("problem  Discord: http://127.0.0.1:9/api/v10 is unreachable")
    assert (tmp_path / "data" / "videobot.sqlite3").is_file()


def test_shards_lease_and_rest_share_default_to_one_process_running_everything() -> None:
    settings = load_settings(VALID, env_file=None)
    assert (settings.shard_count, settings.shard_ids) == (1, None)
    assert settings.job_lease_timeout == 30.0
    assert (settings.rest_per_second, settings.rest_proxy) == (44, False)


def test_shard_ids_are_read_as_lists_and_ranges_of_the_shard_count() -> None:
    settings = load_settings({**VALID, "DISCORD_SHARD_COUNT": "8", "DISCORD_SHARD_IDS": "0-2, 6"}, env_file=None)
    assert (settings.shard_count, settings.shard_ids) == (8, (0, 1, 2, 6))
    assert load_settings({**VALID, "DISCORD_SHARD_COUNT": "auto"}, env_file=None).shard_count is None


def test_every_sharding_and_sharing_mistake_is_named_in_one_sentence() -> None:
    hint = "Set it in .env (see .env.example) or in the environment."
    cases = {
        ("DISCORD_SHARD_COUNT", "two"): "DISCORD_SHARD_COUNT must be a whole number of shards, or auto, not 'two'.",
        ("DISCORD_SHARD_COUNT", "0"): "DISCORD_SHARD_COUNT must be at least 1, not 0.",
        ("DISCORD_SHARD_IDS", "1,x"): "DISCORD_SHARD_IDS has 'x', which is not a shard number or a range like 0-3.",
        ("DISCORD_SHARD_IDS", "3-1"): "DISCORD_SHARD_IDS has the range '3-1', which runs backwards.",
        ("DISCORD_SHARD_IDS", "1"): "DISCORD_SHARD_IDS has shard 1, but DISCORD_SHARD_COUNT is 1 (shards 0 to 0).",
        ("JOB_LEASE_TIMEOUT", "1"): "JOB_LEASE_TIMEOUT must be at least 2, not 1.",
        ("DISCORD_REST_PER_SECOND", "60"): (
            "DISCORD_REST_PER_SECOND must be at most 50, not 60 "
            "(Discord allows 50 a second for the whole bot, every process together)."
        ),
        ("DISCORD_REST_PROXY", "true"): (
            "DISCORD_REST_PROXY is true, but DISCORD_API_BASE_URL does not name the proxy."
        ),
    }
    for (name, value), sentence in cases.items():
        with pytest.raises(ConfigError) as caught:
            load_settings({**VALID, name: value}, env_file=None)
        assert str(caught.value) == f"{sentence} {hint}"
    with pytest.raises(ConfigError, match="DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT set to a number"):
        load_settings({**VALID, "DISCORD_SHARD_COUNT": "auto", "DISCORD_SHARD_IDS": "0"}, env_file=None)
