"""Crawl benchmarks (issue 3): crawl throughput relative to ``scrapy bench``, and parse + normalise + store.

1. ``crawl_vs_scrapy_bench``: the ``jsonld`` spider crawls a career site of the demo sandbox (listing pages
   with pagination + posting pages, served on 127.0.0.1) with politeness delays off and Scrapy's default
   concurrency, through the whole pipeline (normalise, validate, store in SQLite); in the same run,
   ``scrapy bench`` (Scrapy's own follow-all spider on its own local server, default settings) gives the
   baseline. Figure: pages per second, and the ratio ours / scrapy bench (target ≥ 0.5).
2. ``parse_normalize_store``: N posting pages → ``extract_job_postings`` + ``job_posting_to_raw`` →
   ``normalize_posting`` → ``upsert_postings`` in batches of 500 into a fresh SQLite file, in one process
   (one core). Figure: postings per second (target ≥ 1,000), and per stage.

``python bench/crawl.py`` prints the figures as JSON; ``run(quick=True)`` runs only a small (2), without the
ROME classifier, for tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html

from bench.speed import distinct_jobs, insert_baseline
from crawlers.jsonld import extract_job_postings, job_posting_to_raw
from crawlers.runner import run_crawl
from crawlers.sandbox.server import serve
from crawlers.sandbox.site import Sandbox
from matching import normalize as normalize_module
from matching.normalize import normalize_posting, normalize_postings
from store.crawls import start_run
from store.db import open_database
from store.models import Base
from store.postings import PostingInput, ensure_source, upsert_postings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_STAT = re.compile(r"'(response_received_count|elapsed_time_seconds|item_scraped_count)': ([\d.]+)")


def _stats_from_log(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, value in _STAT.findall(text):
        found[name] = float(value)
    return found


def scrapy_bench(seconds: int = 10) -> dict[str, float]:
    """Scrapy's own benchmark, outside the project (Scrapy defaults), for ``seconds``."""
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
            cwd=empty,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            env={k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH")},
        )
    stats = _stats_from_log(result.stderr)
    pages = stats.get("response_received_count", 0.0)
    elapsed = stats.get("elapsed_time_seconds", 0.0) or float("nan")
    return {"pages": pages, "seconds": round(elapsed, 3), "pages_per_s": round(pages / elapsed, 1)}


