"""Deduplication benchmark: quality on the labelled set, database rebuild and incremental times, scale.

``run(quick=False)`` returns the figures (``quick=True`` takes a few seconds, for tests):

- ``quality``: pairwise precision / recall / F1 on the labelled pairs (``tests/data/dedup``), dev and test;
- ``db_full_rebuild``: ``dedupe_database(full=True)`` on 2,000 synthetic postings in a fresh SQLite file;
- ``db_incremental``: with N offers stored (100,000 in the full run), new postings added one at a time,
  each followed by ``dedupe_database()``: milliseconds per posting;
- ``engine_scale``: the pure engine (block, compare, cluster) on N postings of national scope, with time and
  peak memory (``resource.getrusage``), run in a child process so the peak is its own
  (``python -m bench.dedup --scale 1000000``).

``python -m bench.dedup [--quick]`` prints the figures as JSON.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from bench.dedup_labels import score
from bench.synthetic import SOURCES, generate
from matching.dedup import cluster, dedupe_records, iter_candidate_pairs, record_from_json, score_pairs
from store.db import open_database
from store.dedup import dedupe_database
from store.models import Posting, Source

ROOT = Path(__file__).resolve().parent.parent


def posting_row(data: dict[str, Any]) -> dict[str, Any]:
    """Column values of a ``Posting`` from the JSON of a normalised posting (as the crawl pipeline stores it)."""
    location = data.get("location") or {}
    salary = data.get("salary") or {}
    published = datetime.fromisoformat(data["published_at"]) if data.get("published_at") else None
    closed = datetime.fromisoformat(data["closed_at"]) if data.get("closed_at") else None
    return {
        "source_id": data["source"],
        "source_ref": data["source_id"],
        "url": data.get("url"),
        "title": data["title"],
        "title_clean": data.get("title_clean"),
        "employer_name": data.get("employer"),
        "employer_siret": data.get("employer_siret"),
        "description_text": data.get("description"),
        "contract_type": data.get("contract_type"),
        "working_time": data.get("working_time"),
        "hours_per_week": data.get("hours_per_week"),
        "salary_min": salary.get("min"),
        "salary_max": salary.get("max"),
        "salary_period": salary.get("period"),
        "rome_code": data.get("rome_code"),
        "location_label": location.get("label"),
        "commune_insee": location.get("insee"),
        "commune_name": location.get("name"),
        "postal_code": location.get("postal_code"),
        "departement": location.get("departement"),
        "epci": location.get("epci"),
        "lat": location.get("lat"),
        "lon": location.get("lon"),
        "location_level": location.get("level"),
        "apply_url": data.get("apply_url"),
        "partners": data.get("partners") or [],
        "published_at": published,
        "first_seen_at": published,
        "last_seen_at": published,
        "status": "closed" if closed else "open",
        "closed_at": closed,
        "flags": [],
        "raw": {},
    }


def _database(path: Path):  # type: ignore[no-untyped-def]

    db = open_database(f"sqlite:///{path}")
    with db.session() as session:
        for source, trust in SOURCES.items():
            session.add(Source(id=source, platform="bench", name=source, trust=trust))
    return db


def _insert(db, items) -> None:  # type: ignore[no-untyped-def]


    rows = [posting_row(item.data) for item in items]
    with db.session() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Posting), rows[start : start + 5000])


def _warm_up() -> None:
    """Load what a long-running process has loaded once (scikit-learn, the place names)."""

    dedupe_records([record_from_json(item.data) for item in generate(20, seed=1)])


def bench_full_rebuild(n: int = 2000, seed: int = 11) -> dict[str, Any]:
    """Seconds of ``dedupe_database`` (incremental from empty, then ``full=True``) on ``n`` postings."""

    _warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        db = _database(Path(tmp) / "bench.sqlite3")
        _insert(db, generate(n, seed=seed))
        with db.session() as session:
            start = time.perf_counter()
            dedupe_database(session)
            first_s = time.perf_counter() - start
        with db.session() as session:
            start, cpu = time.perf_counter(), time.process_time()
            stats = dedupe_database(session, full=True)
            full_s, full_cpu = time.perf_counter() - start, time.process_time() - cpu
        db.engine.dispose()
    return {"postings": n, "offers": stats.offers, "first_run_s": round(first_s, 3),
            "full_rebuild_s": round(full_s, 3), "full_rebuild_cpu_s": round(full_cpu, 3), "target_s": 2.0}


def _changed_runs(db, stored: int, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds of an incremental run after a crawl changed one stored posting's title (``count`` times)."""
    times: list[float] = []
    step = max(1, stored // max(count, 1))
    for number, posting_id in enumerate(range(1, stored + 1, step)):
        with db.session() as session:
            title = session.scalar(select(Posting.title).where(Posting.id == posting_id)) or ""
            session.execute(
                update(Posting)
                .where(Posting.id == posting_id)
                .values(title=f"{title} - service {number}", content_hash=f"changed-{number}")
            )
        with db.session() as session:
            start = time.perf_counter()
            stats = dedupe_database(session)
            times.append(time.perf_counter() - start)
        assert stats.rechecked == 1, stats
        if len(times) == count:
            break
    return sorted(times)


def bench_incremental(stored: int = 100_000, new: int = 40, seed: int = 12) -> dict[str, Any]:
    """Milliseconds per new posting (each followed by an incremental run) with ``stored`` postings in offers."""

    _warm_up()
    items = list(generate(stored + new, seed=seed, scope="france" if stored > 20_000 else "lot"))
    with tempfile.TemporaryDirectory() as tmp:
        db = _database(Path(tmp) / "bench.sqlite3")
        start = time.perf_counter()
        _insert(db, items[:stored])
        with db.session() as session:
            stats = dedupe_database(session, full=True)
        setup_s = time.perf_counter() - start
        times, cpu_times = [], []
        for item in items[stored:]:
            _insert(db, [item])
            with db.session() as session:
                start, cpu = time.perf_counter(), time.process_time()
                dedupe_database(session)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu)
        changed_times = _changed_runs(db, stored, new)
        db.engine.dispose()
    times.sort()
    cpu_times.sort()
    return {
        "changed_postings": len(changed_times),
        "ms_per_changed_posting_median": round(1000 * changed_times[len(changed_times) // 2], 1),
        "stored_postings": stored,
        "stored_offers": stats.offers,
        "setup_s": round(setup_s, 1),
        "new_postings": new,
        "ms_per_posting_median": round(1000 * times[len(times) // 2], 1),
        "ms_per_posting_p95": round(1000 * times[int(len(times) * 0.95) - 1], 1),
        "cpu_ms_per_posting_median": round(1000 * cpu_times[len(cpu_times) // 2], 1),
        "target_ms": 50,
    }


def _rss_mb() -> float:
    """Resident memory of this process now (MB; Linux ``/proc``, else the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * resource.getpagesize() / 2**20


def bench_engine(n: int, seed: int = 13, scope: str = "france") -> dict[str, Any]:
    """The pure engine on ``n`` postings: seconds (wall and CPU) per stage, resident memory after each stage
    and the peak RSS of this process."""

    start = time.perf_counter()
    records = []
    truth = []
    prepared_s = prepared_cpu = 0.0
    for item in generate(n, seed=seed, scope=scope):
        t, c = time.perf_counter(), time.process_time()
        records.append(record_from_json(item.data))
        prepared_s += time.perf_counter() - t
        prepared_cpu += time.process_time() - c
        truth.append(item.vacancy)
    generated_s = time.perf_counter() - start - prepared_s
    rss = {"records": round(_rss_mb())}
    cpu = {"records": prepared_cpu}
    # blocking gives the candidate pairs part by part and each part is compared before the next is built
    # (``dedupe_records``' order): the blocking's share is timed inside the stream
    blocked = {"wall": 0.0, "cpu": 0.0, "pairs": 0}

    def timed_parts() -> Iterator[Any]:
        parts = iter_candidate_pairs(records)
        while True:
            c, t = time.process_time(), time.perf_counter()
            part = next(parts, None)
            blocked["wall"] += time.perf_counter() - t
            blocked["cpu"] += time.process_time() - c
            if part is None:
                return
            blocked["pairs"] += len(part)
            yield part

    c, t = time.process_time(), time.perf_counter()
    edges = score_pairs(records, timed_parts())
    blocking_s, cpu["blocking"] = blocked["wall"], blocked["cpu"]
    compare_s = time.perf_counter() - t - blocking_s
    cpu["comparison"] = time.process_time() - c - cpu["blocking"]
    candidate_count = blocked["pairs"]
    rss["blocking_and_comparison"] = round(_rss_mb())
    c, t = time.process_time(), time.perf_counter()
    labels = cluster(records, edges)
    cluster_s, cpu["clustering"] = time.perf_counter() - t, time.process_time() - c
    rss["clustering"] = round(_rss_mb())
    dedup_s = prepared_s + blocking_s + compare_s + cluster_s
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # pairwise precision / recall against the generator's truth

    same_truth = Counter(truth)
    same_label = Counter(labels)
    same_both = Counter(zip(truth, labels, strict=True))
    pairs_of = lambda c: sum(v * (v - 1) // 2 for v in c.values())  # noqa: E731
    tp, predicted, actual = pairs_of(same_both), pairs_of(same_label), pairs_of(same_truth)
    return {
        "postings": n,
        "scope": scope,
        "generate_s": round(generated_s, 1),
        "prepare_s": round(prepared_s, 1),
        "blocking_s": round(blocking_s, 1),
        "candidate_pairs": candidate_count,
        "compare_s": round(compare_s, 1),
        "cluster_s": round(cluster_s, 1),
        "dedup_s": round(dedup_s, 1),
        "dedup_cpu_s": round(sum(cpu.values()), 1),
        "cpu_s": {stage: round(value, 1) for stage, value in cpu.items()},
        "rss_after_mb": rss,
        "offers": len(same_label),
        "peak_rss_mb": round(rss_mb),
        "pairwise_precision": round(tp / predicted, 4) if predicted else 1.0,
        "pairwise_recall": round(tp / actual, 4) if actual else 1.0,
    }


def _engine_in_child(n: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.dedup", "--scale", str(n)], capture_output=True, text=True, cwd=ROOT,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)}, timeout=3600,
    )
    if result.returncode != 0:
        return {"postings": n, "error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout)


def run(quick: bool = False) -> dict[str, object]:
    """All figures; ``quick`` shrinks every size so the whole run takes a few seconds."""

    figures: dict[str, object] = {}
    if not quick:
        quality = score()
        figures["quality"] = {k: quality[k] for k in ("dev", "test", "wrongly_merged_share", "corpus_all_pairs")}
    figures["db_full_rebuild"] = bench_full_rebuild(200 if quick else 2000)
    figures["db_incremental"] = bench_incremental(500 if quick else 100_000, 3 if quick else 40)
    figures["engine_scale"] = [bench_engine(1000, scope="lot")] if quick else [
        _engine_in_child(n) for n in (10_000, 100_000)
    ]
    return figures


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.dedup [--quick] [--scale N]``."""
    args = argv if argv is not None else sys.argv[1:]
    if "--scale" in args:
        n = int(args[args.index("--scale") + 1])
        print(json.dumps(bench_engine(n)))
        return
    print(json.dumps(run(quick="--quick" in args), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
