"""Both backends for the store and quota suites: a SQLite file in the test's folder, or a PostgreSQL database of
its own on the server that VIDEOBOT_TEST_POSTGRES_URL names (`.ci/postgres.sh start` makes one).

Without that variable the PostgreSQL variants are skipped, saying so; with VIDEOBOT_REQUIRE_POSTGRES=1 (CI sets
it) a missing or unreachable server fails them instead, so a broken set-up cannot pass as a green run.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

POSTGRES_URL = "VIDEOBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES = "VIDEOBOT_REQUIRE_POSTGRES"
BACKENDS = ("sqlite", "postgresql")

_names = itertools.count(1)


class PostgresServer:
    """A server where the tests may create and drop databases."""

    def __init__(self, url: str) -> None:
        self.url = url

    def url_of(self, name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    async def create_database(self) -> str:
        """A blank database, named for this process so that runs sharing the server do not collide."""
        name = f"videobot_test_{os.getpid()}_{next(_names)}"
        admin = await asyncpg.connect(self.url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await admin.close()
        return self.url_of(name)

    async def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        admin = await asyncpg.connect(self.url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def postgres_or_skip() -> PostgresServer:
    """The configured server; a skip with the reason when there is none, a failure when CI requires one."""
    url = os.environ.get(POSTGRES_URL, "").strip()
    if url:
        return PostgresServer(url)
    reason = f"PostgreSQL variant: set {POSTGRES_URL} (eval \"$(bash .ci/postgres.sh start)\" starts a server)"
    if os.environ.get(REQUIRE_POSTGRES) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES}=1 but {POSTGRES_URL} is not set")
    pytest.skip(reason)


@pytest.fixture
async def postgres() -> AsyncIterator[str]:
    """A blank PostgreSQL database, dropped afterwards (PostgreSQL-only tests)."""
    server = postgres_or_skip()
    url = await server.create_database()
    yield url
    await server.drop_database(url)


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path | str]:
    """Where a blank database is: a SQLite file path, or a postgresql:// URL. Each test runs on both."""
    if request.param == "sqlite":
        yield tmp_path / "data" / "videobot.sqlite3"
        return
    server = postgres_or_skip()
    url = await server.create_database()
    yield url
    await server.drop_database(url)
