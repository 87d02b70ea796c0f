"""One crawl of a source at a time, and crawls that die are noticed (docs/reliability.md R1, R2).

**Lease.** Whatever starts a crawl (``ohmylot crawl``, the scheduler, ``scheduler run --force``, the web app,
a worker of a distributed crawl, a hand-run ``scrapy crawl``) goes through ``store.crawls.start_run``, which
first takes the source's row of ``crawl_lease``. Taking it is atomic on SQLite and PostgreSQL, across
processes and machines: an ``INSERT`` (the primary key is the source id, the database is the arbiter), or,
when a row is there, an ``UPDATE … WHERE`` the lease expired or carries the same *key* (the workers of one
distributed crawl share their run key). Otherwise ``SourceBusy`` says who holds it and since when; no option
bypasses it (``--force`` gives the scheduler a new slot, never a second crawl of a source).

**Heartbeat.** The process that watches a crawl (``crawlers.runner``) and the Scrapy process itself
(``crawlers.extensions``) write ``crawl_run.heartbeat_at`` and push the lease's ``expires_at`` every
``OHMYLOT_CRAWL_HEARTBEAT_SECONDS`` (30 s). A ``running`` run whose last sign of life is older than
``OHMYLOT_CRAWL_STALE_SECONDS`` (300 s) is marked ``interrupted`` ("interrompu") with its reason by
``reap_stale_runs``, which every crawl start, every scheduler tick, ``ohmylot sources health`` and the
health page call; its lease is released. An interrupted run closes no posting (only successful runs do).
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import CrawlLease, CrawlRun, as_utc, utcnow

HOST = socket.gethostname()
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_HEARTBEAT_SECONDS = 30.0
DEFAULT_STALE_SECONDS = 300.0
INTERRUPTED_REASON = "heartbeat_lost"


@dataclass(frozen=True)
class LeaseTiming:
    """How often a crawl gives a sign of life, and after how long without one it is declared interrupted."""

    heartbeat_s: float
    stale_s: float

    @property
    def stale(self) -> timedelta:
        return timedelta(seconds=self.stale_s)


def lease_timing() -> LeaseTiming:
    """The timing from ``OHMYLOT_CRAWL_HEARTBEAT_SECONDS`` / ``OHMYLOT_CRAWL_STALE_SECONDS`` (read each time)."""
    heartbeat = _env_seconds("OHMYLOT_CRAWL_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS)
    stale = _env_seconds("OHMYLOT_CRAWL_STALE_SECONDS", DEFAULT_STALE_SECONDS)
    return LeaseTiming(heartbeat, max(stale, heartbeat * 2))


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def process_label() -> str:
    """Who is asking, for people: the command and where it runs (``ohmylot crawl (hôte x, pid 12)``)."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else "python"
    program = os.path.basename(argv0)
    if program == "__main__.py":  # python -m PACKAGE
        program = os.path.basename(os.path.dirname(argv0))
    program = {"jobs": "ohmylot", "-c": "python"}.get(program, program)
    words = [program, *[arg for arg in sys.argv[1:3] if not arg.startswith("-")]]
    return f"{' '.join(words)[:120]} (hôte {HOST}, pid {os.getpid()})"


def when_text(value: datetime | None) -> str:
    """A moment as staff read it: ``07/12/2026 à 05:40`` (Paris time)."""
    aware = as_utc(value)
    if aware is None:
        return "—"
    return aware.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


class SourceBusy(Exception):
    """The source is being crawled by someone else; the message (French) says by whom and since when."""

    def __init__(self, source_id: str, lease: CrawlLease, timing: LeaseTiming) -> None:
        run = f"collecte n° {lease.run_id}, " if lease.run_id else ""
        minutes = max(1, round(timing.stale_s / 60))
        super().__init__(
            f"collecte de {source_id} refusée : la source est déjà en cours de collecte ({run}par {lease.holder}, "
            f"depuis le {when_text(lease.acquired_at)}) ; réessayez après la fin de celle-ci (sans signe de vie "
            f"pendant {minutes} min, elle sera déclarée interrompue)"
        )
        self.source_id = source_id
        self.holder = lease.holder
        self.since = as_utc(lease.acquired_at)


