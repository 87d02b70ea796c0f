"""``ohmylot scheduler``: the scheduler process and the operators' commands (list, run, history)."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from jobs.console import err, open_db, out, require
from jobs.errors import UserError
from store.logs import configure_logging
from store.models import JobRun

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

log = logging.getLogger("ohmylot.scheduler")


def _beat(db) -> None:  # type: ignore[no-untyped-def]
    """Record the scheduler's heartbeat; a database away for a while is logged, not fatal."""
    from services.operations import beat  # on use: keeps CLI start-up fast

    try:
        beat(db, "scheduler")
    except SQLAlchemyError as exc:
        log.warning("heartbeat not recorded: %s", str(getattr(exc, "orig", None) or exc).splitlines()[0])


sched = typer.Typer(
    help="Tâches planifiées : lancer le planificateur, voir le planning, exécuter une tâche, historique.",
    invoke_without_command=True,
)


@sched.callback()
def scheduler(ctx: typer.Context) -> None:
    """Sans sous-commande : lance le planificateur (un seul processus, arrêt par Ctrl-C ou SIGTERM)."""
    if ctx.invoked_subcommand is not None:
        return
    from apscheduler.schedulers.background import BackgroundScheduler  # on use: keeps CLI start-up fast

    from jobs.scheduler import build_scheduler, job_specs, refresh_jobs, sync_jobs  # on use: keeps CLI start-up fast
    from services.operations import HEARTBEAT_SECONDS, forget  # on use: keeps CLI start-up fast

    require(crawling=True)
    configure_logging("scheduler")
    db = open_db()
    specs = job_specs()
    scheduler = build_scheduler(db, specs=specs, scheduler_class=BackgroundScheduler)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start(paused=True)
    sync_jobs(scheduler, specs)
    scheduler.resume()
    err.print(f"Planificateur démarré : {len(specs)} tâches. Ctrl-C pour arrêter.")
    for job in sorted(scheduler.get_jobs(), key=lambda j: j.next_run_time):
        err.print(f"  {job.id:<40} prochaine exécution {job.next_run_time:%Y-%m-%d %H:%M %Z}")
    _beat(db)
    from crawlers.worker_spawn import crawl_worker  # on use: keeps CLI start-up fast

    with crawl_worker({"OHMYLOT_DATABASE_URL": db.url}, ready_timeout=30) as worker:  # the nightly crawls fork from it
        if worker.ready:
            err.print("Serveur de collecte préchargé prêt.")
        while not stop.wait(HEARTBEAT_SECONDS):  # the heartbeat /readyz reads
            _beat(db)
            refresh_jobs(scheduler)  # sources added, paused or removed by staff in the web app
            worker.ensure()  # started again after a code upgrade stopped it
        err.print("Arrêt du planificateur (les tâches en cours se terminent)…")
        scheduler.shutdown(wait=True)
    try:
        forget(db, "scheduler")
    except SQLAlchemyError:
        pass


@sched.command("list")
def list_jobs() -> None:
    """Affiche les tâches planifiées et leur prochaine exécution."""
    from jobs.scheduler import ScheduleSettings, job_specs  # on use: keeps CLI start-up fast

    settings = ScheduleSettings()
    now = datetime.now(UTC)
    table = Table(title=f"Planning (fuseau {settings.timezone})", title_justify="left")
    table.add_column("tâche")
    table.add_column("prochaine exécution")
    table.add_column("description")
    rows = []
    for spec in job_specs(settings):
        nxt = spec.trigger.get_next_fire_time(None, now)
        rows.append((nxt, spec))
    for nxt, spec in sorted(rows, key=lambda r: (r[0] is None, r[0])):
        table.add_row(spec.id, f"{nxt:%Y-%m-%d %H:%M %Z}" if nxt else "—", spec.description)
    out.print(table)


@sched.command("run")
def run(
    job_id: str = typer.Argument(..., help="Identifiant de la tâche (voir « ohmylot scheduler list »)."),
    force: bool = typer.Option(False, "--force", help="Exécute même si le créneau courant a déjà tourné."),
) -> None:
    """Exécute une tâche maintenant (une seule fois par créneau, sauf --force)."""
    from jobs.scheduler import run_now  # on use: keeps CLI start-up fast

    db = open_db()
    try:
        outcome = run_now(db, job_id, force=force)
    except KeyError:
        raise UserError(f"tâche inconnue : {job_id} (voir « ohmylot scheduler list »)") from None
    if outcome.status == "skipped":
        out.print(f"{job_id} : déjà exécutée ou en cours pour le créneau {outcome.slot} (--force pour relancer)")
        return
    label = {"success": "réussie", "failed": "échec"}.get(outcome.status, outcome.status)
    out.print(f"{job_id} : {label} en {outcome.duration_s:.1f} s (créneau {outcome.slot})")
    if outcome.status != "success":
        raise UserError(f"{job_id} a échoué : {outcome.error}")


@sched.command("history")
def history(
    job: str = typer.Option(None, "--job", help="Filtre sur une tâche (ex. crawl:sandbox-hellowork)."),
    status: str = typer.Option(None, "--status", help="Filtre : success, failed, skipped, missed, running."),
    limit: int = typer.Option(30, "--limit", min=1, help="Nombre de lignes."),
) -> None:
    """Historique des exécutions : résultat, durée, erreur."""
    db = open_db(quiet=True)
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job:
        query = query.where(JobRun.job_id == job)
    if status:
        query = query.where(JobRun.status == status)
    table = Table(title="Historique des tâches", title_justify="left")
    for column in ("tâche", "créneau", "déclenchement", "résultat", "durée", "erreur"):
        table.add_column(column)
    with db.session() as session:
        for run in session.scalars(query):
            duration = ""
            if run.finished_at and run.started_at:
                duration = f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
            table.add_row(run.job_id, run.slot, run.trigger or "", run.status, duration, (run.error or "")[:60])
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(sched, name="scheduler")
