"""Shared console helpers for commands: Rich consoles on stdout / stderr and opening the database."""

from __future__ import annotations

from rich.console import Console

from jobs.errors import UserError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def open_db(*, quiet: bool = False, auto_upgrade: bool = True):  # type: ignore[no-untyped-def]
    """Open (and migrate) the configured database; print where it is unless ``quiet``."""
    # Imported here: every `ohmylot` start loads this module, and the store (pydantic, Alembic) costs seconds.
    from store.db import DatabaseError, open_database  # on use: keeps CLI start-up fast

    try:
        db = open_database(auto_upgrade=auto_upgrade)
    except DatabaseError as exc:
        raise UserError(str(exc)) from exc
    if not quiet:
        err.print(f"[dim]Base de données : {db.display_url}[/dim]")
    return db


def require(*, serving: bool = False, crawling: bool = False) -> None:
    """The start checks of a long or writing process (``services.startup``): refuse with one French line."""
    from services.startup import StartupError, check_startup  # on use: keeps CLI start-up fast

    try:
        check_startup(serving=serving, crawling=crawling)
    except StartupError as exc:
        raise UserError(f"démarrage refusé : {exc}") from exc
