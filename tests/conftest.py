"""Shared fixtures.

Database tests (marker ``db``) run on SQLite by default. With ``OHMYLOT_TEST_DATABASE_URL`` pointing at a
PostgreSQL server (``postgresql://postgres@127.0.0.1:5432/test``), each test gets a fresh, migrated, empty
database (``_PostgresFactory``). ``OHMYLOT_TEST_REQUIRE_POSTGRES=1`` (set by CI) turns an unreachable
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


# The schema of a database (relations, columns, constraints, indexes, triggers, functions, text-search
# configurations, extensions, schemas, migration head): a test that changed it gets a new database.
_SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT 'c:' || c.relname || ':' || c.relkind::text || ':' || n.nspname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  UNION ALL SELECT 'a:' || a.attrelid::regclass::text || ':' || a.attname || ':' || a.atttypid || ':'
      || a.attnotnull || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT 'k:' || conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'i:' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT 't:' || tgrelid::regclass::text || ':' || tgname || ':' || tgenabled::text FROM pg_trigger
    WHERE NOT tgisinternal
  UNION ALL SELECT 'p:' || oid::regprocedure::text || ':' || md5(prosrc) FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'f:' || cfgname FROM pg_ts_config WHERE cfgnamespace = 'public'::regnamespace
  UNION ALL SELECT 'e:' || extname || ':' || extversion FROM pg_extension
  UNION ALL SELECT 'n:' || nspname FROM pg_namespace
  UNION ALL SELECT 'v:' || version_num FROM alembic_version
) AS s(x)
"""

# The tables a test wrote to (a non-empty file, even if its rows were deleted since), then how to empty them
# (foreign keys and triggers off for this transaction: session_replication_role). VACUUM afterwards gives the
# space back and truncates the emptied files to zero pages, so that new rows come back in insertion order
# where a query has no ORDER BY, as in a new database. Measured at load ~4: ~0.05 s, where TRUNCATE's new
# files take 0.1–0.7 s and CREATE DATABASE … TEMPLATE + DROP 0.3–1.7 s.
_WRITTEN = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname = 'public' AND tablename <> 'alembic_version'
  AND pg_relation_size(format('%I.%I', schemaname, tablename)) > 0
"""
_RESTART_SEQUENCES = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, sequencename FROM pg_sequences
           WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', r.schemaname, r.sequencename);
  END LOOP;
END $$;
"""


class _PostgresFactory:
    """A fresh, migrated, empty database for each test, without paying CREATE DATABASE each time.

    The template is migrated once per worker; the worker's database is cloned from it (CREATE DATABASE …
    TEMPLATE) and, after each test, its other connections are ended and its tables emptied and sequences
    restarted (``_EMPTY``), unless the test changed its schema (``_SCHEMA_FINGERPRINT``): then it is dropped
    and the next test gets a new clone. Each test's URL is distinct (``application_name``), so that nothing
    keyed by the URL (an in-process index cache) carries over from one test to the next. Measured at load
    ~6: CREATE DATABASE … TEMPLATE + DROP cost 0.3–1.7 s per test, emptying 0.01–0.15 s."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        self.admin = create_engine(_psycopg_url(admin_url), isolation_level="AUTOCOMMIT")
        self.base = _psycopg_url(admin_url).rsplit("/", 1)[0]
        self.template = f"ohmylot_tpl_{uuid.uuid4().hex[:10]}"
        self.text = text
        self.null_pool = NullPool
        self.current: str | None = None  # the worker's database, reused while its schema is unchanged
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
            conn.execute(text(f'ALTER DATABASE "{self.template}" SET synchronous_commit = off'))
        from store.db import upgrade

        try:
            upgrade(f"{self.base}/{self.template}")
            self.fingerprint = self._fingerprint(self.template)
            assert self.fingerprint is not None, "the schema fingerprint query failed on the migrated template"
        except BaseException:
            self._drop(self.template)
            raise
        self._end_connections(self.template)  # a template must have no connection to be cloned

    def _engine(self, name: str):  # type: ignore[no-untyped-def]
        from sqlalchemy import create_engine

        return create_engine(f"{self.base}/{name}", poolclass=self.null_pool, isolation_level="AUTOCOMMIT")

    def _fingerprint(self, name: str) -> str | None:
        engine = self._engine(name)
        try:
            with engine.connect() as conn:
                return str(conn.execute(self.text(_SCHEMA_FINGERPRINT)).scalar_one())
        except Exception:  # noqa: BLE001 - a schema the query cannot read (alembic_version dropped) has changed
            return None
        finally:
            engine.dispose()

    def _end_connections(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(self.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})

    def create(self) -> str:
        if self.current is None:
            name = f"ohmylot_t_{uuid.uuid4().hex[:12]}"
            with self.admin.connect() as conn:
                conn.execute(self.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
                # A commit then returns without waiting for its WAL flush (3.3 ms → 0.2 ms measured here): what
                # a test reads back is the same, only a server crash could lose the last commits of a throw-away
                # database. (Database settings are not copied by TEMPLATE, hence one per database.)
                conn.execute(self.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
            self.current = name
        return f"{self.base}/{self.current}?application_name=ohmylot_test_{next(_counter)}"

    def release(self) -> None:
        """After a test: empty the database for the next one, or drop it if its schema changed."""
        name = self.current
        if name is None:
            return
        self._end_connections(name)
        if self._fingerprint(name) == self.fingerprint:
            engine = self._engine(name)
            try:
                with engine.connect() as conn:
                    self._empty(conn)
                return
            except Exception:  # noqa: BLE001 - could not be emptied: a new clone instead
                pass
            finally:
                engine.dispose()
        self.current = None
        self._drop(name)

    def _empty(self, conn) -> None:  # type: ignore[no-untyped-def]
        """Every table as in the template (no row, a zero-page file), every sequence restarted."""
        written = list(conn.execute(self.text(_WRITTEN)).scalars())
        if written:
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in written:
                conn.exec_driver_sql(f"DELETE FROM {table}")
            conn.exec_driver_sql("COMMIT")
            conn.exec_driver_sql(f"VACUUM {', '.join(written)}")
        conn.execute(self.text(_RESTART_SEQUENCES))

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(self.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.current is not None:
            self._drop(self.current)
        self._drop(self.template)
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
        _database_factory.release()


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
