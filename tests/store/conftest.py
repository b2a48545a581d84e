"""Every store test runs on SQLite and on PostgreSQL (see tests/store/backends.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.backends import database, postgres

__all__ = ["database", "db_path", "postgres"]


@pytest.fixture
def db_path(database: Path | str) -> Path | str:
    """The shared `store` fixture opens this: a SQLite file, or (in the PostgreSQL variant) a database URL."""
    return database
