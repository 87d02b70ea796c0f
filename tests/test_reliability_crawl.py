"""One crawl of a source at a time, and crawls that die are noticed (docs/reliability.md R1, R2).

Real processes: ``scrapy crawl`` started by hand, ``ohmylot scheduler run --force``, ``ohmylot crawl``, killed
with SIGKILL, against a local career site (127.0.0.1). Runs on SQLite and, with ``OHMYLOT_TEST_DATABASE_URL``,
on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.leases import SourceBusy, acquire, reap_stale_runs
from store.models import CrawlLease, CrawlRun, Posting
from tests.crawl_servers import Route, career_site, sample_postings, site_server

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "/sites/lent"
FAST = {"OHMYLOT_CRAWL_HEARTBEAT_SECONDS": "0.5", "OHMYLOT_CRAWL_STALE_SECONDS": "8"}


def _env(database_url: str, registry: Path | None = None) -> dict[str, str]:
    env = {**os.environ, **FAST, "OHMYLOT_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "COLUMNS": "400"}
    if registry is not None:
        env["OHMYLOT_SOURCES"] = str(registry)
    return env


def _registry(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        textwrap.dedent(f"""
        [[source]]
        id = "site-lent"
        platform = "jsonld"
        name = "Un site lent"
        url = "{base}{PREFIX}/offres"
        schedule = "0 3 * * *"
        trust = 0.8
        """),
        encoding="utf-8",
    )
    return path


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _lease(db) -> CrawlLease | None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        lease = session.get(CrawlLease, "site-lent")
        if lease is not None:
            session.expunge(lease)
        return lease


ACQUIRE = """
import sys, time
from store.db import open_database
from store.leases import SourceBusy
from store.crawls import start_run
from store.postings import ensure_source
db = open_database(auto_upgrade=False)
with db.session() as session:
    ensure_source(session, "site-lent", platform="jsonld")
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
try:
    with db.session() as session:
        run = start_run(session, "site-lent")
    print("ACQUIRED", run.id)
except SourceBusy as exc:
    print("REFUSED", exc)
    sys.exit(3)
