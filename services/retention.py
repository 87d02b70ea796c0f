"""How long operational records are kept, then purged (the ``maintenance:log-purge`` job, daily).

- crawl logs: the crawl log files (``<data dir>/logs/crawl-*.log``) and the crawl-run rows older than
  ``OHMYLOT_CRAWL_LOG_DAYS`` (default 90). The 10 latest runs of each source are always kept: the crawl-health
  monitors compare a run with the median of the recent good ones;
- audit log: rows older than ``OHMYLOT_AUDIT_LOG_DAYS`` (default 365; who saw which personal data is kept one
  year, as the CNIL recommends for access traces);
- run ledger of scheduled work (``job_run``): same period as crawl logs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import AuditLog, CrawlRun, JobRun

KEEP_LATEST_RUNS = 10


class RetentionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    crawl_log_days: int = Field(default=90, ge=1)
    audit_log_days: int = Field(default=365, ge=1)


def purge_logs(
    session: Session, log_dir: Path, *, now: datetime | None = None, settings: RetentionSettings | None = None
) -> dict[str, Any]:
    """Delete what is past its retention period; return the counts."""
    now = now or datetime.now(UTC)
    settings = settings or RetentionSettings()
    crawl_limit = now - timedelta(days=settings.crawl_log_days)
    ranked = select(CrawlRun.id, func.row_number().over(partition_by=CrawlRun.source_id,
                                                        order_by=CrawlRun.started_at.desc()).label("rank")).subquery()
    recent = select(ranked.c.id).where(ranked.c.rank <= KEEP_LATEST_RUNS)
    runs = session.execute(delete(CrawlRun).where(CrawlRun.started_at < crawl_limit, CrawlRun.id.not_in(recent)))
    jobs = session.execute(delete(JobRun).where(JobRun.started_at < crawl_limit, JobRun.status != "running"))
    audit = session.execute(delete(AuditLog).where(AuditLog.at < now - timedelta(days=settings.audit_log_days)))
    files = 0
    if log_dir.is_dir():
        for path in log_dir.glob("crawl-*.log"):
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) < crawl_limit:
                path.unlink(missing_ok=True)
                files += 1
    return {"crawl_runs": runs.rowcount, "job_runs": jobs.rowcount, "audit_log": audit.rowcount,
            "crawl_log_files": files, "crawl_log_days": settings.crawl_log_days,
            "audit_log_days": settings.audit_log_days}
