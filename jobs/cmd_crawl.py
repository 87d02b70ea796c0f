"""``ohmylot sources …`` and ``ohmylot crawl …``: the source registry, crawls and crawl health.

- ``ohmylot sources list``: the registered sources, whether each is active (and why not), its last run.
- ``ohmylot sources health [SOURCE]``: the last runs of each source, with their health alerts.
- ``ohmylot crawl SOURCE…`` / ``ohmylot crawl --all``: crawl sources (each in a ``scrapy crawl``
  subprocess, ``crawlers.runner.run_crawl``), with a progress display and a summary table; ends with a
  warning when a source yielded less than half of its recent median (RELIABILITY.md C7).

Other areas add commands to the ``sources`` group through ``sources_app`` (e.g. ``ohmylot sources quality``)::

    from jobs.cmd_crawl import sources_app

    @sources_app.command("quality")
    def quality() -> None: ...
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from crawlers.registry import RegistryError
from jobs.console import err, open_db, out, require
from jobs.errors import UserError
from store.crawls import RUN_STATUS_LABELS, recent_runs, sync_sources
from store.leases import current_leases, reap_stale_runs
from store.models import CrawlRun

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

sources_app = typer.Typer(
    help="Sources d'offres : registre, santé des collectes.", no_args_is_help=True, rich_markup_mode=None
)

STATUS_LABELS = RUN_STATUS_LABELS
STATUS_STYLES = {"success": "green", "partial": "yellow", "failed": "red", "running": "cyan", "interrupted": "red"}


def _registry() -> list[Any]:
    """The registry file's sources and those staff added from the web app (``crawlers.managed``)."""
    from crawlers.managed import load_sources

    try:
        return load_sources()
    except RegistryError as exc:
        raise UserError(str(exc)) from exc


def _parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{option} attend CLÉ=VALEUR, reçu {value!r}")
        result[key.strip()] = rest
    return result


def _when(value: Any) -> str:
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y %H:%M")


def _reasons_text(reasons: list[str] | tuple[str, ...]) -> str:
    from crawlers.extensions import PARTIAL_REASONS  # on use: keeps CLI start-up fast

    return ", ".join(PARTIAL_REASONS.get(reason, reason) for reason in reasons)


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
    app.command("crawl")(crawl)


@sources_app.command("list")
def sources_list(
    inactive: bool = typer.Option(True, "--inactives/--actives-seulement", help="Montrer aussi les sources inactives."),
) -> None:
    """Liste les sources (crawlers/sources.toml et celles ajoutées depuis l'application), leur état et leur
    dernière collecte."""
    entries = _registry()
    db = open_db(quiet=True)
    last: dict[str, Any] = {}
    with db.session() as session:
        sync_sources(session, entries)
        for entry in entries:
            runs = recent_runs(session, entry.id, limit=1)
            last[entry.id] = runs[0] if runs else None
    table = Table(title=f"Sources ({len(entries)})", title_justify="left")
    for column in ("Source", "Plateforme", "Planification", "État", "Dernière collecte"):
        table.add_column(column)
    notes = []
    shown = 0
    for entry in entries:
        if not inactive and not entry.active:
            continue
        shown += 1
        state = "[green]active[/green]" if entry.active else "[yellow]inactive[/yellow]"
        if not entry.active:
            notes.append(f"{entry.id} inactive : {entry.inactive_reason}")
        run = last.get(entry.id)
        run_text = (
            f"{_when(run.started_at)}\n{STATUS_LABELS.get(run.status, run.status)}, {run.items_scraped} offres"
            if run
            else "jamais"
        )
        origin = " (ajoutée depuis l'application)" if entry.origin == "web" else ""
        table.add_row(
            f"{entry.id}\n[dim]{entry.name}{origin}[/dim]", entry.platform, entry.schedule or "—", state, run_text
        )
    out.print(table)
    for note in notes:
        out.print(f"[yellow]•[/yellow] {note}")
    if not shown:
        out.print("Aucune source active.")