"""


def test_two_processes_starting_one_source_at_the_same_instant_one_is_refused(database_url, db) -> None:
    from store.postings import ensure_source

    with db.session() as session:
        ensure_source(session, "site-lent", platform="jsonld")
    start = time.time() + 4
    procs = [
        subprocess.Popen([sys.executable, "-c", ACQUIRE, str(start)], env=_env(database_url), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=60) + (proc.returncode,) for proc in procs]
    codes = sorted(code for _, _, code in results)
    assert codes == [0, 3], results
    refused = next(out for out, _, code in results if code == 3)
    assert "déjà en cours de collecte" in refused
    assert "depuis le" in refused
    assert "pid" in refused
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 1


def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(db) -> None:
    from datetime import timedelta

    from store.models import utcnow
    from store.postings import ensure_source

    with db.session() as session:
        ensure_source(session, "site-lent", platform="jsonld")
        acquire(session, "site-lent", key="a", holder="ohmylot crawl (hôte x, pid 1)")
    with db.session() as session, pytest.raises(SourceBusy, match="ohmylot crawl"):
        acquire(session, "site-lent", key="b")
    with db.session() as session:  # the same key joins (workers of one distributed crawl)
        assert acquire(session, "site-lent", key="a").key == "a"
    with db.session() as session:
        later = utcnow() + timedelta(seconds=float(os.environ.get("OHMYLOT_CRAWL_STALE_SECONDS", 300)) + 10)
        assert acquire(session, "site-lent", key="b", now=later).key == "b"


def test_scheduler_force_is_refused_while_a_crawl_runs_then_sigkill_is_noticed(
    database_url, db, tmp_path, monkeypatch
) -> None:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    routes = career_site(sample_postings(3), per_page=10, prefix=PREFIX)
    with site_server(routes) as server:
        registry = _registry(tmp_path, server.url)
        env = _env(database_url, registry)
        # A first, successful crawl: three postings open.
        first = subprocess.run([sys.executable, "-m", "jobs", "crawl", "site-lent", "-s", "DOWNLOAD_DELAY=0"],
                               env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Posting).where(Posting.status == "open")) == 3
        # Now the site hangs on a page: a crawl started by hand holds the source.
        routes[f"{PREFIX}/offres/REF-0002"] = Route("trop tard", hang_seconds=120)
        crawl = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "jsonld", "-a", "source=site-lent", "-a",
             f"url={server.url}{PREFIX}/offres", "-s", "DOWNLOAD_DELAY=0", "-s", "DOWNLOAD_TIMEOUT=120",
             "-s", "LOG_LEVEL=WARNING"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            _wait_for(lambda: _lease(db) is not None)
            _wait_for(lambda: f"{PREFIX}/offres/REF-0002" in server.paths())
            forced = subprocess.run([sys.executable, "-m", "jobs", "scheduler", "run", "crawl:site-lent", "--force"],
                                    env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert forced.returncode != 0
            message = " ".join((forced.stdout + forced.stderr).split())
            for part in ("déjà en cours de collecte", "par scrapy", "pid", "depuis le"):
                assert part in message, message
            with db.session() as session:
                assert session.scalar(select(func.count()).select_from(CrawlRun)) == 2  # no third run
            os.killpg(crawl.pid, signal.SIGKILL)
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait(timeout=30)
        with db.session() as session:
            killed = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
            assert killed.status == "running"  # nobody told the database: the kill was -9
        time.sleep(8.5)
        # The next scheduler tick (any job) notices it.
        from jobs import scheduler
        from jobs.scheduler import JobSpec, _cron

        spec = JobSpec("maintenance:noop", "rien", _cron("0 4 * * *", "UTC"), lambda _db: {})
        scheduler.build_scheduler(db, specs=[spec])
        assert scheduler.execute("maintenance:noop").status == "success"
        with db.session() as session:
            run = session.get(CrawlRun, killed.id)
            assert run.status == "interrupted"
            assert run.finish_reason == "heartbeat_lost"
            assert "signe de vie" in run.stats["failure"]
            assert session.get(CrawlLease, "site-lent") is None
            assert session.scalar(select(func.count()).select_from(Posting).where(Posting.status == "open")) == 3
        health = subprocess.run([sys.executable, "-m", "jobs", "sources", "health", "site-lent"],
                                env={**env, "COLUMNS": "250"}, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert health.returncode == 0, health.stderr
        assert "interrompu" in health.stdout
        # The source is free again: a crawl of it runs (the hanging page now answers).
        routes[f"{PREFIX}/offres/REF-0002"] = career_site(sample_postings(3), per_page=10, prefix=PREFIX)[
            f"{PREFIX}/offres/REF-0002"]
        again = subprocess.run([sys.executable, "-m", "jobs", "crawl", "site-lent", "-s", "DOWNLOAD_DELAY=0"],
                               env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr


def test_the_health_page_shows_an_interrupted_run(db) -> None:
    from datetime import timedelta

    from store.crawls import start_run
    from store.models import utcnow
    from store.postings import ensure_source
    from web.routers.dashboard import source_health

    with db.session() as session:
        ensure_source(session, "site-lent", platform="jsonld")
        start_run(session, "site-lent", now=utcnow() - timedelta(hours=2))
    with db.session() as session:
        assert reap_stale_runs(session)
        health = {h["source"].id: h for h in source_health(session)}
        assert health["site-lent"]["status"] == "interrompu"
        from web.templating import crawl_state

        assert crawl_state("interrupted", "heartbeat_lost") == "interrompu (plus aucun signe de vie)"
        assert any("signe de vie" in alert for alert in health["site-lent"]["alerts"])
