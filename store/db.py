"""Engine, sessions and schema migrations.

``open_database()`` is what commands call: it resolves the URL from the settings, creates the data
directory for the SQLite default, applies pending migrations (``auto_upgrade``), and raises
``DatabaseError`` with a one-line French message when the database cannot be reached or written.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from store.settings import get_store_settings

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("ohmylot.db")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


SQLITE_MMAP_BYTES = 1 << 30


class DatabaseError(RuntimeError):
    """The database cannot be opened, reached or written; the message is meant for the user."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL: readers never block the writer (the scheduler, the crawls and the web app share the file).
    cursor.execute("PRAGMA journal_mode=WAL")
    # Pages read through a memory map, not copied by a read() each: the offer rows are wide (descriptions
    # overflow onto other pages) and a search reads hundreds of them (2-2.5x less CPU per search measured at
    # 100,000 offers, BENCHMARKS.md). Address space only: the OS page cache holds the pages either way.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys and a busy timeout (several processes may write)."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at our migrations and at ``url``."""
    # Alembic is imported where it is used: a crawl process (the runner migrated already) never needs it.
    from alembic.config import Config  # noqa: PLC0415

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_UPGRADE_LOCK = threading.Lock()
_UP_TO_DATE: set[str] = set()
#: the PostgreSQL advisory lock key of schema migrations (any constant shared by every process)
MIGRATION_LOCK_KEY = 0x6F686D6C  # "ohml"
BUSY_MESSAGE = "schéma en cours de mise à jour par un autre processus"


class SchemaBusy(DatabaseError):
    """Another process holds the migration lock for longer than this one agreed to wait."""


def migration_wait_seconds() -> float:
    """How long a process waits for another one's migration (``OHMYLOT_MIGRATION_WAIT_SECONDS``, 300)."""
    return get_store_settings().migration_wait_seconds


def script_heads(url: str) -> set[str]:
    """The head revisions of the migrations shipped with this code."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see alembic_config

    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def database_heads(conn: Connection) -> set[str]:
    """The revisions the database is at (empty when never migrated)."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - see alembic_config

    return set(MigrationContext.configure(conn).get_current_heads())


_ASSIGNMENT = "^{name}\\s*(?::[^=\\n]*)?=\\s*(.+?)\\s*$"


def _file_revision(text: str) -> tuple[str, tuple[str, ...]] | None:
    """A migration file's ``revision`` and ``down_revision``s when they are plain literals (None otherwise)."""
    found: dict[str, object] = {}
    for name in ("revision", "down_revision", "depends_on"):
        match = re.search(_ASSIGNMENT.format(name=name), text, re.MULTILINE)
        if match is None:
            return None
        try:
            found[name] = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            return None
    revision, down = found["revision"], found["down_revision"]
    if not isinstance(revision, str) or found["depends_on"] is not None:
        return None
    parents = (down,) if isinstance(down, str) else down if isinstance(down, tuple) else () if down is None else None
    if parents is None or not all(isinstance(parent, str) for parent in parents):
        return None
    return revision, parents


_HEADS_READ: dict[str, Any] = {}