def acquire(
    session: Session, source_id: str, *, key: str, holder: str | None = None, now: datetime | None = None
) -> CrawlLease:
    """Take the lease of ``source_id`` for ``key`` (or join it: same key), or raise ``SourceBusy``."""
    now = now or utcnow()
    timing = lease_timing()
    expires = now + timing.stale
    try:
        with session.begin_nested():
            session.add(CrawlLease(source_id=source_id, key=key, holder=holder or process_label(),
                                   acquired_at=now, expires_at=expires))
    except IntegrityError:
        joined = session.execute(
            update(CrawlLease)
            .where(CrawlLease.source_id == source_id, CrawlLease.key == key)
            .values(expires_at=expires)
        ).rowcount
        if not joined:
            taken = session.execute(
                update(CrawlLease)
                .where(CrawlLease.source_id == source_id, CrawlLease.expires_at < now)
                .values(key=key, holder=holder or process_label(), run_id=None, acquired_at=now, expires_at=expires)
            ).rowcount
            if not taken:
                current = session.get(CrawlLease, source_id, populate_existing=True)
                if current is None:  # released between our two statements: try again from the start
                    return acquire(session, source_id, key=key, holder=holder, now=now)
                raise SourceBusy(source_id, current, timing) from None
    lease = session.get(CrawlLease, source_id, populate_existing=True)
    assert lease is not None  # we hold it
    return lease


def attach_run(session: Session, source_id: str, key: str, run_id: int) -> None:
    """Name the run that works under the lease (the first run of a shared lease keeps it)."""
    session.execute(
        update(CrawlLease)
        .where(CrawlLease.source_id == source_id, CrawlLease.key == key, CrawlLease.run_id.is_(None))
        .values(run_id=run_id)
    )


def release(session: Session, source_id: str, key: str) -> None:
    """Give the lease back (only if ``key`` still holds it)."""
    session.execute(delete(CrawlLease).where(CrawlLease.source_id == source_id, CrawlLease.key == key))


def release_run(session: Session, run_id: int) -> None:
    """Give back the lease a finished run works under."""
    session.execute(delete(CrawlLease).where(CrawlLease.run_id == run_id))


def beat(session: Session, run_id: int, *, key: str | None = None, now: datetime | None = None) -> bool:
    """A sign of life of run ``run_id`` (and of its lease); False when the run is no longer running."""
    now = now or utcnow()
    alive = session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(heartbeat_at=now)
    ).rowcount
    if not alive:
        return False
    expires = now + lease_timing().stale
    condition = CrawlLease.key == key if key else CrawlLease.run_id == run_id
    session.execute(update(CrawlLease).where(condition).values(expires_at=expires))
    return True


def reap_stale_runs(session: Session, *, now: datetime | None = None) -> list[int]:
    """Mark ``interrupted`` the running runs without a sign of life for too long; release their leases.

    Returns the ids of the runs marked. Also drops expired leases of runs that no longer exist."""
    now = now or utcnow()
    timing = lease_timing()
    cutoff = now - timing.stale
    last_sign = func.coalesce(CrawlRun.heartbeat_at, CrawlRun.started_at)
    stale = session.execute(
        select(CrawlRun.id, last_sign).where(CrawlRun.status == "running", last_sign < cutoff)
    ).all()
    reaped: list[int] = []
    for run_id, last in stale:
        run = session.get(CrawlRun, run_id)
        if run is None or run.status != "running":
            continue
        marked = session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id, CrawlRun.status == "running")
            .values(
                status="interrupted",
                finish_reason=INTERRUPTED_REASON,
                finished_at=now,
                stats={
                    **(run.stats or {}),
                    "failure": f"interrompue : plus aucun signe de vie depuis le {when_text(last)} "
                    f"(processus arrêté, machine redémarrée ?) ; délai {timing.stale_s:g} s",
                },
            )
        ).rowcount
        if marked:
            release_run(session, run_id)
            reaped.append(run_id)
    session.execute(delete(CrawlLease).where(CrawlLease.expires_at < now))
    session.flush()
    session.expire_all()
    return reaped


def current_leases(session: Session) -> list[CrawlLease]:
    """The sources being crawled now (for health displays)."""
    query = select(CrawlLease).where(CrawlLease.expires_at >= utcnow()).order_by(CrawlLease.source_id)
    return list(session.scalars(query))
