"""The run ledger: each scheduled job runs at most once per slot (RELIABILITY.md J1).

A *slot* is the scheduled fire time a run belongs to (``2026-11-25T01:00:00+00:00``). Claiming a run inserts a
``job_run`` row; the unique key ``(job_id, slot)`` makes the database the arbiter, so two scheduler processes,
a scheduler restarted in the middle of a run, or an operator's manual run at the same moment cannot run the
same slot twice: the loser gets ``None`` and reports "skipped".

A run whose process died stays ``running`` in the ledger: ``reap_dead_runs`` marks it ``failed`` (its pid
is gone on this host, or it outlived its time limit), and the job runs again at its next slot.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from crawlers.worker_client import pid_alive
from store.db import Database
from store.models import JobRun

HOST = socket.gethostname()


@dataclass
class RunOutcome:
    """What happened to one attempt: ``success``, ``failed`` or ``skipped`` (slot already claimed)."""

    job_id: str
    slot: str
    status: str
    run_id: int | None = None
    error: str | None = None
    detail: dict[str, Any] | None = None
    duration_s: float | None = None


def slot_key(when: datetime) -> str:
    """The ledger key of a slot: its fire time in UTC, to the minute."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def claim(db: Database, job_id: str, slot: str, trigger: str = "schedule") -> int | None:
    """Insert the ledger row of (job, slot); return its id, or None when the slot is already taken."""
    with db.sessions() as session:
        run = JobRun(job_id=job_id, slot=slot, status="running", trigger=trigger, host=HOST, pid=os.getpid())
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return run.id


def finish(
    db: Database, run_id: int, status: str, *, error: str | None = None, detail: dict[str, Any] | None = None
) -> None:
    """Record the end of a run."""
    with db.session() as session:
        run = session.get(JobRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = datetime.now(UTC)
        run.error = error
        if detail is not None:
            run.detail = detail


def reap_dead_runs(db: Database, *, max_duration: timedelta = timedelta(hours=6), now: datetime | None = None) -> int:
    """Mark ``failed`` the runs left ``running`` by a process that died or that exceeded ``max_duration``."""
    now = now or datetime.now(UTC)
    reaped = 0
    with db.session() as session:
        for run in session.scalars(select(JobRun).where(JobRun.status == "running")).all():
            started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
            dead = run.host == HOST and run.pid != os.getpid() and not pid_alive(run.pid)
            too_long = now - started > max_duration
            if dead or too_long:
                session.execute(
                    update(JobRun)
                    .where(JobRun.id == run.id, JobRun.status == "running")
                    .values(
                        status="failed",
                        finished_at=now,
                        error="processus interrompu" if dead else f"durée maximale dépassée ({max_duration})",
                    )
                )
                reaped += 1
    return reaped


def run_once(
    db: Database,
    job_id: str,
    slot: str,
    func: Callable[[], dict[str, Any] | None],
    *,
    trigger: str = "schedule",
) -> RunOutcome:
    """Run ``func`` for (job, slot) unless that slot already ran or is running; record the outcome."""
    run_id = claim(db, job_id, slot, trigger)
    if run_id is None:
        return RunOutcome(job_id, slot, "skipped")
    started = datetime.now(UTC)
    try:
        detail = func() or {}
    except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded, the scheduler goes on
        message = f"{type(exc).__name__}: {exc}"
        finish(db, run_id, "failed", error=message, detail={"traceback": traceback.format_exc(limit=5)})
        return RunOutcome(job_id, slot, "failed", run_id, message, None, _seconds_since(started))
    status = "failed" if detail.get("failed") else "success"
    finish(db, run_id, status, error=detail.get("error"), detail=_json_safe(detail))
    return RunOutcome(job_id, slot, status, run_id, detail.get("error"), detail, _seconds_since(started))


def _seconds_since(started: datetime) -> float:
    return round((datetime.now(UTC) - started).total_seconds(), 3)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
