"""The scheduler: one APScheduler 3.x process with its job store in the project's database.

Jobs (explicit ids, ``replace_existing=True``):
- ``crawl:<source id>``: every active registered source, on its schedule (registry ``schedule``, a cron
  expression; default: every night), staggered by ``OHMYLOT_SCHEDULE_STAGGER_MINUTES`` per source;
- ``chain:post-crawl``: deduplicate → re-rank → the référents' digest, after the crawl window;
- ``report:crawl-health``: the weekly crawl-health report to staff;
- ``maintenance:expire-offers``: the daily expiry of offers;
- ``maintenance:log-purge``: crawl logs, run ledger and audit log past their retention (services/retention.py);
- ``maintenance:privacy-purge``: the daily retention purge, dry run unless ``OHMYLOT_PURGE_WET_RUN=true``;
- ``outreach:talent-digest``: the weekly talent digest to the employers' network of a territory;
- ``welcome:referent-digest``: the weekly e-mail of each référent accueil (next settling steps, stale directory).

Every execution goes through the run ledger (``jobs/ledger.py``): at most one run per job and slot even
with two scheduler processes or a manual run at the same moment (J1). ``job_defaults`` set coalescing, one
instance, and a misfire grace of hours (J2); listeners record errors and missed runs. The web app never
starts a scheduler (J4).

Settings (environment, ``OHMYLOT_SCHEDULE_*``): ``TIMEZONE`` (Europe/Paris), ``CRAWL`` (cron, ``0 1 * * *``),
``STAGGER_MINUTES`` (7), ``CHAIN`` (``30 5 * * *``), ``HEALTH`` (``0 7 * * mon``), ``EXPIRY`` (``0 4 * * *``),
``PURGE`` (``30 4 * * *``), ``LOG_PURGE`` (``45 4 * * *``), ``DIGEST`` (``0 9 * * tue``), ``DIGEST_TERRITORY`` (46),
``WELCOME_DIGEST`` (``0 7 * * mon``),
``MISFIRE_GRACE_HOURS`` (6), ``CRAWL_TIMEOUT`` (seconds, 3600).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import IntegrityError

from crawlers.managed import load_sources
from jobs import ledger, tasks
from store import logs
from store.db import Database, open_database
from store.leases import reap_stale_runs
from store.models import JobRun

log = logging.getLogger("ohmylot.scheduler")
JOBSTORE_TABLE = "apscheduler_jobs"


class ScheduleSettings(BaseSettings):
    """When each job runs."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_SCHEDULE_", extra="ignore")

    timezone: str = "Europe/Paris"
    crawl: str = "0 1 * * *"
    stagger_minutes: int = 7
    chain: str = "30 5 * * *"
    health: str = "0 7 * * mon"
    expiry: str = "0 4 * * *"
    purge: str = "30 4 * * *"
    log_purge: str = "45 4 * * *"
    digest: str = "0 9 * * tue"
    digest_territory: str = "46"
    welcome_digest: str = "0 7 * * mon"
    misfire_grace_hours: float = 6.0
    crawl_timeout: float = 3600.0


class PurgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    purge_wet_run: bool = False


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, its trigger and what it does with the database."""

    id: str
    description: str
    trigger: CronTrigger
    func: Callable[[Database], dict[str, Any] | None]


def _cron(expression: str, timezone: str, *, shift_minutes: int = 0) -> CronTrigger:
    """A cron trigger; ``shift_minutes`` staggers a daily expression (``0 1 * * *`` + 7 → ``7 1 * * *``)."""
    fields = expression.split()
    if shift_minutes and len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit():
        total = int(fields[1]) * 60 + int(fields[0]) + shift_minutes
        fields[0], fields[1] = str(total % 60), str((total // 60) % 24)
        expression = " ".join(fields)
    if len(fields) == 6:  # seconds first (used by tests with short intervals)
        second, minute, hour, day, month, dow = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=dow,
                           timezone=timezone)
    return CronTrigger.from_crontab(expression, timezone=timezone)


def job_specs(settings: ScheduleSettings | None = None, sources: list[Any] | None = None) -> list[JobSpec]:
    """Every job the scheduler runs, built from the settings and the source registry."""
    settings = settings or ScheduleSettings()
    tz = settings.timezone
    specs: list[JobSpec] = []
    if sources is None:
        sources = [s for s in load_sources() if s.active]
    entries = sources
    for index, source in enumerate(entries):
        schedule = getattr(source, "schedule", None) or settings.crawl
        timeout = settings.crawl_timeout
        specs.append(
            JobSpec(
                id=f"crawl:{source.id}",
                description=f"collecte de {source.id} ({source.platform})",
                trigger=_cron(schedule, tz, shift_minutes=index * settings.stagger_minutes),
                func=lambda db, source_id=source.id, limit=timeout: tasks.crawl_source(db, source_id, timeout=limit),
            )
        )
    wet = PurgeSettings().purge_wet_run
    specs += [
        JobSpec("chain:post-crawl", "dédoublonnage → rapprochements → avis aux référents",
                _cron(settings.chain, tz), lambda db: tasks.post_crawl_chain(db)),
        JobSpec("report:crawl-health", "rapport hebdomadaire de santé de la collecte",
                _cron(settings.health, tz), lambda db: tasks.crawl_health_report(db)),
        JobSpec("maintenance:expire-offers", "clôture des offres expirées",
                _cron(settings.expiry, tz), lambda db: tasks.expire_offers(db)),
        JobSpec("outreach:talent-digest", f"profils des prospects aux membres du réseau ({settings.digest_territory})",
                _cron(settings.digest, tz),
                lambda db, territory=settings.digest_territory: tasks.talent_digest(db, territory=territory)),
        JobSpec("welcome:referent-digest", "prochaines étapes des foyers, par courriel à chaque référent accueil",
                _cron(settings.welcome_digest, tz), lambda db: tasks.welcome_digest(db)),
        JobSpec("maintenance:log-purge", "purge des journaux de collecte et d'audit échus",
                _cron(settings.log_purge, tz), lambda db: tasks.purge_logs(db)),
        JobSpec("maintenance:privacy-purge", "purge des données personnelles échues"
                + ("" if wet else " (simulation)"), _cron(settings.purge, tz),
                lambda db: tasks.privacy_purge(db, wet_run=wet)),
    ]
    return specs


def current_slot(trigger: CronTrigger, now: datetime | None = None) -> str:
    """The slot a run at ``now`` belongs to: the latest fire time of ``trigger`` at or before ``now``.

    Looks back a minute, an hour, a day, then further, so that a frequent trigger stays cheap.
    """
    now = now or datetime.now(UTC)
    for lookback in (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(days=8),
                     timedelta(days=32), timedelta(days=367)):
        fire = trigger.get_next_fire_time(None, now - lookback)
        latest = None
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if latest is not None:
            return ledger.slot_key(latest)
    return ledger.slot_key(now)


# ------------------------------------------------------------------------------------------------
# Execution (module-level so that APScheduler can store a textual reference to it)
# ------------------------------------------------------------------------------------------------
_db: Database | None = None
_specs: list[JobSpec] | None = None


def _database() -> Database:
    global _db
    if _db is None:
        _db = open_database()
    return _db


def reap(db: Database) -> None:
    """What every tick does first: ledger runs of dead processes failed, silent crawls interrupted."""
    ledger.reap_dead_runs(db)
    with db.session() as session:
        for run_id in reap_stale_runs(session):
            log.warning("crawl run %s gave no sign of life: marked interrupted, its lease released", run_id)


def execute(job_id: str, trigger_kind: str = "schedule", slot: str | None = None) -> ledger.RunOutcome:
    """Run one job for its current slot through the ledger; what the scheduler calls."""
    db = _database()
    spec = next((s for s in (_specs or job_specs()) if s.id == job_id), None)
    if spec is None:
        log.warning("job %s is no longer defined; ignored", job_id)
        return ledger.RunOutcome(job_id, slot or "", "skipped", error="tâche inconnue")
    slot = slot or current_slot(spec.trigger)
    token = logs.job_id.set(job_id)
    try:
        reap(db)
        log.info("job %s slot %s started", job_id, slot, extra={"slot": slot})
        outcome = ledger.run_once(db, job_id, slot, lambda: spec.func(db), trigger=trigger_kind)
        level = logging.WARNING if outcome.status == "failed" else logging.INFO
        log.log(level, "job %s slot %s: %s", job_id, slot, outcome.status, extra={
            "slot": slot, "status": outcome.status, "error": outcome.error, "seconds": outcome.duration_s})
        return outcome
    finally:
        logs.job_id.reset(token)


def run_now(db: Database, job_id: str, *, force: bool = False, specs: list[JobSpec] | None = None) -> ledger.RunOutcome:
    """An operator's manual run: the current slot (skipped if it already ran) or, forced, a slot of its own."""
    spec = next((s for s in (specs or job_specs()) if s.id == job_id), None)
    if spec is None:
        raise KeyError(job_id)
    slot = f"manual-{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}" if force else current_slot(spec.trigger)
    reap(db)
    return ledger.run_once(db, job_id, slot, lambda: spec.func(db), trigger="manual")


