"""``ohmylot sources quality``: per source, the share of postings with each normalised field resolved.

Read from the ``posting`` table (open postings by default). A low share points at a spider that misses
a field, or at a source that does not publish it: staff see where to look, the IT person which spider
to fix.

The crawl area owns the ``sources`` command group (``sources list`` / ``sources health`` in
``jobs/cmd_crawl.py``). ``register(app)`` adds ``quality`` to that group when it is already registered
(list ``jobs.cmd_quality`` after ``jobs.cmd_crawl`` in ``COMMAND_MODULES``), and creates the group
otherwise. ``quality_command`` is the plain function, for whoever wires it differently.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import case, func, select

from jobs.console import open_db, out
from jobs.errors import UserError
from store.models import Posting

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

# (key, short French column title): the fields whose presence is measured.
FIELDS: tuple[tuple[str, str], ...] = (
    ("commune", "commune"),
    ("lieu", "lieu¹"),
    ("rome", "ROME"),
    ("contrat", "contrat"),
    ("duree_travail", "temps"),
    ("salaire", "salaire"),
    ("experience", "expér."),
    ("employeur", "employeur"),
    ("description", "descr."),
    ("publication", "publiée"),
    ("expiration", "expire"),
)


@dataclass
class SourceQuality:
    """Counts for one source: postings and, per field, how many have it resolved."""

    source_id: str
    postings: int
    resolved: dict[str, int] = field(default_factory=dict)

    def share(self, key: str) -> float:
        """Share (0–1) of postings with the field resolved."""
        return self.resolved.get(key, 0) / self.postings if self.postings else 0.0


def source_quality(session: Any, *, source: str | None = None, include_closed: bool = False) -> list[SourceQuality]:
    """Per-source field coverage of postings (one grouped SQL query; works on SQLite and PostgreSQL)."""
    def present(column: Any) -> Any:
        return func.sum(case((column.is_not(None), 1), else_=0))

    def present_text(column: Any) -> Any:
        return func.sum(case(((column.is_not(None)) & (column != ""), 1), else_=0))

    columns = {
        "commune": func.sum(case(((Posting.commune_insee.is_not(None)) & (Posting.location_level == "commune"), 1),
                                 else_=0)),
        "lieu": present(Posting.location_level),
        "rome": present_text(Posting.rome_code),
        "contrat": present_text(Posting.contract_type),
        "duree_travail": present_text(Posting.working_time),
        "salaire": func.sum(case(((Posting.salary_min.is_not(None)) | (Posting.salary_max.is_not(None)), 1),
                                 else_=0)),
        "experience": present_text(Posting.experience),
        "employeur": present_text(Posting.employer_name),
        "description": present_text(Posting.description_text),
        "publication": present(Posting.published_at),
        "expiration": present(Posting.expires_at),
    }
    query = select(Posting.source_id, func.count(Posting.id), *[columns[k].label(k) for k, _ in FIELDS])
    if source:
        query = query.where(Posting.source_id == source)
    if not include_closed:
        query = query.where(Posting.status == "open")
    query = query.group_by(Posting.source_id).order_by(Posting.source_id)
    out = []
    for row in session.execute(query):
        values = list(row)
        out.append(SourceQuality(
            source_id=values[0],
            postings=int(values[1] or 0),
            resolved={k: int(v or 0) for (k, _), v in zip(FIELDS, values[2:], strict=True)},
        ))
    return out


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def quality_command(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Une seule source (identifiant)")] = None,
    include_closed: Annotated[
        bool, typer.Option("--toutes", help="Compter aussi les annonces fermées (par défaut : ouvertes seulement)")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table (défaut), json ou csv")
    ] = "table",
) -> None:
    """Par source, la part des annonces dont chaque champ est renseigné (commune, ROME, contrat, salaire…)."""
    if output_format not in ("table", "json", "csv"):
        raise UserError(f"format inconnu : {output_format!r} (table, json ou csv)")

    db = open_db(quiet=output_format != "table")
    with db.session() as session:
        rows = source_quality(session, source=source, include_closed=include_closed)
    if source and not rows:
        raise UserError(f"aucune annonce pour la source {source!r} (voir : ohmylot sources list)")
    if output_format == "json":
        for row in rows:
            data = asdict(row)
            data["shares"] = {k: round(row.share(k), 4) for k, _ in FIELDS}
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["source", "annonces", *[k for k, _ in FIELDS]])
        for row in rows:
            writer.writerow([row.source_id, row.postings, *[f"{row.share(k):.4f}" for k, _ in FIELDS]])
        return
    if not rows:
        out.print("Aucune annonce enregistrée : lancez d'abord une collecte (ohmylot crawl …).")
        return

    table = Table(
        title="Qualité des champs par source (part des annonces renseignées)",
        caption="¹ lieu : commune ou, à défaut, département. En rouge : moins de 50 %.",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    # Numbers never shrink to "…": on a narrow terminal the source names wrap instead.
    table.add_column("source", overflow="fold", min_width=12)
    table.add_column("annonces", justify="right", no_wrap=True, min_width=8)
    for _, title in FIELDS:
        table.add_column(title, justify="right", no_wrap=True, min_width=max(5, len(title)))
    for row in rows:
        cells = []
        for key, _ in FIELDS:
            share = row.share(key)
            text = _percent(share)
            cells.append(f"[red]{text}[/red]" if share < 0.5 else text)
        table.add_row(row.source_id, str(row.postings), *cells)
    # Piped into a file or another program, the table keeps one line per source.
    console = out if out.is_terminal else Console(file=sys.stdout, width=240, highlight=False)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``quality`` to the existing ``sources`` group, or create the group when there is none."""
    for group in app.registered_groups:
        if group.name == "sources" and group.typer_instance is not None:
            group.typer_instance.command("quality")(quality_command)
            return
    sources_app = typer.Typer(help="Sources d'annonces : qualité des champs.", no_args_is_help=True)
    sources_app.command("quality")(quality_command)
    app.add_typer(sources_app, name="sources")
