"""The quota, admission and moderation suites run on SQLite and on PostgreSQL (see tests/store/backends.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.backends import database

__all__ = ["database", "db_path"]


@pytest.fixture
def db_path(database: Path | str) -> Path | str:
    """The shared `store` fixture, and the two-process tests, open this: a SQLite file or a database URL."""
    return database
