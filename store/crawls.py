"""Crawl runs and sources: recording a run, and the queries behind crawl health (RELIABILITY.md C7).

A ``CrawlRun`` row is created when a crawl starts (by the runner, or by the store pipeline when
``scrapy crawl`` is run by hand) and finished with its status:
- ``success``: the spider finished normally, without errors, and every page it met was parsed;
- ``partial``: something was missed (errors, pages that failed, items without id, a non-normal finish);
- ``failed``: nothing usable (crash, timeout, no item and errors);
- ``interrupted``: its processes stopped giving signs of life (killed, machine restarted): see
  ``store/leases.py``, which also keeps a source to one crawl at a time.
Only ``success`` runs count as "good runs" for health, and only they may close missing postings.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.leases import acquire, attach_run, reap_stale_runs, release_run
from store.models import CrawlRun, Source, utcnow

RUN_STATUSES = ("running", "success", "partial", "failed", "interrupted")
#: what staff read for each status (commands and pages)
RUN_STATUS_LABELS = {
    "success": "réussie",
    "partial": "partielle",
    "failed": "échec",
    "running": "en cours",
    "interrupted": "interrompu",
}


class SourceLike(Protocol):
    """What ``sync_sources`` needs from a registry entry (``crawlers.registry.SourceEntry``)."""

    id: str
    platform: str
    name: str
    url: str | None
    url_template: str | None
    employer: str | None
    trust: float
    active: bool


def sync_sources(session: Session, entries: Iterable[SourceLike], *, prune: bool = True) -> int:
    """Create or update the ``source`` rows from registry entries; returns how many rows changed.

    With ``prune`` (the whole registry is given), sources that left the registry are kept (their postings
    and runs still point at them) but marked inactive.
    """
    changed = 0
    known = {source.id: source for source in session.scalars(select(Source))}
    listed: set[str] = set()
    for entry in entries:
        listed.add(entry.id)
        values = {
            "platform": entry.platform,
            "name": entry.name,
            "url": entry.url_template or entry.url,
            "employer_name": entry.employer,
            "trust": entry.trust,
            "active": entry.active,
        }
        row = known.get(entry.id)
        if row is None:
            # Another process (a distributed worker, the scheduler) may create the same row at the same moment.
            try:
                with session.begin_nested():
                    session.add(Source(id=entry.id, **values))
                changed += 1
                continue
            except IntegrityError:
                row = session.get(Source, entry.id, populate_existing=True)
                if row is None:
                    raise
        if any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
    for source_id, row in known.items():
        if prune and source_id not in listed and row.active and row.platform != "manual":
            row.active = False
            changed += 1
    session.flush()
    return changed


def start_run(
    session: Session,
    source_id: str,
    *,
    lease_key: str | None = None,
    holder: str | None = None,
    now: datetime | None = None,
) -> CrawlRun:
    """Create the ``running`` row of a new crawl of ``source_id`` (the source row must exist).

    First marks the dead runs interrupted, then takes the source's lease (``lease_key``: a fresh token unless
    the caller shares one, e.g. a distributed crawl's run key): raises ``store.leases.SourceBusy`` when
    another crawl of the source is going on. Commit soon: the lease is visible to others once committed."""
    now = now or utcnow()
    reap_stale_runs(session, now=now)
    key = lease_key or secrets.token_hex(16)
    acquire(session, source_id, key=key, holder=holder, now=now)
    run = CrawlRun(source_id=source_id, started_at=now, heartbeat_at=now, status="running")
    session.add(run)
    session.flush()
    attach_run(session, source_id, key, run.id)
    return run


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    finish_reason: str | None,
    items_scraped: int = 0,
    items_dropped: int = 0,
    new: int = 0,
    updated: int = 0,
    closed: int = 0,
    errors: int = 0,
    drops: Mapping[str, int] | None = None,
    field_coverage: Mapping[str, float] | None = None,
    stats: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> CrawlRun:
    """Write the outcome of a run."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} not found")
    run.status = status
    run.finish_reason = finish_reason
    run.finished_at = now or utcnow()
    run.items_scraped = items_scraped
    run.items_dropped = items_dropped
    run.items_new = new
    run.items_updated = updated
    run.items_closed = closed
    run.errors = errors
    run.drops = dict(drops or {})
    run.field_coverage = dict(field_coverage or {})
    run.stats = dict(stats or {})
    release_run(session, run_id)
    session.flush()
    return run


def fail_run(session: Session, run_id: int, reason: str, *, detail: str | None = None) -> CrawlRun | None:
    """Mark a run that never finished by itself (crash, timeout kill) as failed; keeps counters it wrote."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        return None
    if run.status in ("running",):
        run.status = "failed"
        run.finish_reason = reason
        run.finished_at = utcnow()
        stats = dict(run.stats or {})
        if detail:
            stats["failure"] = detail
        run.stats = stats
        release_run(session, run_id)
        session.flush()
    return run


def recent_runs(session: Session, source_id: str, *, limit: int = 5, before_id: int | None = None) -> list[CrawlRun]:
    """The last ``limit`` runs of a source, newest first (optionally only runs older than ``before_id``)."""
    query = select(CrawlRun).where(CrawlRun.source_id == source_id)
    if before_id is not None:
        query = query.where(CrawlRun.id < before_id)
    return list(session.scalars(query.order_by(CrawlRun.id.desc()).limit(limit)))


def good_run_item_counts(
    session: Session, source_id: str, *, limit: int = 5, before_id: int | None = None
) -> list[int]:
    """Items scraped by the last ``limit`` successful runs of a source, newest first."""
    query = select(CrawlRun.items_scraped).where(CrawlRun.source_id == source_id, CrawlRun.status == "success")
    if before_id is not None:
        query = query.where(CrawlRun.id < before_id)
    return list(session.scalars(query.order_by(CrawlRun.id.desc()).limit(limit)))


def last_runs_by_source(session: Session, *, limit: int = 5) -> dict[str, list[CrawlRun]]:
    """For every source with runs, its last ``limit`` runs, newest first."""
    result: dict[str, list[CrawlRun]] = {}
    source_ids = session.scalars(select(CrawlRun.source_id).distinct())
    for source_id in sorted(source_ids):
        result[source_id] = recent_runs(session, source_id, limit=limit)
    return result


def run_counts(session: Session) -> dict[str, int]:
    """Number of runs per status (for dashboards)."""
    rows = session.execute(select(CrawlRun.status, func.count()).group_by(CrawlRun.status)).all()
    return {status: count for status, count in rows}