@sources_app.command("health")
def sources_health(
    source: str | None = typer.Argument(None, help="Une source (toutes par défaut)."),
    runs: int = typer.Option(5, "--collectes", "-n", min=1, max=100, help="Nombre de collectes par source."),
) -> None:
    """Montre les dernières collectes de chaque source : statut, offres, rejets, erreurs, alertes."""
    entries = {entry.id: entry for entry in _registry()}
    db = open_db(quiet=True)
    with db.session() as session:


        for run_id in reap_stale_runs(session):
            err.print(f"[red]Collecte n° {run_id} sans signe de vie : marquée interrompue.[/red]")
        leases = {lease.source_id: lease for lease in current_leases(session)}
        known = set(session.scalars(select(CrawlRun.source_id).distinct()))
        if source is not None:
            if source not in entries and source not in known:
                raise UserError(f"source inconnue : {source} (voir « ohmylot sources list »)")
            ids = [source]
        else:
            ids = sorted(set(entries) | known)
        history = {source_id: recent_runs(session, source_id, limit=runs) for source_id in ids}
    alerts = 0
    for source_id, source_runs in history.items():
        entry = entries.get(source_id)
        title = f"{source_id} — {entry.name}" if entry else source_id
        if not source_runs:
            note = "" if entry is None or entry.active else f" (inactive : {entry.inactive_reason})"
            out.print(f"[bold]{title}[/bold] : aucune collecte{note}")
            continue
        table = Table(title=title, title_justify="left")
        for column in ("N°", "Début", "Statut", "Offres", "Nouv.", "MàJ", "Fermées", "Rejets", "Erreurs", "Remarques"):
            table.add_column(column)
        for run in source_runs:
            stats = run.stats or {}
            notes = []
            if stats.get("partial_reasons"):
                notes.append(_reasons_text(stats["partial_reasons"]))
            if run.status == "running" and run.source_id in leases and leases[run.source_id].run_id == run.id:
                notes.append(f"par {leases[run.source_id].holder}, dernier signe de vie {_when(run.heartbeat_at)}")
            if run.status in ("failed", "interrupted") and stats.get("failure"):
                notes.append(str(stats["failure"]))
            for issue in stats.get("health", []):
                if isinstance(issue, dict) and issue.get("kind") not in ("failed", "finish_reason", "errors"):
                    notes.append(f"[yellow]{issue.get('message')}[/yellow]")
                    alerts += 1
            drops = ", ".join(f"{k} {v}" for k, v in sorted((run.drops or {}).items()))
            style = STATUS_STYLES.get(run.status, "")
            table.add_row(
                str(run.id),
                _when(run.started_at),
                f"[{style}]{STATUS_LABELS.get(run.status, run.status)}[/{style}]",
                str(run.items_scraped),
                str(run.items_new),
                str(run.items_updated),
                str(run.items_closed),
                f"{run.items_dropped}" + (f" ({drops})" if drops else ""),
                str(run.errors),
                " ; ".join(notes) or "",
            )
        out.print(table)
    if alerts:
        err.print(f"[yellow]{alerts} alerte(s) de santé dans ces collectes.[/yellow]")


def crawl(
    sources: list[str] | None = typer.Argument(None, help="Identifiants des sources à collecter."),
    all_sources: bool = typer.Option(False, "--all", "--toutes", help="Collecter toutes les sources actives."),
    url: str | None = typer.Option(None, "--url", help="Adresse de départ à la place de celle du registre."),
    timeout: float = typer.Option(3600, "--timeout", "--delai-max", min=1, help="Durée maximale par source (s)."),
    setting: list[str] | None = typer.Option(None, "--set", "-s", help="Réglage Scrapy CLÉ=VALEUR (répétable)."),
    arg: list[str] | None = typer.Option(None, "--arg", "-a", help="Argument du robot clé=valeur (répétable)."),
    jobs: int = typer.Option(1, "--parallele", "-j", min=1, max=8, help="Sources collectées en même temps."),
) -> None:
    """Collecte les offres d'une ou plusieurs sources du registre (ou de toutes avec --all)."""
    from crawlers.runner import CrawlSetupError, run_crawl  # on use: keeps CLI start-up fast
    from store.db import DatabaseError  # on use: keeps CLI start-up fast

    require(crawling=True)
    entries = _registry()
    settings = _parse_pairs(setting, "--set")
    spider_args = _parse_pairs(arg, "--arg")
    chosen = _choose(entries, sources, all_sources=all_sources, url=url)
    db = open_db()
    db.engine.dispose()

    run = functools.partial(
        run_crawl, url=url, settings=settings, spider_args=spider_args, timeout=timeout, allow_inactive=bool(url)
    )
    outcomes, failures = _crawl_with_progress(chosen, run, jobs, (CrawlSetupError, DatabaseError, OSError))
    _print_summary(chosen, outcomes, failures)
    warnings = [(source_id, message) for source_id, o in outcomes.items() for message in o.health]
    for source_id, message in warnings:
        err.print(f"[yellow]Attention[/yellow] : {source_id} : {message}")
    failed = [source_id for source_id, o in outcomes.items() if o.status == "failed"] + list(failures)
    if failed:
        raise UserError(f"collecte en échec pour : {', '.join(failed)} (voir « ohmylot sources health »)")


