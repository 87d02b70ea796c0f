"""All the sources: the registry file's (``crawlers/sources.toml``, configuration as code, IT's) and those staff
added from the web app (``store.models.ManagedSource``, ``services.managed_sources``).

Every reader of "the sources" goes through :func:`load_sources` / :func:`find_source`: ``ohmylot crawl``,
``ohmylot sources list|health``, the scheduler, the crawl runner and the crawl's recorder. The file's ids
win: the web app refuses an id the file uses, and should IT later add the same id to the file, the staff's
source is left out (logged) rather than crawled twice under one id. A paused staff source is inactive (the
scheduler skips it, ``ohmylot crawl`` refuses it like any inactive source); a stored declaration that no
longer checks (a platform renamed in the code) is left out with a warning instead of stopping every crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crawlers.registry import RegistryError, SourceEntry, entry_from_table, get_source, load_registry
from store.db import DatabaseError, open_database
from store.models import ManagedSource

logger = logging.getLogger(__name__)


def managed_entry(row: ManagedSource, *, environ: Mapping[str, str] | None = None) -> SourceEntry:
    """The registry entry of one staff source (raises ``RegistryError`` when its declaration is invalid)."""
    return entry_from_table({**(row.declaration or {}), "id": row.id}, environ=environ, paused=row.paused)


def managed_entries(
    session: Session, *, taken: Collection[str] = (), environ: Mapping[str, str] | None = None
) -> list[SourceEntry]:
    """The staff's sources, oldest first, without those whose id is ``taken`` (by the file)."""
    entries = []
    for row in session.scalars(select(ManagedSource).order_by(ManagedSource.created_at, ManagedSource.id)):
        if row.id in taken:
            logger.warning("source %s ajoutée depuis l'application ignorée : crawlers/sources.toml utilise "
                           "le même identifiant", row.id)
            continue
        try:
            entries.append(managed_entry(row, environ=environ))
        except RegistryError as exc:
            logger.warning("source %s ajoutée depuis l'application ignorée : %s", row.id, exc)
    return entries


def _with_session(database_url: str | None, work):  # type: ignore[no-untyped-def]
    """``work(session)`` on the configured database; None when it cannot be read (logged)."""
    try:
        db = open_database(database_url, auto_upgrade=False)
    except DatabaseError as exc:
        logger.warning("sources de l'application non lues : %s", exc)
        return None
    try:
        with db.session() as session:
            return work(session)
    except SQLAlchemyError as exc:  # a database not migrated yet has no managed_source table
        logger.warning("sources de l'application non lues : %s", str(getattr(exc, "orig", exc)).splitlines()[0])
        return None
    finally:
        db.engine.dispose()


def load_sources(
    session: Session | None = None,
    *,
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    database_url: str | None = None,
) -> list[SourceEntry]:
    """The file's entries, then the staff's (from ``session``, or the configured database). Raises
    ``RegistryError`` only for the file (a bad staff declaration is left out, see the module docstring)."""
    entries = load_registry(path, environ=environ)
    taken = {entry.id for entry in entries}
    if session is not None:
        return entries + managed_entries(session, taken=taken, environ=environ)
    managed = _with_session(database_url, lambda s: managed_entries(s, taken=taken, environ=environ))
    return entries + (managed or [])


def find_source(
    source_id: str, session: Session | None = None, *, database_url: str | None = None
) -> SourceEntry | None:
    """The source ``source_id``: the file's entry, else the staff's; None when neither knows it."""
    entry = get_source(source_id)
    if entry is not None:
        return entry

    def lookup(s: Session) -> SourceEntry | None:
        row = s.get(ManagedSource, source_id)
        if row is None:
            return None
        try:
            return managed_entry(row)
        except RegistryError as exc:
            logger.warning("source %s ajoutée depuis l'application illisible : %s", source_id, exc)
            return None

    return lookup(session) if session is not None else _with_session(database_url, lookup)
