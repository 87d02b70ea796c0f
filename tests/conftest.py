"""Shared fixtures.

Database tests (marker ``db``) run on SQLite by default. With ``OHMYLOT_TEST_DATABASE_URL`` pointing at a
PostgreSQL server (``postgresql://postgres@127.0.0.1:5432/test``), each test gets its own fresh database,
cloned from a migrated template. ``OHMYLOT_TEST_REQUIRE_POSTGRES=1`` (set by CI) turns an unreachable
PostgreSQL into a failure instead of a skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
FEEDS = ROOT.parent / "shared" / "fixtures" / "feeds"
if not FEEDS.exists():  # a copy shipped in the repository
    FEEDS = DATA / "feeds"

_counter = itertools.count()
# The prebuilt classifier and gazetteer (matching/cache.py) of every test process and crawl subprocess: kept
# between runs, beside pytest's own cache, rather than in the user's cache directory.
os.environ.setdefault("OHMYLOT_CACHE_DIR", str(ROOT / ".pytest_cache" / "ohmylot"))


def _memory_temp_root() -> str | None:
    """A RAM-backed folder for ``tmp_path`` when the machine has one: every SQLite test database, crawl output
    and data folder lives under ``tmp_path``, and on a disk each SQLite commit waits for an fsync (3.7 ms
    measured here, against 0.03 ms in /dev/shm). Same files, same code paths; only the medium changes.
    ``PYTEST_DEBUG_TEMPROOT`` (pytest's own setting) set by hand wins."""
    shm = Path("/dev/shm")
    if os.environ.get("PYTEST_DEBUG_TEMPROOT") or not shm.is_dir() or not os.access(shm, os.W_OK | os.X_OK):
        return None
    return str(shm)


if (_temp_root := _memory_temp_root()) is not None:
    os.environ["PYTEST_DEBUG_TEMPROOT"] = _temp_root

# The modules holding the longest tests, longest first (measured with --durations on 2026-12-07). They run
# first so that, with ``-n 2 --maxschedchunk 1`` (run.py), the two workers end together on short tests instead
# of one of them finishing a two-minute test alone. A stale list only costs time: every test still runs.
LONG_MODULES = (
    "test_reliability_imports", "test_demo", "test_rank_cli", "test_crawl_end_to_end", "test_crawl_careers",
    "test_ops_demo_guard", "test_feeds_platforms", "test_ops_install", "test_reliability_crawl",
    "test_feeds_declared", "test_crawl_faults", "test_normalize_quality", "test_feeds_lifecycle",
    "test_startup_cache", "test_scheduler", "test_crawl_francetravail", "test_geo_cli", "test_normalize_bench",
    "test_distributed_crawl", "test_rome_cli", "test_rome_eval", "test_cli_basics", "test_crawl_sandbox",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first (``LONG_MODULES``); each module stays whole and in pytest's order (module-scoped
    fixtures are built once per worker, as before)."""
    rank = {name: index for index, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


def _pg_admin_url() -> str | None:
    url = os.environ.get("OHMYLOT_TEST_DATABASE_URL", "")
    return url if url.startswith("postgres") else None


def _psycopg_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


class _PostgresFactory:
    """Creates one database per test from a migrated template (fast: CREATE DATABASE … TEMPLATE)."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine, text

        self.admin = create_engine(_psycopg_url(admin_url), isolation_level="AUTOCOMMIT")
        self.base = _psycopg_url(admin_url).rsplit("/", 1)[0]
        self.template = f"ohmylot_tpl_{uuid.uuid4().hex[:10]}"
        self.text = text
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
            conn.execute(text(f'ALTER DATABASE "{self.template}" SET synchronous_commit = off'))
        from store.db import upgrade

        upgrade(f"{self.base}/{self.template}")
        from sqlalchemy import create_engine as ce

        # Close every connection to the template so that it can be cloned.
        ce(f"{self.base}/{self.template}").dispose()

    def create(self) -> str:
        name = f"ohmylot_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(self.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            # A commit then returns without waiting for its WAL flush (3.3 ms → 0.2 ms measured here): what a
            # test reads back is the same, only a server crash could lose the last commits of a throw-away
            # database. (Database settings are not copied by TEMPLATE, hence one per database.)
            conn.execute(self.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        return f"{self.base}/{name}"

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.execute(self.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(self.text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def _database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    admin_url = _pg_admin_url()
    if admin_url:
        try:
            factory = _PostgresFactory(admin_url)
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("OHMYLOT_TEST_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL required but unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable, database tests skipped: {exc}")
        yield factory
        factory.close()
        return
    from store.db import upgrade

    template = tmp_path_factory.mktemp("dbtemplate") / "template.sqlite3"
    upgrade(f"sqlite:///{template}")
    yield template


@pytest.fixture
def database_url(_database_factory: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of a fresh, migrated, empty database; also exported as ``OHMYLOT_DATABASE_URL``."""
    if isinstance(_database_factory, _PostgresFactory):
        url = _database_factory.create()
    else:
        path = tmp_path / f"ohmylot-{next(_counter)}.sqlite3"
        shutil.copy(_database_factory, path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("OHMYLOT_DATABASE_URL", url)
    monkeypatch.setenv("OHMYLOT_DATA_DIR", str(tmp_path / "data"))
    yield url
    if isinstance(_database_factory, _PostgresFactory):
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()
        _database_factory.drop(url)


@pytest.fixture
def db(database_url: str) -> Iterator[object]:
    """An opened ``store.db.Database`` on a fresh database."""
    from store.db import open_database

    database = open_database(database_url, auto_upgrade=False)
    yield database
    database.engine.dispose()


@pytest.fixture
def feeds_dir() -> Path:
    """The real partner feed files (../shared/fixtures/feeds)."""
    return FEEDS
