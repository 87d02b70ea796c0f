"""What every process checks before it starts (docs/reliability.md R6).

``ohmylot serve``, ``ohmylot scheduler``, ``ohmylot crawl`` and ``ohmylot crawl-workers`` call
``check_startup`` first; a process that lacks what it needs refuses to start with one French line naming the
fix (``StartupError``), instead of starting and failing later (a crawl whose log cannot be written, an upload
that answers 500). The checks are small functions, reusable by readiness probes:

- ``check_database``: reachable, and at the migration this code expects (``ohmylot db upgrade`` otherwise);
- ``check_data_dir``: the data directory exists (or can be created) and a file can be written in it;
- ``check_secret_key``: when serving pages, a secret key (``OHMYLOT_SECRET_KEY``, ≥ 32 characters) outside
  development;
- ``check_sources``: the source registry can be read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from services.settings import SettingsError, get_web_settings
from store.db import DatabaseError, database_heads, open_database, schema_is_current, script_heads
from store.settings import get_store_settings


class StartupError(RuntimeError):
    """What the process lacks, and how to fix it, in one French line."""


def check_database(url: str | None = None, *, upgrade: bool = True) -> None:
    """The database answers and is at the expected migration (after migrating it when ``upgrade``)."""
    try:
        db = open_database(url, auto_upgrade=upgrade)
    except DatabaseError as exc:
        raise StartupError(f"{exc} : vérifiez OHMYLOT_DATABASE_URL et que le serveur répond") from exc
    try:
        with db.engine.connect() as conn:  # one query when the schema is current; Alembic only otherwise
            current = None if schema_is_current(conn) else database_heads(conn)
        expected = script_heads(db.url) if current is not None else set()
    finally:
        db.engine.dispose()
    if current is not None and current != expected:
        raise StartupError(
            f"la base de données est à la révision {', '.join(sorted(current)) or 'vide'}, ce code attend "
            f"{', '.join(sorted(expected))} : lancez « ohmylot db upgrade » (ou mettez le code à jour)"
        )


def check_data_dir(path: Path | None = None) -> Path:
    """The data directory exists or can be created, and a file can be written in it; returns it."""
    directory = path or get_store_settings().resolved_data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".ohmylot-check-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise StartupError(
            f"le dossier de données {directory} n'est pas accessible en écriture ({exc.strerror or exc}) : "
            "donnez les droits d'écriture à ce compte ou choisissez un autre dossier avec OHMYLOT_DATA_DIR"
        ) from exc
    return directory


def check_secret_key() -> None:
    """When serving pages: a real secret key outside development."""
    try:
        get_web_settings().checked()
    except SettingsError as exc:
        raise StartupError(str(exc)) from exc


def check_sources() -> None:
    """The source registry (``crawlers/sources.toml`` or ``OHMYLOT_SOURCES``) can be read."""
    from crawlers.registry import RegistryError, load_registry  # loads Scrapy: only the checks that crawl pay

    try:
        load_registry()
    except (RegistryError, OSError) as exc:
        raise StartupError(
            f"registre des sources illisible : {exc} (corrigez le fichier ou la variable OHMYLOT_SOURCES)"
        ) from exc


def startup_checks(*, serving: bool = False, crawling: bool = False) -> list[Callable[[], object]]:
    """The checks a process needs: every process the data directory and the database; a web server its
    secret key; whatever crawls (the scheduler too) the source registry."""
    checks: list[Callable[[], object]] = [check_data_dir, check_database]
    if serving:
        checks.append(check_secret_key)
    if crawling:
        checks.append(check_sources)
    return checks


def check_startup(*, serving: bool = False, crawling: bool = False) -> None:
    """Run the checks in order; the first that fails raises ``StartupError``."""
    for check in startup_checks(serving=serving, crawling=crawling):
        check()