def crawl_sandbox(vacancies: int = 3000, site: str = "sante-lot") -> dict[str, Any]:
    """Our spider and pipelines on a sandbox career site, delays off, Scrapy's default concurrency."""

    sandbox = Sandbox(today=date(2026, 11, 25), count=vacancies)
    with tempfile.TemporaryDirectory() as tmp, serve(sandbox.handle) as base:
        sandbox.set_base_url(base)
        env = {"OHMYLOT_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "OHMYLOT_DATA_DIR": tmp}
        outcome = run_crawl(
            f"bench-{site}",
            spider="jsonld",
            url=f"{base}/sites/{site}/offres",
            settings={
                "DOWNLOAD_DELAY": 0,
                "CONCURRENT_REQUESTS": 16,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                "LOG_LEVEL": "INFO",
            },
            timeout=600,
            env=env,
        )
        log = Path(outcome.log_path or "").read_text(encoding="utf-8", errors="replace") if outcome.log_path else ""
    stats = _stats_from_log(log)
    pages = stats.get("response_received_count", 0.0)
    elapsed = stats.get("elapsed_time_seconds", 0.0) or float("nan")
    return {
        "status": outcome.status,
        "postings": outcome.items_scraped,
        "expected_postings": len(sandbox.site_postings(site)),
        "pages": pages,
        "seconds": round(elapsed, 3),
        "pages_per_s": round(pages / elapsed, 1),
        "process_seconds": outcome.duration_s,
    }


def _pages(count: int) -> list[str]:
    sandbox = Sandbox(today=date(2026, 11, 25), count=max(300, min(count, 3000)))
    sandbox.set_base_url("https://bench.invalid")
    templates = [(sandbox.posting_page(v), sandbox.site_ref(v)) for v in sandbox.vacancies if "site" in v.sources]
    pages = []
    for index in range(count):
        page, ref = templates[index % len(templates)]
        pages.append(page.replace(ref, f"{ref}-{index}") if index >= len(templates) else page)
    return pages


def parse_normalize_store(count: int = 5000, batch: int = 500, *, classify_rome: bool = True) -> dict[str, Any]:
    """Postings per second through parsing, normalisation and the SQLite store, in this process.

    ``classify_rome=False`` switches off the ROME classifier of the normaliser (as for sources that give the
    code, like France Travail), to separate its cost from the crawl core's.
    """

    if not classify_rome:
        normalize_module.set_rome_classifier(None)

    pages = _pages(count)
    # Distinct titles and descriptions (ROME appellations × qualifiers): no cache of the normaliser helps.
    distinct = distinct_jobs(count, seed=3)
    normalize_posting(job_posting_to_raw(extract_job_postings(pages[0])[0][0], source="warm-up"))  # load references
    with tempfile.TemporaryDirectory() as tmp:
        # create_all rather than the migrations: same tables, seconds less (the migrations are tested elsewhere)
        db = open_database(f"sqlite:///{tmp}/bench.sqlite3", auto_upgrade=False)
        Base.metadata.create_all(db.engine)
        with db.session() as session:
            ensure_source(session, "bench", platform="jsonld")
            run_id = start_run(session, "bench").id
        # wall time, and CPU time of this process (the figure that holds on a machine shared with others)
        timings = {"parse": 0.0, "normalize": 0.0, "store": 0.0}
        cpu = {"parse": 0.0, "normalize": 0.0, "store": 0.0}
        stored = 0
        started, started_cpu = time.perf_counter(), time.process_time()

        def clock() -> tuple[float, float]:
            return time.perf_counter(), time.process_time()

        def spend(stage: str, since: tuple[float, float]) -> None:
            now = clock()
            timings[stage] += now[0] - since[0]
            cpu[stage] += now[1] - since[1]

        for first in range(0, count, batch):
            step = clock()
            raws = []
            for page in pages[first : first + batch]:
                for ld in extract_job_postings(page, "https://bench.invalid/")[0]:
                    raws.append(job_posting_to_raw(ld, source="bench", page_url="https://bench.invalid/"))
            for raw, job in zip(raws, distinct[first : first + batch], strict=False):
                raw.title, raw.description = job["title"], f"{raw.description or ''}{job['description']}"
            spend("parse", step)
            step = clock()
            inputs = [PostingInput(p, raw) for p, raw in zip(normalize_postings(raws), raws, strict=True)]
            spend("normalize", step)
            step = clock()
            with db.session() as session:
                result = upsert_postings(session, "bench", inputs, run_id=run_id)
            stored += result.new + result.updated + result.unchanged
            spend("store", step)
        total = time.perf_counter() - started
        total_cpu = time.process_time() - started_cpu
        db.engine.dispose()
    if not classify_rome:
        normalize_module._CLASSIFIER.clear()  # noqa: SLF001 - back to the default (loaded on first use)
    baseline = _baselines(pages, stored)
    return {
        **baseline,
        "ratio_to_lxml_parse_cpu": round(stored / total_cpu / baseline["baseline_lxml_parse_per_cpu_s"], 4),
        "ratio_to_bulk_insert_cpu": round(stored / total_cpu / baseline["baseline_bulk_insert_per_cpu_s"], 4),
        "postings": stored,
        "seconds": round(total, 3),
        "postings_per_s": round(stored / total, 1),
        "per_stage_postings_per_s": {name: round(stored / spent, 1) for name, spent in timings.items() if spent},
        "cpu_seconds": round(total_cpu, 3),
        "postings_per_cpu_s": round(stored / total_cpu, 1) if total_cpu else None,
        "per_stage_postings_per_cpu_s": {name: round(stored / spent, 1) for name, spent in cpu.items() if spent},
    }


def _baselines(pages: list[str], count: int) -> dict[str, float]:
    """Same run: lxml parsing the same pages alone, and a bulk insert of as many rows alone (per CPU second)."""
    cpu = time.process_time()
    for page in pages:
        lxml.html.fromstring(page).xpath("//script[@type='application/ld+json']")
    parse = len(pages) / max(time.process_time() - cpu, 1e-9)
    with tempfile.TemporaryDirectory() as tmp:
        insert = insert_baseline(Path(tmp), max(count, 1))
    return {"baseline_lxml_parse_per_cpu_s": round(parse), "baseline_bulk_insert_per_cpu_s": insert["rows_per_cpu_s"]}


def run(quick: bool = False) -> dict[str, object]:
    """All figures; ``quick`` only measures a small parse + normalise + store run (seconds)."""
    if quick:
        return {"parse_normalize_store_without_rome_classifier": parse_normalize_store(100, classify_rome=False)}
    figures: dict[str, object] = {
        "parse_normalize_store": parse_normalize_store(5000),
        "parse_normalize_store_without_rome_classifier": parse_normalize_store(5000, classify_rome=False),
    }
    baseline = scrapy_bench()
    ours = crawl_sandbox()
    figures["scrapy_bench"] = baseline
    figures["crawl_sandbox"] = ours
    if baseline["pages_per_s"] and ours["pages_per_s"] == ours["pages_per_s"]:
        figures["crawl_ratio_to_scrapy_bench"] = round(ours["pages_per_s"] / baseline["pages_per_s"], 3)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
