"""Helpers of the operations tests: empty databases (SQLite or PostgreSQL) and the ``ohmylot`` command."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


def pg_admin_url() -> str | None:
    """``OHMYLOT_TEST_DATABASE_URL`` when it names a PostgreSQL server (with the psycopg driver)."""
    url = os.environ.get("OHMYLOT_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, never migrated database: a SQLite file, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    admin_url = pg_admin_url()
    assert admin_url, "PostgreSQL not configured"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"ohmylot_ops_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobs", *args]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cli_command(*args), capture_output=True, text=True, env=full_env, timeout=timeout)