def _choose(entries: list[Any], sources: list[str] | None, *, all_sources: bool, url: str | None) -> list[Any]:
    """The registry entries to crawl, from the command line; a one-line French error otherwise."""
    if all_sources and sources:
        raise UserError("indiquez des sources ou --all, pas les deux")
    if not all_sources and not sources:
        raise UserError("indiquez au moins une source (voir « ohmylot sources list ») ou --all")
    if url and (all_sources or len(sources or []) != 1):
        raise UserError("--url ne s'utilise qu'avec une seule source")
    if all_sources:
        chosen = [entry for entry in entries if entry.active]
        for entry in entries:
            if not entry.active:
                err.print(f"[dim]Source {entry.id} ignorée : {entry.inactive_reason}[/dim]")
        if not chosen:
            raise UserError("aucune source active dans le registre (voir « ohmylot sources list »)")
    else:
        chosen = []
        by_id = {entry.id: entry for entry in entries}
        for source_id in dict.fromkeys(sources or []):
            entry = by_id.get(source_id)
            if entry is None:
                raise UserError(f"source inconnue : {source_id} (voir « ohmylot sources list »)")
            if not entry.active and not url:
                raise UserError(f"la source {source_id} est inactive : {entry.inactive_reason}")
            chosen.append(entry)
    return chosen


def _crawl_with_progress(
    chosen: list[Any], run: Callable[..., Any], jobs: int, errors: tuple[type[BaseException], ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Crawl the chosen sources, ``jobs`` at a time, with one progress line each; Ctrl-C cancels them all."""
    outcomes: dict[str, Any] = {}
    failures: dict[str, str] = {}
    lock = threading.Lock()
    cancel = threading.Event()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=None, pulse_style="cyan"),
        TextColumn("{task.fields[items]} offres · {task.fields[new]} nouvelles"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        tasks = {
            entry.id: progress.add_task(f"{entry.id}", total=None, items=0, new=0, start=False) for entry in chosen
        }

        def update(snapshot: Any) -> None:  # a crawlers.runner.CrawlProgress
            with lock:
                progress.update(tasks[snapshot.source_id], items=snapshot.items_scraped, new=snapshot.new)

        def one(entry: Any) -> None:
            progress.start_task(tasks[entry.id])
            try:
                outcome = run(entry.id, on_progress=update, cancel=cancel)
            except errors as exc:
                failures[entry.id] = str(exc)
                progress.update(tasks[entry.id], total=1, completed=1, description=f"{entry.id} [red]impossible[/red]")
                return
            outcomes[entry.id] = outcome
            style = STATUS_STYLES.get(outcome.status, "")
            label = "délai dépassé" if outcome.timed_out else STATUS_LABELS.get(outcome.status, outcome.status)
            progress.update(
                tasks[entry.id],
                total=1,
                completed=1,
                items=outcome.items_scraped,
                new=outcome.new,
                description=f"{entry.id} [{style}]{label}[/{style}]",
            )

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(one, entry) for entry in chosen]
            try:
                for future in futures:
                    future.result()
            except KeyboardInterrupt:
                # Ctrl-C: stop the running crawls (their runs are recorded as cancelled), start no other
                cancel.set()
                for future in futures:
                    future.cancel()
                raise
    return outcomes, failures


def _print_summary(chosen: list[Any], outcomes: dict[str, Any], failures: dict[str, str]) -> None:
    table = Table(title="Résumé des collectes", title_justify="left")
    for column in (
        "Source",
        "Statut",
        "Offres",
        "Nouvelles",
        "Mises à jour",
        "Fermées",
        "Rejetées",
        "Durée",
        "Remarques",
    ):
        table.add_column(column)
    totals = [0, 0, 0, 0, 0]
    for entry in chosen:
        if entry.id in failures:
            table.add_row(entry.id, "[red]impossible[/red]", "", "", "", "", "", "", failures[entry.id])
            continue
        o = outcomes.get(entry.id)
        if o is None:
            continue
        style = STATUS_STYLES.get(o.status, "")
        label = "délai dépassé" if o.timed_out else STATUS_LABELS.get(o.status, o.status)
        notes = _reasons_text(o.partial_reasons) if o.status != "success" else ""
        if o.status == "failed" and o.log_path:
            notes = (notes + " ; " if notes else "") + f"journal : {o.log_path}"
        table.add_row(
            entry.id,
            f"[{style}]{label}[/{style}]",
            str(o.items_scraped),
            str(o.new),
            str(o.updated),
            str(o.closed),
            str(o.items_dropped),
            f"{o.duration_s:.1f} s",
            notes,
        )
        for index, value in enumerate((o.items_scraped, o.new, o.updated, o.closed, o.items_dropped)):
            totals[index] += value
    if len(chosen) > 1:
        table.add_row("[bold]Total[/bold]", "", *[str(value) for value in totals], "", "")
    out.print(table)
