"""Speed at national scale (issue 19): crawl start-up, and distinct postings per second through the spider.

Every posting is distinct (no cache of the normaliser or the ROME classifier can help): titles are ROME
appellations × qualifiers (« Aide-soignant / Aide-soignante – nuit, Cahors »), descriptions are built from
the skills of the appellation's code plus a sentence of their own, places cycle through the Lot's communes.

1. ``startup``: ``run_crawl`` of a 10-offer HelloWork feed (``file://``), ROME classifier needed, from the
   call to the offers stored: wall time and the CPU time of the crawl process, prebuilt indexes on
   (``matching.cache``, warm) and off (``OHMYLOT_CACHE_DIR=off``: each process builds the classifier and the
   gazetteer, as before issue 19), and in the pre-loaded crawl worker's forked child (``crawlers.worker``,
   alternately with the warm subprocess); median of 5. Then ``python -m jobs crawl SOURCE`` from the
   command to its end, with the worker and without (``OHMYLOT_CRAWL_SERVER=off``). Baseline of the same run:
   a bare ``python -c "import scrapy.crawler"``.
2. ``feed``: ``run_crawl`` of an N-posting feed (parse + normalise with ROME classified + store in SQLite).
   Figure: postings per second of the crawl after its start-up (Scrapy's ``elapsed_time_seconds`` minus the
   10-offer crawl's), and per CPU second of the crawl process, and its peak memory (``memusage/max``).
   Baselines of the same run: ``lxml`` parsing the same file and reading every job's fields (no Scrapy, no
   normalisation), and a bulk insert of as many rows into the same ``posting`` table (SQLAlchemy Core
   ``executemany``, no upsert logic); the ratios ours / baseline are printed beside them.

``python -m bench speed`` (``--quick``: 200 postings). ``PYTHONPATH=. python -m bench.speed cli``: only the
``python -m jobs crawl SOURCE`` figure with the crawl server, the CLI process's CPU apart, next to
``python -c pass``. ``PYTHONPATH=. python -m bench.speed 100000`` for the
memory figure of a 100,000-posting feed.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from sqlalchemy import insert

from crawlers.runner import run_crawl
from crawlers.worker import ping
from crawlers.worker_spawn import crawl_worker
from store.db import open_database
from store.models import Posting
from store.postings import ensure_source

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "matching" / "data"
QUALIFIERS = ("", " H/F", " – nuit", " en CDI", " (temps partiel)", " confirmé", " – week-end", " junior")
CONTRACTS = ("CDI", "CDD", "Intérim", "Alternance", "Saisonnier")
_STAT = re.compile(r"'(elapsed_time_seconds|item_scraped_count|memusage/max)': ([\d.]+)")


def _lot_communes() -> list[tuple[str, str]]:
    with (DATA / "communes.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            (r["name"], r["postal_codes"].split("|")[0]) for r in csv.DictReader(handle) if r["departement"] == "46"
        ]
    return [r for r in rows if r[1]]


def distinct_jobs(count: int, seed: int = 19) -> list[dict[str, str]]:
    """``count`` postings with distinct titles and descriptions (see module docstring)."""
    rng = random.Random(seed)
    with (DATA / "rome_appellations.csv").open(encoding="utf-8", newline="") as handle:
        # an appellation text listed under two codes is kept once (every title distinct)
        appellations = [
            (code, text) for text, code in {r["appellation"]: r["code"] for r in csv.DictReader(handle)}.items()
        ]
    skills: dict[str, list[str]] = {}
    with (DATA / "rome_skills.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            skills.setdefault(row["code"], []).append(row["skill"])
    rng.shuffle(appellations)
    communes = _lot_communes()
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    jobs = []
    for i in range(count):
        code, title = appellations[i % len(appellations)]
        title += QUALIFIERS[(i // len(appellations)) % len(QUALIFIERS)]
        if i >= len(appellations) * len(QUALIFIERS):
            title += f" ({i // (len(appellations) * len(QUALIFIERS))})"
        city, postal = communes[i % len(communes)]
        own = rng.sample(skills.get(code, ["Accueil du public"]), k=min(4, len(skills.get(code, [""]))))
        description = (
            f"<p>Nous recherchons pour notre site de {city} : {escape(title)}.</p><ul>"
            + "".join(f"<li>{escape(s)}</li>" for s in own)
            + f"</ul><p>Poste n° {i} : équipe de {rng.randint(2, 40)} personnes, prise de poste le "
            f"{rng.randint(1, 28)}/{rng.randint(1, 12)}.</p>"
        )
        jobs.append(
            {
                "job_id": str(10_000_000 + i),
                "title": title,
                "url": f"https://emplois.example/offres/{10_000_000 + i}.html",
                "description": description,
                "company_title": f"Entreprise {rng.randint(1, 5000)}",
                "city": city,
                "postal_code": postal,
                "contract": CONTRACTS[i % len(CONTRACTS)],
                "publication_date": (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
    return jobs


def write_feed(path: Path, jobs: list[dict[str, str]]) -> Path:
    """A HelloWork XML feed (``crawlers/spiders/hellowork.py``) of ``jobs``, written in a stream."""
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<root>\n')
        for job in jobs:
            out.write("<job>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in job.items()) + "</job>\n")
        out.write("</root>\n")
    return path


def _crawl(feed: Path, workdir: Path, env: dict[str, str], worker_pid: int | None = None) -> dict[str, Any]:
    """``run_crawl`` of the feed; wall time, the crawl process's CPU time, and its Scrapy stats. With
    ``worker_pid``, the crawl runs in that worker's forked child (its CPU: the worker's reaped children's)."""

    before = _children_cpu() if worker_pid is None else _reaped_cpu(worker_pid)
    started = time.perf_counter()
    outcome = run_crawl(
        "bench-speed", spider="hellowork", url=feed.as_uri(), env=env, timeout=3600,
        use_worker=worker_pid is not None,
    )  # fmt: skip
    wall = time.perf_counter() - started
    cpu = (_children_cpu() if worker_pid is None else _reaped_cpu(worker_pid)) - before
    log = Path(outcome.log_path or "").read_text(encoding="utf-8", errors="replace")
    stats = {name: float(value) for name, value in _STAT.findall(log)}
    return {
        "status": outcome.status,
        "stored": outcome.new + outcome.updated,
        "wall_s": round(wall, 3),
        "crawl_cpu_s": round(cpu, 3),
        "scrapy_elapsed_s": round(stats.get("elapsed_time_seconds", float("nan")), 3),
        "peak_memory_mb": round(stats.get("memusage/max", 0) / 2**20, 1),
    }


