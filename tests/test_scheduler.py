"""Scheduled work: one run per slot (J1), explicit defaults and stable job ids (J2)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, text

from jobs import ledger
from jobs.scheduler import JOBSTORE_TABLE, JobSpec, _cron, build_scheduler, current_slot, job_specs, run_now, sync_jobs
from store.models import JobRun

pytestmark = pytest.mark.db


def test_concurrent_attempts_on_one_slot_run_once(db) -> None:
    calls = []

    def work():
        calls.append(1)
        time.sleep(0.3)
        return {"done": True}

    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(ledger.run_once(db, "job:x", "2026-11-25T02:00+00:00", work)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["skipped", "skipped", "success"]
    assert len(calls) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_a_failing_job_is_recorded_failed_and_runs_again_next_slot(db) -> None:
    def boom():
        raise RuntimeError("source injoignable")

    first = ledger.run_once(db, "job:y", "slot-1", boom)
    assert first.status == "failed"
    assert "source injoignable" in first.error
    assert ledger.run_once(db, "job:y", "slot-1", lambda: {}).status == "skipped"
    assert ledger.run_once(db, "job:y", "slot-2", lambda: {}).status == "success"


def test_a_run_whose_process_died_is_marked_failed(db) -> None:
    with db.session() as session:
        session.add(JobRun(job_id="job:z", slot="s", status="running", host=ledger.HOST, pid=2**22 + 12345))
    assert ledger.reap_dead_runs(db) == 1
    with db.session() as session:
        run = session.scalars(select(JobRun)).one()
        assert run.status == "failed"
        assert run.error == "processus interrompu"


def test_slot_is_the_latest_fire_time() -> None:
    trigger = _cron("0 2 * * *", "Europe/Paris")
    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert current_slot(trigger, now) == "2026-11-25T01:00:00+00:00"  # 02:00 in Paris is 01:00 UTC in winter
    assert current_slot(trigger, now + timedelta(days=1)) == "2026-11-26T01:00:00+00:00"


def test_staggered_crawls_and_explicit_defaults(db) -> None:
    class Source:
        def __init__(self, id_):
            self.id, self.platform, self.schedule = id_, "jsonld", None

    specs = job_specs(sources=[Source("a"), Source("b"), Source("c")])
    crawl_times = [str(s.trigger) for s in specs if s.id.startswith("crawl:")]
    assert len(set(crawl_times)) == 3
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    assert {"chain:post-crawl", "report:crawl-health", "maintenance:expire-offers", "maintenance:privacy-purge"} <= set(ids)
    scheduler = build_scheduler(db, specs=specs, scheduler_class=BackgroundScheduler)
    defaults = scheduler._job_defaults
    assert defaults["coalesce"] is True
    assert defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] >= 3600


def test_restarts_keep_one_job_per_id(db) -> None:
    specs = [JobSpec("maintenance:expire-offers", "expiry", _cron("0 4 * * *", "UTC"), lambda d: {}),
             JobSpec("report:crawl-health", "health", _cron("0 7 * * mon", "UTC"), lambda d: {})]
    for _ in range(3):
        scheduler = build_scheduler(db, specs=specs, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        sync_jobs(scheduler, specs)
        scheduler.shutdown(wait=False)
    with db.engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text(f"SELECT id FROM {JOBSTORE_TABLE}"))]
    assert sorted(ids) == ["maintenance:expire-offers", "report:crawl-health"]


def test_two_schedulers_and_a_manual_run_give_one_run_per_slot(db) -> None:
    counter = []
    lock = threading.Lock()

    def work(_db):
        with lock:
            counter.append(datetime.now(UTC))
        time.sleep(0.2)
        return {}

    specs = [JobSpec("test:tick", "tick", _cron("*/2 * * * * *", "UTC"), work)]
    schedulers = []
    for _ in range(2):
        scheduler = build_scheduler(db, specs=specs, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        sync_jobs(scheduler, specs)
        schedulers.append(scheduler)
    # Two schedulers sharing one job store table would fight over its rows: each gets the same jobs in memory.
    for scheduler in schedulers:
        scheduler.resume()
    deadline = time.monotonic() + 5
    manual = []
    while time.monotonic() < deadline:
        manual.append(run_now(db, "test:tick", specs=specs).status)
        time.sleep(0.5)
    for scheduler in schedulers:
        scheduler.shutdown(wait=True)
    with db.session() as session:
        runs = session.scalars(select(JobRun).where(JobRun.job_id == "test:tick", JobRun.status == "success")).all()
    slots = [r.slot for r in runs]
    assert len(slots) == len(set(slots)), "a slot ran twice"
    assert len(counter) == len(slots)
    assert len(slots) >= 2
    assert "skipped" in manual


def test_a_hanging_crawl_is_killed_and_marked_failed(db) -> None:
    from crawlers.sandbox.server import Response, serve
    from jobs import tasks

    def hang(request):
        if request.path == "/robots.txt":
            return Response(404, "")
        return Response(200, "<html></html>", delay=30)

    with serve(hang) as base:
        started = time.monotonic()
        outcome = ledger.run_once(
            db, "crawl:hanging", "slot-1",
            lambda: tasks.crawl_source(db, "hanging-site", url=f"{base}/offres", spider="jsonld", timeout=6,
                                       settings={"DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING"}),
        )
        elapsed = time.monotonic() - started
    assert outcome.status == "failed"
    assert "délai dépassé" in outcome.error
    assert elapsed < 25
    with db.session() as session:
        run = session.scalars(select(JobRun).where(JobRun.job_id == "crawl:hanging")).one()
        assert run.status == "failed"


def test_the_nightly_chain_runs_end_to_end_on_the_sandbox_under_the_scheduler(db, tmp_path) -> None:
    """Crawl → dedupe → re-rank → digest, driven by APScheduler with short intervals."""
    from datetime import date

    from crawlers.sandbox.server import serve
    from crawlers.sandbox.site import Sandbox
    from jobs import tasks
    from jobs.demo import write_prospects_file
    from services.candidate_import import import_candidates
    from store.models import Match, Offer, Posting

    import_candidates(db, write_prospects_file(tmp_path / "salon.csv"), event="Salon test")
    sandbox = Sandbox(today=date(2026, 11, 25))
    fast = {"DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING"}
    with serve(sandbox.handle) as base:
        sandbox.set_base_url(base)
        specs = [
            JobSpec("crawl:sandbox-hellowork", "hellowork", _cron("*/15 * * * * *", "UTC"),
                    lambda d: tasks.crawl_source(d, "sandbox-hellowork", url=f"{base}/feeds/hellowork.xml",
                                                 spider="hellowork", settings=fast, timeout=120)),
            JobSpec("crawl:sandbox-sante-lot", "sante-lot", _cron("*/15 * * * * *", "UTC"),
                    lambda d: tasks.crawl_source(d, "sandbox-sante-lot", url=f"{base}/sites/sante-lot/offres",
                                                 spider="jsonld", settings=fast, timeout=120)),
            JobSpec("chain:post-crawl", "chain", _cron("5/15 * * * * *", "UTC"), lambda d: tasks.post_crawl_chain(d)),
        ]
        scheduler = build_scheduler(db, specs=specs, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        sync_jobs(scheduler, specs)
        scheduler.resume()
        deadline = time.monotonic() + 150
        done = False
        while time.monotonic() < deadline and not done:
            time.sleep(2)
            with db.session() as session:
                crawled = session.scalar(select(func.count()).select_from(Posting)) or 0
                chains = session.scalars(select(JobRun).where(JobRun.job_id == "chain:post-crawl",
                                                              JobRun.status == "success")).all()
                done = crawled > 0 and any((r.detail or {}).get("dedupe", {}).get("offers") for r in chains)
        scheduler.shutdown(wait=True)
    assert done, "the chain did not run after a crawl"
    with db.session() as session:
        crawl_runs = session.scalars(select(JobRun).where(JobRun.job_id.like("crawl:%"))).all()
        assert {r.job_id for r in crawl_runs if r.status == "success"} >= {"crawl:sandbox-hellowork"}
        assert session.scalar(select(func.count()).select_from(Offer)) > 0
        assert session.scalar(select(func.count()).select_from(Match)) > 0
        slots = [(r.job_id, r.slot) for r in session.scalars(select(JobRun))]
        assert len(slots) == len(set(slots))