def shipped_heads() -> set[str] | None:
    """The head revisions of the shipped migrations read from their files without Alembic (a few ms instead
    of ~0.3 s of imports); None when a file is not of the plain form read here (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        paths = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
        stamp = tuple((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in paths)
        if _HEADS_READ.get("stamp") == stamp:  # the same files as last time in this process
            return set(_HEADS_READ["heads"]) if _HEADS_READ["heads"] is not None else None
        for path in paths:
            found = _file_revision(path.read_text(encoding="utf-8"))
            if found is None:
                return None
            revisions.add(found[0])
            parents.update(found[1])
    except OSError:
        return None
    heads = (revisions - parents) or None
    _HEADS_READ.update(stamp=stamp, heads=heads)
    return set(heads) if heads is not None else None


def schema_is_current(conn: Connection) -> bool:
    """True when the database is at the shipped heads, read with one query of ``alembic_version``; False when
    it is not, or when that cannot be told this way (no table yet, files of another form): Alembic decides."""
    expected = shipped_heads()
    if expected is None:
        return False
    try:
        current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        conn.rollback()  # no table yet (never migrated): the connection stays usable for Alembic
        return False
    return current == expected


def _lock_postgres(conn: Connection, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}).scalar():
        conn.commit()
        if time.monotonic() >= deadline:
            raise SchemaBusy(f"{BUSY_MESSAGE} (attendu {wait:.0f} s) : réessayez quand il aura fini")
        time.sleep(0.25)
    conn.commit()  # the advisory lock is held by the session, across the migrations' own transaction


def _lock_sqlite(conn: Connection, wait: float) -> None:
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait * 1000)}")
    try:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")
    except OperationalError as exc:
        if "locked" in str(exc.orig):
            raise SchemaBusy(f"{BUSY_MESSAGE} (attendu {wait:.0f} s) : réessayez quand il aura fini") from exc
        raise


@contextmanager
def migration_lock(engine: Engine, wait: float) -> Iterator[Connection]:
    """A connection holding the schema-migration lock: a PostgreSQL advisory lock, or an exclusive SQLite
    transaction (committed on success). Other processes wait up to ``wait`` seconds, then ``SchemaBusy``."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            _lock_postgres(conn, wait)
            try:
                yield conn
                conn.commit()
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
        elif conn.dialect.name == "sqlite":
            _lock_sqlite(conn, wait)
            try:
                yield conn
                conn.commit()
            finally:
                conn.rollback()
        else:
            yield conn


def upgrade(url: str, revision: str = "head", *, wait: float | None = None) -> bool:
    """Apply migrations up to ``revision`` under the migration lock; False when there was nothing to do.

    The revision is read again once the lock is held: a process that waited for another one's upgrade
    finds the schema current and does nothing (two processes upgrading at once both end well).
    """
    wait = migration_wait_seconds() if wait is None else wait
    with _UPGRADE_LOCK:  # Alembic's command API is not thread-safe: one at a time in a process too
        engine = make_engine(url)
        try:
            with migration_lock(engine, wait) as conn:
                if revision == "head" and database_heads(conn) == script_heads(url):
                    return False
                log.info("schema migration to %s started", revision)
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                from alembic import command  # noqa: PLC0415 - see alembic_config

                command.upgrade(cfg, revision)
                log.info("schema migration to %s finished", revision)
                return True
        finally:
            engine.dispose()


def _ensure_latest(engine: Engine, url: str) -> None:
    """Migrate to the latest revision unless this process already saw the database there."""
    if url in _UP_TO_DATE:
        return
    with engine.connect() as conn:
        current = None if schema_is_current(conn) else database_heads(conn)
    if current is not None and current != script_heads(url):  # behind (or unknown): Alembic, as always
        upgrade(url)
    _UP_TO_DATE.add(url)


@dataclass
class Database:
    """An opened database: its URL, engine and session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"impossible de créer le dossier de données {path.parent} ({exc.strerror}) : "
            "choisissez-en un autre avec OHMYLOT_DATA_DIR"
        ) from exc
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise DatabaseError(
            f"le dossier de données {path.parent} n'est pas accessible en écriture : "
            "choisissez-en un autre avec OHMYLOT_DATA_DIR"
        )


def open_database(url: str | None = None, *, auto_upgrade: bool = True) -> Database:
    """Open the configured database (or ``url``), migrating it to the latest schema if asked."""
    url = url or get_store_settings().resolved_database_url()
    try:
        sa_url = make_url(url)
    except Exception as exc:  # noqa: BLE001 - any parse error is a user error
        raise DatabaseError(f"adresse de base de données invalide : {url!r}") from exc
    if sa_url.get_backend_name() == "sqlite":
        _prepare_sqlite_file(url)
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if auto_upgrade:
            _ensure_latest(engine, url)
    except DatabaseError:
        raise
    except (SQLAlchemyError, OSError, ModuleNotFoundError) as exc:
        shown = sa_url.render_as_string(hide_password=True)
        detail = str(getattr(exc, "orig", None) or exc).strip()
        reason = detail.splitlines()[0] if detail else type(exc).__name__
        raise DatabaseError(f"base de données injoignable ({shown}) : {reason}") from exc
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def current_revision(db: Database) -> str | None:
    """The Alembic revision the database is at (None when never migrated)."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
