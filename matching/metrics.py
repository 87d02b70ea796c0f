"""Ranking quality measures: nDCG@k, P@k and MRR over graded judgements.

Grades are integers (0 = not relevant, 1 = partly relevant, 2 = relevant). An offer without a judgement
counts as 0 (the usual convention with pooled judgements: it was in no system's pool).

- ``ndcg_at_k``: DCG with exponential gain ``2**grade − 1`` and ``log2(rank + 1)`` discount, divided by the
  DCG of the ideal ordering of *all* judged offers of the query; None when the query has no relevant offer
  (such queries are left out of the mean, and counted).
- ``precision_at_k``: share of the first ``k`` proposals with ``grade >= threshold``; missing positions
  (fewer than ``k`` proposals) count as not relevant.
- ``reciprocal_rank``: 1 / rank of the first proposal with ``grade >= threshold``, 0 when there is none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain of grades in ranked order."""
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float | None:
    """nDCG@k of a ranked list of ids against graded judgements; None when no judged id is relevant."""
    ideal = dcg(sorted(judgements.values(), reverse=True)[:k])
    if ideal <= 0:
        return None
    return dcg([judgements.get(i, 0) for i in ranked[:k]]) / ideal


def precision_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 5, threshold: int = 2) -> float:
    """Share of the first ``k`` positions holding an id graded ``>= threshold``."""
    return sum(1 for i in ranked[:k] if judgements.get(i, 0) >= threshold) / k


def reciprocal_rank(ranked: Sequence[str], judgements: Mapping[str, int], threshold: int = 2) -> float:
    """1 / rank of the first id graded ``>= threshold``; 0 when none is."""
    for position, item in enumerate(ranked, start=1):
        if judgements.get(item, 0) >= threshold:
            return 1.0 / position
    return 0.0


@dataclass(slots=True)
class Summary:
    """Mean measures of one system over a query set."""

    ndcg10: float
    p5: float
    mrr: float
    queries: int
    queries_without_relevant: int
    unjudged_in_top10: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "ndcg@10": round(self.ndcg10, 4),
            "p@5": round(self.p5, 4),
            "mrr": round(self.mrr, 4),
            "queries": self.queries,
            "queries_without_relevant": self.queries_without_relevant,
            "unjudged_in_top10": round(self.unjudged_in_top10, 4),
        }


def summarize(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]], *, threshold: int = 2
) -> Summary:
    """Mean nDCG@10, P@5 and MRR of ``runs`` (query → ranked ids) against ``qrels`` (query → id → grade)."""
    ndcgs, p5s, rrs = [], [], []
    without, unjudged, shown = 0, 0, 0
    for query, judged in qrels.items():
        ranked = list(runs.get(query, []))
        value = ndcg_at_k(ranked, judged, 10)
        if value is None:
            without += 1
            continue
        ndcgs.append(value)
        p5s.append(precision_at_k(ranked, judged, 5, threshold))
        rrs.append(reciprocal_rank(ranked, judged, threshold))
        unjudged += sum(1 for i in ranked[:10] if i not in judged)
        shown += len(ranked[:10])
    n = len(ndcgs) or 1
    return Summary(
        ndcg10=sum(ndcgs) / n,
        p5=sum(p5s) / n,
        mrr=sum(rrs) / n,
        queries=len(ndcgs),
        queries_without_relevant=without,
        unjudged_in_top10=unjudged / shown if shown else 0.0,
    )
