"""Deduplication of postings into offers (one real vacancy), as pure functions: the engine's entry point.

Pipeline (no database, no network; ``store/dedup.py`` persists the result), one module per step:

1. **Records** (``matching/dedup_records.py``): a ``DedupRecord`` holds the comparable fields of one posting
   (built from a database row or from the JSON form of a normalised posting, ``record_from_json``).
2. **Blocking** (``matching/dedup_blocking.py``): each record gets several keys; two records are compared only
   when they share one, with a sorted date window inside large blocks.
3. **Comparison** (``matching/dedup_compare.py``): features of a pair, hard vetoes and a score in [0, 1].
4. **Clustering** (``matching/dedup_cluster.py``): edges merged by decreasing score with a complete-linkage
   check, so A≈B≈C never makes one offer when A and C differ.

This module keeps the names the callers import (``from matching.dedup import …``). Thresholds are tuned on
the dev split of ``tests/data/dedup/`` (see ``docs/dedup.md``); they live in the module that reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from matching.dedup_blocking import (
    FULL_BLOCK_SIZE,
    WINDOW_NEIGHBOURS,
    blocking_keys,
    candidate_pairs,
    hashed_key,
    iter_candidate_pairs,
)
from matching.dedup_cluster import REPOST_GRACE_DAYS, can_merge, cluster
from matching.dedup_compare import (
    DIFFER_THRESHOLD,
    MATCH_THRESHOLD,
    MAX_DISTANCE_KM,
    MAX_GAP_DAYS,
    ONE_SIDED_PENALTY,
    SITE_DISTANCE_KM,
    Edge,
    PairFeatures,
    compare,
    description_cosines,
    prefilter,
    score_pairs,
)
from matching.dedup_records import (
    DedupRecord,
    canonical_url,
    description_words,
    employer_key,
    employer_similarity,
    prepare,
    record_from_json,
    title_qualifier,
)


def dedupe_records(records: Sequence[DedupRecord], **kwargs: Any) -> list[int]:
    """Block, compare and cluster ``records`` (prepared); returns one group label per record.

    The candidate pairs are compared part by part as the blocking gives them (never all in memory).
    """
    edges = score_pairs(records, iter_candidate_pairs(records))
    return cluster(records, edges, **kwargs)


def best_record_order(record: DedupRecord, trust: float, completeness: float) -> tuple[float, float, float]:
    """Sort key (descending) for choosing an offer's best posting: trust, completeness, freshness."""
    fresh = record.published_at or record.first_seen_at
    return (trust, completeness, fresh.timestamp() if fresh else 0.0)


def now_utc() -> datetime:
    """The current UTC time (injectable in callers through ``now=``)."""
    return datetime.now(UTC)


__all__ = [
    "DIFFER_THRESHOLD",
    "FULL_BLOCK_SIZE",
    "MATCH_THRESHOLD",
    "MAX_DISTANCE_KM",
    "MAX_GAP_DAYS",
    "ONE_SIDED_PENALTY",
    "REPOST_GRACE_DAYS",
    "SITE_DISTANCE_KM",
    "WINDOW_NEIGHBOURS",
    "DedupRecord",
    "Edge",
    "PairFeatures",
    "best_record_order",
    "blocking_keys",
    "can_merge",
    "candidate_pairs",
    "canonical_url",
    "cluster",
    "compare",
    "dedupe_records",
    "description_cosines",
    "description_words",
    "employer_key",
    "employer_similarity",
    "hashed_key",
    "iter_candidate_pairs",
    "now_utc",
    "prefilter",
    "prepare",
    "record_from_json",
    "score_pairs",
    "title_qualifier",
]
