"""Matching benchmark: quality on the relevance set, and speed / memory at scale.

    python -m bench.matching            # relevance figures + 100k / 1k×2k timings (a few minutes)
    python -m bench.matching --huge     # also 10,000 prospects × 1,000,000 offers, top 20 (≈ 10-15 min)
    python -m bench.matching --quick    # small sizes (seconds)

Figures (``run`` returns them as a dict, ``__main__`` prints JSON):
- ``relevance``: nDCG@10, P@5, MRR of the ranker and of the two baselines, same run (``bench.relevance``).
- ``single_prospect``: one prospect against N offers (100,000): index build time, then p50 / p95 / max of one
  ranking (top 10, with reasons) over 200 prospects (20 % without any area: every offer is eligible).
- ``batch``: 1,000 prospects × 2,000 offers, top 10 each: index build + all rankings, total seconds.
- ``huge`` (``--huge``): 10,000 prospects × 1,000,000 offers, top 20 each, blocking by département on two
  processes (``matching.rank.rank_blocked``), the text model fitted on a 100,000-offer sample; wall time and
  peak memory (parent and workers).
The ROME classifier is loaded before timing (once per process, as in the service).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from bench.matching_synthetic import NOW, departement_offers, departement_shares, national_offers, prospects
from bench.relevance import evaluate
from matching.rank import (
    OfferIndex,
    Profile,
    Ranker,
    TextModel,
    area_box,
    merge_top,
    profile_rome_weights,
    rank_blocked,
)


def _warm_classifier() -> None:
    profile_rome_weights(Profile(id="warm", desired_jobs="infirmier"))


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux: kilobytes


def single_prospect(n_offers: int, n_prospects: int) -> dict[str, Any]:
    offers = national_offers(n_offers, seed=11)
    people = prospects(n_prospects, seed=12, no_area_share=0.2)
    started = time.perf_counter()
    index = OfferIndex(offers)
    build = time.perf_counter() - started
    ranker = Ranker(index)
    ranker.rank(people[0], top=10, now=NOW)  # first call: caches
    times, cpu = [], []
    for person in people:
        t, c = time.perf_counter(), time.process_time()
        ranker.rank(person, top=10, now=NOW)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    ms, cpu_ms = np.array(times), np.array(cpu)
    return {
        "offers": n_offers,
        "prospects": n_prospects,
        "index_build_s": round(build, 2),
        "rank_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "rank_ms_p95": round(float(np.percentile(ms, 95)), 1),
        "rank_ms_max": round(float(ms.max()), 1),
        "rank_cpu_ms_p95": round(float(np.percentile(cpu_ms, 95)), 1),
        "target_p95_ms": 100,
    }


def batch(n_prospects: int, n_offers: int) -> dict[str, Any]:
    offers = national_offers(n_offers, seed=21)
    people = prospects(n_prospects, seed=22, no_area_share=0.1)
    started, cpu_started = time.perf_counter(), time.process_time()
    ranker = Ranker(OfferIndex(offers))
    built = time.perf_counter()
    proposals = sum(len(ranker.rank(person, top=10, now=NOW)) for person in people)
    done, cpu_done = time.perf_counter(), time.process_time()
    return {
        "prospects": n_prospects,
        "offers": n_offers,
        "index_build_s": round(built - started, 2),
        "ranking_s": round(done - built, 2),
        "total_s": round(done - started, 2),
        "total_cpu_s": round(cpu_done - cpu_started, 2),
        "proposals": proposals,
        "target_total_s": 2,
    }


# ---- blocked run on two processes -------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(model: Any, people: list[Any], boxes: list[Any]) -> None:
    _WORKER.update(model=model, people=people, boxes=boxes)


def _work(task: tuple[list[tuple[str, int]], int]) -> tuple[dict[str, list[Any]], int, float]:
    departements, top = task
    blocks = (departement_offers(dep, n, seed=1000 + i) for i, (dep, n) in enumerate(departements))
    results = rank_blocked(_WORKER["people"], blocks, _WORKER["model"], top=top, now=NOW, boxes=_WORKER["boxes"])
    return {k: v for k, v in results.items() if v}, sum(n for _, n in departements), _peak_mb()


def huge(n_prospects: int, n_offers: int, *, top: int = 20, workers: int = 2, sample: int = 100_000) -> dict[str, Any]:
    started = time.perf_counter()
    model = TextModel.fit(national_offers(min(sample, n_offers), seed=31))
    fitted = time.perf_counter()
    people = prospects(n_prospects, seed=32)
    boxes = [(p, area_box(p)) for p in people]
    shares = departement_shares()
    sizes = sorted(((dep, max(1, round(share * n_offers))) for dep, share in shares.items()), key=lambda x: -x[1])
    # deal the départements into tasks of similar size (largest first), several tasks per worker
    n_tasks = workers * 6
    tasks: list[list[tuple[str, int]]] = [[] for _ in range(n_tasks)]
    loads = [0] * n_tasks
    for dep, n in sizes:
        i = loads.index(min(loads))
        tasks[i].append((dep, n))
        loads[i] += n
    merged: dict[str, list[Any]] = {}
    offers_done, worker_peak = 0, 0.0
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(model, people, boxes)) as pool:
        for results, count, peak in pool.map(_work, [(t, top) for t in tasks if t]):
            offers_done += count
            worker_peak = max(worker_peak, peak)
            for pid, ranked in results.items():
                merged[pid] = merge_top(merged.get(pid, []), ranked, top)
    done = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    with_proposals = sum(1 for v in merged.values() if v)
    return {
        "prospects": n_prospects,
        "offers": offers_done,
        "top": top,
        "workers": workers,
        "model_fit_s (sample)": round(fitted - started, 1),
        "model_sample": min(sample, n_offers),
        "total_s": round(done - started, 1),
        "cpu_s_parent": round(own.ru_utime + own.ru_stime, 1),
        "cpu_s_workers": round(children.ru_utime + children.ru_stime, 1),
        "prospects_with_proposals": with_proposals,
        "mean_proposals": round(sum(len(v) for v in merged.values()) / max(1, n_prospects), 1),
        "peak_rss_parent_mb": _peak_mb(),
        "peak_rss_worker_mb": worker_peak,
        "peak_rss_total_mb (parent + workers)": round(_peak_mb() + workers * worker_peak, 1),
        "target": "< 15 min and < 4 GB",
    }


def run(quick: bool = False, *, huge_run: bool = False) -> dict[str, object]:
    """Every figure of the benchmark (``quick``: small sizes, a few seconds)."""

    _warm_classifier()
    figures: dict[str, object] = {"relevance": evaluate(full=not quick)}
    if quick:
        figures["single_prospect"] = single_prospect(1_000, 10)
        figures["batch"] = batch(50, 300)
        figures["huge"] = huge(20, 1_000, workers=1, sample=1_000)
        return figures
    figures["single_prospect"] = single_prospect(100_000, 200)
    figures["batch"] = batch(1_000, 2_000)
    if huge_run:
        figures["huge"] = huge(10_000, 1_000_000)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv, huge_run="--huge" in sys.argv), indent=1, ensure_ascii=False))
