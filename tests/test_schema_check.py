"""The quick "is the schema current?" check (``store.db.schema_is_current``): one query of ``alembic_version``
against the heads read from the migration files; Alembic still decides (and migrates) whenever it is not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from services.startup import StartupError, check_database
from store.db import _file_revision, make_engine, schema_is_current, script_heads, shipped_heads, upgrade

ROOT = Path(__file__).resolve().parent.parent


def _revision(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()


def test_the_heads_read_from_the_files_are_alembics() -> None:
    assert shipped_heads() == script_heads("sqlite://")


def test_only_plain_literal_revisions_are_read() -> None:
    plain = "revision = 'b'\ndown_revision = ('a', 'c')\nbranch_labels = None\ndepends_on = None\n"
    assert _file_revision(plain) == ("b", ("a", "c"))
    assert _file_revision("revision: str = 'a'\ndown_revision: str | None = None\ndepends_on = None\n") == ("a", ())
    assert _file_revision("revision = 'b'\ndown_revision = (\n    'a',\n)\ndepends_on = None\n") is None
    assert _file_revision("revision = 'b'\ndown_revision = 'a'\ndepends_on = 'x'\n") is None
    assert _file_revision("revision = NAME\ndown_revision = 'a'\ndepends_on = None\n") is None


def test_the_check_tells_current_behind_and_never_migrated(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert schema_is_current(conn) is False  # no alembic_version table yet
            assert conn.execute(text("SELECT 1")).scalar() == 1  # the connection is still usable
        upgrade(url, "web_02")
        with engine.connect() as conn:
            assert schema_is_current(conn) is False
        upgrade(url)
        with engine.connect() as conn:
            assert schema_is_current(conn) is True
    finally:
        engine.dispose()


def test_a_database_behind_is_refused_without_upgrade_and_migrated_with_it(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url, "web_02")
    with pytest.raises(StartupError, match="ohmylot db upgrade"):
        check_database(url, upgrade=False)
    assert _revision(url) == {"web_02"}
    check_database(url)
    assert _revision(url) == script_heads(url)


@pytest.mark.parametrize("start", [None, "web_02"])
def test_the_crawl_command_migrates_a_database_behind_or_new(tmp_path, start) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    if start:
        upgrade(url, start)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OHMYLOT_DATA_DIR": str(tmp_path),
        "OHMYLOT_DATABASE_URL": url,
        "OHMYLOT_CRAWL_SERVER": "off",
    }
    done = subprocess.run(
        [sys.executable, "-m", "jobs", "crawl", "source-inconnue-xyz"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "source inconnue : source-inconnue-xyz" in done.stderr
    assert _revision(url) == script_heads(url)


@pytest.mark.db
def test_on_the_test_database_a_missing_table_or_an_old_revision_leaves_it_to_alembic(database_url) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert schema_is_current(conn) is True  # the fixture's database is at head
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'web_02'"))
        with engine.connect() as conn:
            assert schema_is_current(conn) is False
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        with engine.connect() as conn:
            assert schema_is_current(conn) is False  # the failed query is rolled back (PostgreSQL aborts it)
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
