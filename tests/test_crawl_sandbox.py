"""The ``jsonld`` spider on the demo sandbox's four career sites, each publishing JobPosting its own way
(one plain block; an ``@graph`` reached by its sitemap only; ``jobLocation`` lists with HTML-escaped
descriptions; two blocks), through the registry entries: every posting found, with its fields."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from crawlers.registry import load_registry
from crawlers.runner import run_crawl
from crawlers.sandbox.generator import SITES
from crawlers.sandbox.server import serve
from crawlers.sandbox.site import Sandbox


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sandbox, dict[str, object], Path]:
    tmp = tmp_path_factory.mktemp("sandbox")
    sandbox = Sandbox(today=date(2026, 11, 25), count=120)
    db_path = tmp / "sandbox.sqlite3"
    with serve(sandbox.handle) as base:
        sandbox.set_base_url(base)
        env = {
            "OHMYLOT_SANDBOX_URL": base,
            "OHMYLOT_DATABASE_URL": f"sqlite:///{db_path}",
            "OHMYLOT_DATA_DIR": str(tmp),
        }
        ids = [f"sandbox-{slug}" for slug in SITES]
        from store.db import open_database

        open_database(env["OHMYLOT_DATABASE_URL"]).engine.dispose()  # migrate once, before the threads
        import os

        old = os.environ.get("OHMYLOT_SANDBOX_URL")
        os.environ["OHMYLOT_SANDBOX_URL"] = base  # the registry resolves {sandbox} in this process
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                futures = {
                    source_id: pool.submit(run_crawl, source_id, settings={"DOWNLOAD_DELAY": 0}, timeout=180, env=env)
                    for source_id in ids
                }
                outcomes = {source_id: future.result() for source_id, future in futures.items()}
        finally:
            if old is None:
                os.environ.pop("OHMYLOT_SANDBOX_URL", None)
            else:
                os.environ["OHMYLOT_SANDBOX_URL"] = old
    return sandbox, outcomes, db_path


def test_registry_lists_the_four_sites() -> None:
    entries = {e.id: e for e in load_registry(environ={"OHMYLOT_SANDBOX_URL": "http://127.0.0.1:1"})}
    assert all(f"sandbox-{slug}" in entries for slug in SITES)


def test_every_posting_of_every_site_is_found(crawled) -> None:  # type: ignore[no-untyped-def]
    sandbox, outcomes, db_path = crawled
    conn = sqlite3.connect(db_path)
    for slug in SITES:
        source_id = f"sandbox-{slug}"
        outcome = outcomes[source_id]
        expected = {sandbox.site_ref(v) for v in sandbox.site_postings(slug)}
        refs = {ref for (ref,) in conn.execute("SELECT source_ref FROM posting WHERE source_id = ?", (source_id,))}
        assert outcome.status == "success", (slug, outcome)
        assert refs == expected, slug


def test_fields_survive_each_publishing_style(crawled) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, db_path = crawled
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    for slug in SITES:
        vacancy = sandbox.site_postings(slug)[0]
        row = conn.execute(
            "SELECT * FROM posting WHERE source_id = ? AND source_ref = ?",
            (f"sandbox-{slug}", sandbox.site_ref(vacancy)),
        ).fetchone()
        assert row["title"] == vacancy.title, slug
        assert row["employer_name"] == vacancy.employer.name, slug
        assert row["commune_insee"] == vacancy.commune.insee, slug
        assert row["url"] == sandbox.site_url(vacancy), slug
        # escaped descriptions come out as HTML, never as &lt;p&gt;
        assert "&lt;" not in (row["description_html"] or row["description_text"] or ""), slug
        # a date is midnight in Paris, stored in UTC: the day before at 22:00 or 23:00
        day_before = (vacancy.published - timedelta(days=1)).isoformat()
        assert row["published_at"][:10] in (vacancy.published.isoformat(), day_before), slug