def _reaped_cpu(pid: int) -> float:
    """CPU seconds of the reaped children of ``pid`` (``/proc/PID/stat`` cutime + cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _own_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _rates(count: int, wall: float, cpu: float, unit: str) -> dict[str, Any]:
    return {
        unit: count,
        "wall_s": round(wall, 3),
        f"{unit}_per_s": round(count / wall),
        f"{unit}_per_cpu_s": round(count / cpu),
    }


def _database(workdir: Path, name: str) -> dict[str, str]:
    url = f"sqlite:///{workdir / name}.sqlite3"
    open_database(url).engine.dispose()  # migrated once, outside the timings
    return {"OHMYLOT_DATABASE_URL": url, "OHMYLOT_DATA_DIR": str(workdir)}


def _median(results: list[dict[str, Any]], runs: int) -> dict[str, Any]:
    return {
        "stored": [r["stored"] for r in results],
        "median_wall_s": sorted(r["wall_s"] for r in results)[runs // 2],
        "median_crawl_cpu_s": sorted(r["crawl_cpu_s"] for r in results)[runs // 2],
    }


def startup(workdir: Path, runs: int = 5) -> dict[str, Any]:
    """A 10-offer feed: in a subprocess with prebuilt indexes (warm), in the pre-loaded crawl worker's forked
    child (``crawlers.worker``), alternately in the same minutes, and in a subprocess with indexes off; a fresh
    database each run (the offers are new). Then ``python -m jobs crawl SOURCE`` with and without the worker."""

    feed = write_feed(workdir / "ten.xml", distinct_jobs(10, seed=7))
    cache = os.environ.get("OHMYLOT_CACHE_DIR", "")
    env_cache = {"OHMYLOT_CACHE_DIR": cache} if cache else {}
    figures: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    _crawl(feed, workdir, {**_database(workdir, "warm"), **env_cache})  # warm the cache (a first crawl builds it)
    started = time.perf_counter()
    with crawl_worker({"OHMYLOT_DATA_DIR": str(workdir), **env_cache}) as worker:
        pid = int((ping(workdir) or {})["pid"])
        figures["worker_ready_wall_s"] = round(time.perf_counter() - started, 3)
        figures["worker_preload_cpu_s"] = round(_own_cpu(pid), 3)
        plain, forked = [], []
        for i in range(runs):  # alternately: both paths see the same load
            plain.append(_crawl(feed, workdir, {**_database(workdir, f"plain{i}"), **env_cache}))
            forked.append(_crawl(feed, workdir, {**_database(workdir, f"worker{i}"), **env_cache}, worker_pid=pid))
        figures["prebuilt"], figures["worker"] = _median(plain, runs), _median(forked, runs)
        figures["cli"] = cli_crawl(feed, workdir, env_cache, runs, worker_pid=pid if worker.ready else None)
    figures["off"] = _median(
        [_crawl(feed, workdir, {**_database(workdir, f"off{i}"), "OHMYLOT_CACHE_DIR": "off"}) for i in range(runs)],
        runs,
    )
    floor = []
    for _ in range(runs):
        before = _children_cpu()
        subprocess.run([sys.executable, "-c", "import scrapy.crawler"], check=True)  # noqa: S603
        floor.append(_children_cpu() - before)
    figures["baseline_import_scrapy_cpu_s"] = round(sorted(floor)[runs // 2], 3)
    figures["ratio_worker_to_subprocess_cpu"] = round(
        figures["worker"]["median_crawl_cpu_s"] / figures["prebuilt"]["median_crawl_cpu_s"], 3
    )
    figures["load_after"] = os.getloadavg()[0]
    return figures


def cli_crawl(
    feed: Path,
    workdir: Path,
    env_cache: dict[str, str],
    runs: int,
    worker_pid: int | None,
    labels: tuple[str, ...] = ("worker", "subprocess"),
) -> dict[str, Any]:
    """``python -m jobs crawl SOURCE`` of the feed: wall time from the command to its end, the CLI process's
    CPU (``cli_cpu_s``) and with the crawl's (``crawl_cpu_s``: the worker's child, or the subprocess), with the
    worker and without it. Baseline of the same run: ``python -c pass`` (the interpreter's own start)."""
    registry = workdir / "sources.toml"
    registry.write_text(
        f'[[source]]\nid = "bench-cli"\nplatform = "hellowork"\nname = "Bench"\nurl = "{feed.as_uri()}"\n',
        encoding="utf-8",
    )
    figures: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    for label, extra in (("worker", {}), ("subprocess", {"OHMYLOT_CRAWL_SERVER": "off"})):
        if label not in labels:
            continue
        results = []
        for i in range(runs):
            env = {
                **os.environ, **env_cache, **_database(workdir, f"cli-{label}{i}"), **extra,
                "OHMYLOT_SOURCES": str(registry), "PYTHONPATH": str(ROOT),
            }  # fmt: skip
            before, reaped = _children_cpu(), _reaped_cpu(worker_pid) if worker_pid else 0.0
            started = time.perf_counter()
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "jobs", "crawl", "bench-cli"], env=env, cwd=ROOT, capture_output=True
            )
            wall = time.perf_counter() - started
            own = _children_cpu() - before
            child = (_reaped_cpu(worker_pid) - reaped) if worker_pid and label == "worker" else 0.0
            results.append(
                {"stored": done.returncode == 0, "wall_s": round(wall, 3), "crawl_cpu_s": round(own + child, 3),
                 "cli_cpu_s": round(own, 3)}
            )  # fmt: skip
        figures[label] = {
            **_median(results, runs), "median_cli_cpu_s": sorted(r["cli_cpu_s"] for r in results)[runs // 2]
        }  # fmt: skip
    figures["baseline_python_pass"] = _python_pass(runs)
    figures["load_after"] = os.getloadavg()[0]
    return figures


def _python_pass(runs: int) -> dict[str, float]:
    """``python -c pass``, median of ``runs``: the floor of any command."""
    walls, cpus = [], []
    for _ in range(runs):
        before, started = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)  # noqa: S603
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - before)
    return {"median_wall_s": round(sorted(walls)[runs // 2], 3), "median_cpu_s": round(sorted(cpus)[runs // 2], 3)}


def cli_only(workdir: Path, runs: int = 5) -> dict[str, Any]:
    """Only the ``python -m jobs crawl SOURCE`` figure with the crawl server (``python -m bench.speed cli``)."""

    feed = write_feed(workdir / "ten.xml", distinct_jobs(10, seed=7))
    cache = os.environ.get("OHMYLOT_CACHE_DIR", "")
    env_cache = {"OHMYLOT_CACHE_DIR": cache} if cache else {}
    _crawl(feed, workdir, {**_database(workdir, "warm"), **env_cache})  # warm the cache (a first crawl builds it)
    with crawl_worker({"OHMYLOT_DATA_DIR": str(workdir), **env_cache}) as worker:
        pid = int((ping(workdir) or {})["pid"])
        if not worker.ready:
            raise RuntimeError("no crawl server answered")
        cli_crawl(feed, workdir, env_cache, 1, worker_pid=pid, labels=("worker",))  # the first run fills caches
        return cli_crawl(feed, workdir, env_cache, runs, worker_pid=pid, labels=("worker",))


def lxml_baseline(feed: Path) -> dict[str, Any]:
    """lxml alone: parse the feed and read every job's fields (the floor of any XML feed spider)."""

    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    for _, job in etree.iterparse(str(feed), tag="job"):
        fields = {child.tag: child.text for child in job}
        count += bool(fields.get("title"))
        job.clear()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "postings": count,
        "wall_s": round(wall, 3),
        "postings_per_s": round(count / wall),
        "postings_per_cpu_s": round(count / cpu),
    }


def insert_baseline(workdir: Path, count: int) -> dict[str, Any]:
    """A bulk insert alone: ``count`` rows into the ``posting`` table in batches of 500 (one transaction each)."""
    db = open_database(_database(workdir, "insert")["OHMYLOT_DATABASE_URL"])
    now = datetime.now(UTC)
    with db.session() as session:
        ensure_source(session, "bench-insert", platform="hellowork")
    rows = [
        {"source_id": "bench-insert", "source_ref": str(i), "title": f"Poste {i}", "title_clean": f"Poste {i}",
         "description_text": f"Description {i} " * 40, "content_hash": f"{i:064x}", "first_seen_at": now,
         "last_seen_at": now, "status": "open", "missed_runs": 0, "raw": {"job_id": str(i)}}
        for i in range(count)
    ]  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, count, 500):
        with db.session() as session:
            session.execute(insert(Posting), rows[first : first + 500])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.engine.dispose()
    return {
        "rows": count,
        "wall_s": round(wall, 3),
        "rows_per_s": round(count / wall),
        "rows_per_cpu_s": round(count / cpu),
    }


def feed_throughput(workdir: Path, count: int, startup_s: float, startup_cpu_s: float) -> dict[str, Any]:
    """The N-posting feed through the spider, with both baselines of the same run."""
    feed = write_feed(workdir / "feed.xml", distinct_jobs(count))
    result = _crawl(feed, workdir, _database(workdir, "feed"))
    work_s = max(result["scrapy_elapsed_s"] - startup_s, 1e-9)
    work_cpu_s = max(result["crawl_cpu_s"] - startup_cpu_s, 1e-9)
    ours = {
        **result,
        "postings_per_s_after_startup": round(result["stored"] / work_s),
        "postings_per_cpu_s_after_startup": round(result["stored"] / work_cpu_s),
    }
    parse = lxml_baseline(feed)
    store = insert_baseline(workdir, count)
    return {
        "ours": ours,
        "baseline_lxml_parse": parse,
        "baseline_bulk_insert": store,
        "ratio_to_lxml_parse_cpu": round(ours["postings_per_cpu_s_after_startup"] / parse["postings_per_cpu_s"], 3),
        "ratio_to_bulk_insert_cpu": round(ours["postings_per_cpu_s_after_startup"] / store["rows_per_cpu_s"], 3),
    }


def run(quick: bool = False, count: int | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        figures: dict[str, object] = {"startup": startup(workdir, runs=1 if quick else 5)}
        warm = figures["startup"]["prebuilt"]  # type: ignore[index]
        # Start-up inside Scrapy's elapsed time: the 10-offer crawl's own elapsed time stands for it.
        ten = _crawl(workdir / "ten.xml", workdir, _database(workdir, "ten"))
        figures["feed"] = feed_throughput(
            workdir, count or (200 if quick else 20_000), ten["scrapy_elapsed_s"], warm["median_crawl_cpu_s"]
        )
    return figures


if __name__ == "__main__" and sys.argv[1:2] == ["cli"]:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(cli_only(Path(tmp)), indent=2, ensure_ascii=False))
elif __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    size = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else None
    print(json.dumps(run(quick="--quick" in sys.argv, count=size), indent=2, ensure_ascii=False))
