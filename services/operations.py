"""What an operator asks of a running installation: signs of life, readiness, figures for monitoring.

- ``beat(db, kind)``: a long-running process (the scheduler) records that it is alive;
- ``readiness(db)``: database reachable, schema current, scheduler heartbeat fresh, no source failing for
  too long, as a JSON-able report (what ``/readyz`` returns);
- ``crawl_figures`` / ``job_outcomes``: per source and per job, the counts ``/metrics`` exposes. They are
  read from the database, so that crawls run by the scheduler or by hand (other processes) are counted.

Settings (environment): ``OHMYLOT_READY_HEARTBEAT_MINUTES`` (5): how old the scheduler's last heartbeat may
be; ``OHMYLOT_READY_CRAWL_FAILED_DAYS`` (3): how long a source may fail before readiness says so.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from store.db import Database, database_heads, script_heads
from store.models import CrawlRun, JobRun, ProcessHeartbeat, as_utc

HEARTBEAT_SECONDS = 60


class ReadinessSettings(BaseSettings):
    """Thresholds of ``/readyz``."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_READY_", extra="ignore")

    heartbeat_minutes: float = Field(default=5, gt=0)
    crawl_failed_days: float = Field(default=3, gt=0)


def process_id(kind: str) -> str:
    """``kind@host:pid``: the heartbeat row of this process."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


def beat(db: Database, kind: str, *, now: datetime | None = None) -> None:
    """Record that this process is alive (one row per process, overwritten)."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.get(ProcessHeartbeat, process_id(kind))
        if row is None:
            session.add(ProcessHeartbeat(id=process_id(kind), kind=kind, started_at=now, beat_at=now))
        else:
            row.beat_at = now


def forget(db: Database, kind: str) -> None:
    """Remove this process's heartbeat (clean stop)."""
    with db.session() as session:
        row = session.get(ProcessHeartbeat, process_id(kind))
        if row is not None:
            session.delete(row)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, **self.data}


def _schema_check(db: Database) -> Check:
    with db.engine.connect() as conn:
        current = database_heads(conn)
    expected = script_heads(db.url)
    if current == expected:
        return Check("schema", True, "schéma à jour", {"revision": sorted(current)})
    return Check("schema", False, "schéma pas à jour : lancez « ohmylot db upgrade »",
                 {"revision": sorted(current), "expected": sorted(expected)})


def _scheduler_check(db: Database, now: datetime, max_age: timedelta) -> Check:
    with db.session() as session:
        last = session.scalar(select(func.max(ProcessHeartbeat.beat_at)).where(ProcessHeartbeat.kind == "scheduler"))
    if last is None:
        return Check("scheduler", False, "aucun planificateur n'a jamais signalé sa présence")
    age = now - as_utc(last)
    data = {"last_heartbeat": as_utc(last).isoformat(), "age_seconds": round(age.total_seconds())}
    if age > max_age:
        return Check("scheduler", False, f"planificateur silencieux depuis {age.total_seconds() / 60:.0f} min", data)
    return Check("scheduler", True, "planificateur actif", data)


def failing_sources(db: Database, now: datetime, days: float) -> dict[str, str]:
    """Sources whose every crawl has failed for more than ``days`` days: id → failing since (ISO)."""
    limit = now - timedelta(days=days)
    with db.session() as session:
        last_success = dict(session.execute(
            select(CrawlRun.source_id, func.max(CrawlRun.started_at)).where(CrawlRun.status == "success")
            .group_by(CrawlRun.source_id)
        ).all())
        failing: dict[str, str] = {}
        rows = session.execute(
            select(CrawlRun.source_id, CrawlRun.started_at).where(CrawlRun.status.in_(("failed", "partial")))
            .order_by(CrawlRun.started_at)
        )
        for source_id, started in rows:
            started = as_utc(started)
            success = last_success.get(source_id)
            if source_id in failing or (success is not None and as_utc(success) >= started):
                continue
            if started < limit:
                failing[source_id] = started.isoformat()
    return failing


def readiness(
    db: Database, *, now: datetime | None = None, settings: ReadinessSettings | None = None
) -> dict[str, Any]:
    """Every readiness check; ``ready`` is true when all pass. Never raises for a database failure."""
    now = now or datetime.now(UTC)
    settings = settings or ReadinessSettings()
    checks: list[Check] = []
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        checks.append(Check("database", True, "base de données joignable"))
        checks.append(_schema_check(db))
        checks.append(_scheduler_check(db, now, timedelta(minutes=settings.heartbeat_minutes)))
        failing = failing_sources(db, now, settings.crawl_failed_days)
        detail = (f"{len(failing)} source(s) en échec depuis plus de {settings.crawl_failed_days:g} jour(s)"
                  if failing else "aucune source en échec prolongé")
        checks.append(Check("crawls", not failing, detail, {"failing_since": failing}))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        checks.append(Check("database", False, f"base de données injoignable : {reason}"))
    return {
        "ready": all(check.ok for check in checks),
        "time": now.isoformat(),
        "checks": {check.name: check.as_json() for check in checks},
    }


def crawl_figures(db: Database) -> list[dict[str, Any]]:
    """Per source: items scraped, dropped, new, errors (all runs kept), drops per reason, last run's status."""
    figures: dict[str, dict[str, Any]] = {}
    with db.session() as session:
        runs = session.execute(
            select(CrawlRun.source_id, CrawlRun.status, CrawlRun.items_scraped, CrawlRun.items_dropped,
                   CrawlRun.items_new, CrawlRun.errors, CrawlRun.drops, CrawlRun.finished_at)
            .order_by(CrawlRun.started_at)
        )
        for source_id, status, scraped, dropped, new, errors, drops, finished in runs:
            entry = figures.setdefault(source_id, {
                "source": source_id, "runs": {}, "items": 0, "dropped": 0, "new": 0, "errors": 0, "drops": {},
                "last_status": None, "last_finished": None,
            })
            entry["runs"][status] = entry["runs"].get(status, 0) + 1
            entry["items"] += scraped or 0
            entry["dropped"] += dropped or 0
            entry["new"] += new or 0
            entry["errors"] += errors or 0
            for reason, count in (drops or {}).items():
                entry["drops"][reason] = entry["drops"].get(reason, 0) + int(count or 0)
            entry["last_status"] = status
            if finished is not None:
                entry["last_finished"] = as_utc(finished).timestamp()
    return list(figures.values())


def job_outcomes(db: Database) -> dict[tuple[str, str], int]:
    """Scheduled work: (job id, status) → number of runs in the ledger."""
    with db.session() as session:
        query = select(JobRun.job_id, JobRun.status, func.count()).group_by(JobRun.job_id, JobRun.status)
        rows = session.execute(query)
        return {(job_id, status): count for job_id, status, count in rows}
