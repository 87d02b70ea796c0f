"""Crawl logs, the run ledger and the audit log are kept for a documented time, then purged (issue 22)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.db


def test_log_purge_keeps_recent_records_and_the_latest_runs(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.retention import purge_logs
    from store.crawls import finish_run, start_run
    from store.models import AuditLog, CrawlRun, JobRun
    from store.postings import ensure_source

    now = datetime(2026, 12, 7, 4, 45, tzinfo=UTC)
    with db.session() as session:
        for source in ("cdg46", "ehpad-tilleuls"):
            ensure_source(session, source, platform="jsonld")
        # cdg46: 14 daily runs a year ago → 10 kept (the monitors' history); ehpad: 1 old run + 1 recent
        for day in range(14):
            run = start_run(session, "cdg46")
            finish_run(session, run.id, status="success", finish_reason="finished", items_scraped=10)
            session.get(CrawlRun, run.id).started_at = now - timedelta(days=400 - day)
        for age in (200, 3):
            run = start_run(session, "ehpad-tilleuls")
            finish_run(session, run.id, status="success", finish_reason="finished", items_scraped=4)
            session.get(CrawlRun, run.id).started_at = now - timedelta(days=age)
        session.add_all([AuditLog(at=now - timedelta(days=400), actor="agent@ohmylot.fr", action="candidate.view"),
                         AuditLog(at=now - timedelta(days=30), actor="agent@ohmylot.fr", action="candidate.view")])
        session.add_all([JobRun(job_id="maintenance:expire-offers", slot="2026-01-01T04:00", status="success",
                                started_at=now - timedelta(days=340)),
                         JobRun(job_id="maintenance:expire-offers", slot="2026-12-06T04:00", status="success",
                                started_at=now - timedelta(days=1))])
    logs = tmp_path / "logs"
    logs.mkdir()
    old, recent = logs / "crawl-cdg46-1.log", logs / "crawl-cdg46-15.log"
    for path in (old, recent):
        path.write_text("…", encoding="utf-8")
    stamp = (now - timedelta(days=120)).timestamp()
    os.utime(old, (stamp, stamp))
    os.utime(recent, (now.timestamp(), now.timestamp()))

    with db.session() as session:
        result = purge_logs(session, logs, now=now)
    assert result["crawl_runs"] == 4  # cdg46's 4 oldest; ehpad's old run is among its 10 latest
    assert result["audit_log"] == 1
    assert result["job_runs"] == 1
    assert result["crawl_log_files"] == 1
    assert not old.exists()
    assert recent.exists()
    with db.session() as session:
        per_source = dict(session.execute(select(CrawlRun.source_id, func.count()).group_by(CrawlRun.source_id)).all())
        assert per_source == {"cdg46": 10, "ehpad-tilleuls": 2}
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1