def _record_event(db: Database, event: JobExecutionEvent, status: str) -> None:
    slot = ledger.slot_key(event.scheduled_run_time)
    error = str(event.exception) if getattr(event, "exception", None) else None
    with db.sessions() as session:
        session.add(JobRun(job_id=event.job_id, slot=slot, status=status, trigger="schedule", host=ledger.HOST,
                           pid=os.getpid(), finished_at=datetime.now(UTC), error=error))
        try:
            session.commit()
        except IntegrityError:  # the slot has a row already: the run itself recorded what happened
            session.rollback()


def build_scheduler(
    db: Database,
    *,
    specs: list[JobSpec] | None = None,
    scheduler_class: type[BaseScheduler] | None = None,
    settings: ScheduleSettings | None = None,
) -> BaseScheduler:
    """A configured scheduler (not started) whose job store lives in ``db``; stale jobs are removed."""
    settings = settings or ScheduleSettings()
    global _db, _specs
    _db = db
    scheduler_cls = scheduler_class or BlockingScheduler
    scheduler = scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(settings.misfire_grace_hours * 3600),
        },
        timezone=settings.timezone,
    )
    scheduler.add_listener(lambda e: _record_event(db, e, "missed"), EVENT_JOB_MISSED)
    scheduler.add_listener(lambda e: _record_event(db, e, "failed"), EVENT_JOB_ERROR)
    scheduler.add_listener(
        lambda e: log.warning("job %s still running: this occurrence is skipped", e.job_id), EVENT_JOB_MAX_INSTANCES
    )
    _specs = specs if specs is not None else job_specs(settings)
    return scheduler


def sync_jobs(scheduler: BaseScheduler, specs: list[JobSpec]) -> None:
    """Put one job per spec in the job store (replacing what a previous process stored) and drop the rest.

    Call once the scheduler is started (or in paused mode): APScheduler's job store is only open then.
    """
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
    for spec in specs:
        scheduler.add_job(
            "jobs.scheduler:execute", trigger=spec.trigger, args=[spec.id], id=spec.id, name=spec.description,
            replace_existing=True,
        )


def _crawl_plan(specs: list[JobSpec]) -> list[tuple[str, str]]:
    return sorted((spec.id, str(spec.trigger)) for spec in specs)


def refresh_jobs(scheduler: BaseScheduler) -> bool:
    """Pick up the sources staff added, paused or removed in the web app since the start (``crawlers.managed``):
    when the jobs (ids or triggers) changed, store the new ones. Returns whether they changed; a registry that
    became unreadable keeps the current jobs (logged)."""
    global _specs
    try:
        specs = job_specs()
    except ValueError as exc:  # RegistryError: IT's file is being edited
        log.warning("jobs not refreshed: %s", exc)
        return False
    if _specs is not None and _crawl_plan(specs) == _crawl_plan(_specs):
        return False
    _specs = specs
    sync_jobs(scheduler, specs)
    log.info("jobs refreshed: %d jobs", len(specs))
    return True
