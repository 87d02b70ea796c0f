"""End to end: registry → ``ohmylot crawl`` / ``run_crawl`` (a scrapy subprocess) → database, against a
local career site; a second crawl with the site failing halfway closes nothing (RELIABILITY.md C5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.crawl_servers import Route, career_site, fix_sitemap, job_posting_page, sample_postings, site_server

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parent.parent
FAST = {"DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "5"}


def registry(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nid = "ch-cahors"\nplatform = "jsonld"\nname = "CH de Cahors"\n'
        'url = "{sandbox}/sites/ch-cahors/offres,{sandbox}/sites/ch-cahors/sitemap.xml"\n'
        'employer = "Centre hospitalier de Cahors"\nschedule = "0 3 * * *"\ntrust = 0.9\nrequires = ["OHMYLOT_SANDBOX_URL"]\n'
        '\n[[source]]\nid = "ft-lot"\nplatform = "francetravail"\nurl = "https://api.example/offres"\n'
        'requires = ["OHMYLOT_FT_CLIENT_ID", "OHMYLOT_FT_CLIENT_SECRET"]\n',
        encoding="utf-8",
    )
    return path


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args], capture_output=True, text=True, env=full, timeout=120, cwd=ROOT
    )


def postings(db) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    from store.models import Posting

    with db.session() as session:
        return {p.source_ref: (p.status, p.missed_runs) for p in session.scalars(select(Posting))}


def test_crawl_command_then_failing_site_closes_nothing(db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from crawlers.runner import run_crawl
    from store.models import CrawlRun

    routes = career_site(sample_postings(5), prefix="/sites/ch-cahors")
    with site_server(routes) as server:
        fix_sitemap(routes, server.url)
        env = {"OHMYLOT_SOURCES": str(registry(tmp_path)), "OHMYLOT_SANDBOX_URL": server.url}
        for key, value in env.items():
            monkeypatch.setenv(key, value)

        listing = run_cli("sources", "list", env=env)
        assert listing.returncode == 0, listing.stderr
        assert "ch-cahors" in listing.stdout
        assert "OHMYLOT_FT_CLIENT_ID et OHMYLOT_FT_CLIENT_SECRET" in listing.stdout

        inactive = run_cli("crawl", "ft-lot", env=env)
        assert inactive.returncode == 1
        assert "Traceback" not in inactive.stderr
        assert "inactive" in inactive.stderr
        assert "OHMYLOT_FT_CLIENT_ID" in inactive.stderr

        # three earlier good runs of 20 offers: this crawl's 5 are below half the median
        from store.crawls import finish_run, start_run
        from store.postings import ensure_source

        with db.session() as session:
            ensure_source(session, "ch-cahors", platform="jsonld")
            for _ in range(3):
                run_id = start_run(session, "ch-cahors").id
                finish_run(session, run_id, status="success", finish_reason="finished", items_scraped=20)

        first = run_cli("crawl", "--all", *[f"--set={k}={v}" for k, v in FAST.items()], env=env)
        assert first.returncode == 0, first.stderr
        assert "Résumé des collectes" in first.stdout
        assert "réussie" in first.stdout
        assert "ft-lot ignorée" in first.stderr
        assert "Attention : ch-cahors : 5 offre(s) collectée(s), moins de 50% de la médiane" in first.stderr
        assert postings(db) == {f"REF-{n:04d}": ("open", 0) for n in range(1, 6)}
        # every posting page requested once although both the listing and the sitemap lead to it
        assert server.paths().count("/sites/ch-cahors/offres/REF-0003") == 1

        # The site fails halfway: listing page 2 answers 500, the sitemap is gone, one posting page is broken.
        routes["/sites/ch-cahors/offres?page=2"] = Route("<h1>Erreur interne</h1>", status=500)
        routes["/sites/ch-cahors/sitemap.xml"] = Route("introuvable", status=404)
        routes["/sites/ch-cahors/offres/REF-0001"] = Route("<html><h1>Maintenance</h1></html>")
        second = run_crawl("ch-cahors", settings=FAST, timeout=60)
        assert second.status == "partial"
        assert not second.timed_out
        assert second.returncode == 0
        assert "incomplete_pages" in second.partial_reasons
        assert second.closed == 0
        assert {status for status, _ in postings(db).values()} == {"open"}

        # Even a *successful* run that misses a posting closes it only after two such runs; a posting whose
        # page is broken is kept alive (its page was met).
        routes.update(career_site(sample_postings(4), prefix="/sites/ch-cahors"))
        routes["/sites/ch-cahors/offres/REF-0001"] = Route(
            job_posting_page({"title": "cassé"}).replace('"@type"', '"@tipe"')
        )
        fix_sitemap(routes, server.url)
        third = run_crawl("ch-cahors", settings=FAST, timeout=60)
        assert third.status == "success", third
        assert postings(db)["REF-0005"] == ("open", 1)
        assert postings(db)["REF-0001"] == ("open", 0)
        fourth = run_crawl("ch-cahors", settings=FAST, timeout=60)
        assert fourth.status == "success"
        assert fourth.closed == 1
        assert postings(db)["REF-0005"] == ("closed", 2)

    with db.session() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()[3:]
        assert [run.status for run in runs] == ["success", "partial", "success", "success"]
        assert runs[0].items_new == 5
        assert runs[0].field_coverage["employer"] == 1.0
        assert runs[1].drops.get("fetch_failed", 0) >= 2
        assert "no_jobposting" in runs[1].drops
        assert runs[2].drops == {"no_jobposting": 1}

    health = run_cli("sources", "health", "ch-cahors", env=env)
    assert health.returncode == 0, health.stderr
    assert "partielle" in health.stdout
    assert "pages illisibles" in health.stdout


def test_replay_a_saved_page_writes_offers_and_stores_them(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "offre.html"
    page.write_text(job_posting_page(sample_postings(1)[0]), encoding="utf-8")
    out = tmp_path / "offers.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "jsonld",
            "-a",
            f"url={page.as_uri()}",
            "-O",
            str(out),
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (offer,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert offer["source"] == "jsonld"
    assert offer["source_id"] == "REF-0001"
    assert offer["title"] == "Infirmier / Infirmière en soins généraux"
    assert offer["employer"] == "Centre hospitalier de Cahors"
    assert set(offer["location"]) >= {"label", "insee", "postal_code", "departement", "lat", "lon"}
    assert postings(db) == {"REF-0001": ("open", 0)}
