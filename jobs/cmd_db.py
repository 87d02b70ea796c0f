"""``ohmylot db``: database migrations and information."""

from __future__ import annotations

import time

import typer
from sqlalchemy import func, select

from jobs.console import err, open_db, out
from jobs.errors import UserError
from store.models import Base

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

db_app = typer.Typer(help="Base de données : migrations et informations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Applique les migrations en attente, une seule à la fois (verrou de base de données)."""
    from store.db import DatabaseError, current_revision  # on use: keeps CLI start-up fast
    from store.db import upgrade as run_upgrade  # on use: keeps CLI start-up fast

    db = open_db(quiet=True, auto_upgrade=False)
    started = time.monotonic()
    try:
        changed = run_upgrade(db.url)
    except DatabaseError as exc:
        raise UserError(str(exc)) from exc
    what = f"migrée en {time.monotonic() - started:.1f} s" if changed else "aucune migration en attente"
    out.print(f"Base à jour (révision {current_revision(db)}, {what}) : {db.display_url}")


@db_app.command("info")
def info() -> None:
    """Affiche l'adresse de la base, sa révision et le nombre de lignes par table."""
    from store.db import current_revision  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    out.print(f"Base : {db.display_url}")
    out.print(f"Révision : {current_revision(db)}")
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            count = session.execute(select(func.count()).select_from(table)).scalar_one()
            out.print(f"  {table.name:<20} {count}")
    err.print("[dim]OK[/dim]")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
