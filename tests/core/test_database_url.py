"""DATABASE_URL: PostgreSQL when set, SQLite otherwise; a mistake is named without showing the password, and
the password never reaches a report or a log."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from bot.core.config import (
    ConfigError,
    database_url_secrets,
    display_database_url,
    load_database_settings,
    load_settings,
)
from bot.core.logs import RedactSecrets

PASSWORD = "correct-horse-battery-staple"
URL = f"postgresql://videobot:{PASSWORD}@db.internal:5433/videobot"
VALID = {"DISCORD_TOKEN": "t" * 30, "VIDEO_API_KEY": "k" * 30}


def problems(environ: dict[str, str]) -> list[str]:
    try:
        load_settings({**VALID, **environ}, env_file=None)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def test_sqlite_stays_the_default_and_a_url_selects_postgresql() -> None:
    default = load_settings(VALID, env_file=None)
    assert (default.database_path, default.database_url.reveal()) == (Path("data/videobot.sqlite3"), "")
    chosen = load_settings({**VALID, "DATABASE_URL": URL}, env_file=None)
    assert chosen.database_url.reveal() == URL
    assert PASSWORD not in repr(chosen)


def test_a_wrong_url_is_named_without_showing_it() -> None:
    for wrong in (f"mysql://videobot:{PASSWORD}@db/videobot", f"postgresql://videobot:{PASSWORD}@db:port/videobot"):
        [problem] = problems({"DATABASE_URL": wrong})
        assert problem.startswith("DATABASE_URL ")
        assert PASSWORD not in problem


def test_migrate_db_reads_only_the_database_settings() -> None:
    path, url = load_database_settings({"DATABASE_URL": URL, "DATABASE_PATH": "old.sqlite3"}, env_file=None)
    assert (path, url.reveal()) == (Path("old.sqlite3"), URL)  # no token or API key needed to move the data


def test_where_a_database_is_shown_without_its_password() -> None:
    assert display_database_url(URL) == "videobot@db.internal:5433/videobot"
    assert display_database_url(f"postgresql:///videobot?host=/run/postgresql&password={PASSWORD}") == (
        "/run/postgresql/videobot"
    )


def test_logs_scrub_the_database_password_wherever_it_appears() -> None:
    record = logging.LogRecord("asyncpg", logging.ERROR, __file__, 1, "connect %s failed (password %s)",
                               (URL, PASSWORD), None)
    RedactSecrets(database_url_secrets(URL)).filter(record)
    assert PASSWORD not in record.getMessage()


def test_check_reports_an_unreachable_postgresql_without_the_password(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **VALID,
        "DATABASE_URL": f"postgresql://videobot:{PASSWORD}@127.0.0.1:9/videobot",
        "VIDEO_API_BASE_URL": "http://127.0.0.1:9", "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10",
    }
    result = subprocess.run([sys.executable, "-m", "bot", "--check"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 1
    database = result.stdout.splitlines()[1]
    assert database.startswith(
        "problem  database: PostgreSQL at videobot@127.0.0.1:9/videobot could not be opened or migrated ("
    )
    assert PASSWORD not in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()  # no SQLite file was made on the side
