"""`videobot migrate-db`: move the SQLite database into PostgreSQL, printing what moved and never the password."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.config import ConfigError, database_url_secrets, display_database_url, load_database_settings
from bot.store import is_database_url
from bot.store.transfer import TransferError, copy_sqlite_to_postgres

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


async def move_database(source: Path | None, target: str | None, *, env_file: Path) -> int:
    """Copy `source` (default: DATABASE_PATH) into the empty database of `target` (default: DATABASE_URL)."""
    try:
        configured_path, configured_url = load_database_settings(env_file=env_file)
    except ConfigError as error:
        return _fail(*(str(problem) for problem in error.problems), code=EXIT_CONFIG)
    source = source or configured_path
    url = target or configured_url.reveal()
    if not url or not is_database_url(url):
        return _fail("migrate-db needs the PostgreSQL database to move into: set DATABASE_URL (or pass --to "
                     "postgresql://user:password@host:5432/database)", code=EXIT_CONFIG)
    print(f"Moving SQLite {source} into PostgreSQL at {display_database_url(url)}")
    try:
        report = await copy_sqlite_to_postgres(source, url, progress=lambda table, rows: print(f"  {table}: {rows}"))
    except TransferError as error:
        return _fail(f"migrate-db: {error}", code=EXIT_PROBLEM)
    except Exception as error:  # connection, authentication, a failed migration: said in one sentence
        text = str(error) or type(error).__name__
        for secret in database_url_secrets(url):
            text = text.replace(secret, "********")
        return _fail(f"migrate-db: nothing was moved ({text})", code=EXIT_PROBLEM)
    total = sum(report.rows.values())
    print(f"Done: {total} rows in {len(report.rows)} tables, schema version {report.schema_version}.")
    print(f"Set DATABASE_URL to this database to run on it; {source} is unchanged and can stay as a backup.")
    return EXIT_OK


def _fail(*lines: str, code: int) -> int:
    for line in lines:
        print(f"videobot: {line}", file=sys.stderr)
    return code
