"""Alembic environment: runs migrations against the URL set by ``store.db.alembic_config`` or,
when called as ``alembic upgrade head`` from the repository root, against ``OHMYLOT_DATABASE_URL``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from store.db import make_engine
from store.models import Base
from store.search import is_search_object
from store.settings import get_store_settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    settings = get_store_settings()
    url = settings.resolved_database_url()
    if url.startswith("sqlite:///"):
        settings.resolved_data_dir().mkdir(parents=True, exist_ok=True)
    return url


# Tables that other libraries manage in our database (APScheduler's job store): not ours to migrate.
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # The full-text search objects are made by migrations only (see store/search.py).
    return not (type_ == "table" and name in FOREIGN_TABLES) and not is_search_object(name, type_)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # ``store.db.upgrade`` passes the connection that holds the migration lock (advisory lock or exclusive
    # transaction): the migrations must run on it, not on a connection of their own.
    given = config.attributes.get("connection")
    if given is not None:
        _run_on(given)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run_on(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
