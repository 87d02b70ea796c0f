"""Deduplication clustering that cannot chain two different vacancies into one offer.

Candidate edges above the threshold are merged greedily by decreasing score; two groups merge only if *no*
pair across them clearly differs (complete-linkage check), and their lifetimes overlap (a repost after the
offer closed is a new vacancy). Chaining A≈B≈C into one offer when A and C differ is therefore impossible.
Existing offers (forced links) and staff merges are applied first; staff splits forbid pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

from matching.dedup_compare import DIFFER_THRESHOLD, Edge, compare
from matching.dedup_records import DedupRecord

#: Grace (days) between the closing of an offer and the first sight of a repost of it.
REPOST_GRACE_DAYS = 3

class _Groups:
    """Union of groups that keeps the members of each group (for complete-linkage checks)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> int:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))
        return a


def _lifetime(records: Sequence[DedupRecord], members: list[int]) -> tuple[float, float]:
    start = min((r.since.timestamp() for r in (records[m] for m in members) if r.since), default=-math.inf)
    ends = [records[m].closed_at for m in members]
    end = math.inf if any(e is None for e in ends) else max(e.timestamp() for e in ends if e)
    return start, end


def can_merge(
    records: Sequence[DedupRecord],
    group_a: list[int],
    group_b: list[int],
    cache: dict | None = None,
    vouched: frozenset[int] | set[int] = frozenset(),
) -> bool:
    """True when no pair across the two groups clearly differs and their lifetimes overlap.

    Postings in ``vouched`` (tied to another by a staff merge) are not checked: staff said their offer is
    one vacancy even if, say, two titles name two services.
    """
    start_a, end_a = _lifetime(records, group_a)
    start_b, end_b = _lifetime(records, group_b)
    grace = REPOST_GRACE_DAYS * 86400.0
    if start_b > end_a + grace or start_a > end_b + grace:
        # A repost after the offer closed is a new vacancy, unless it is the same posting reopened.
        refs_a = {(records[m].source, records[m].source_ref) for m in group_a}
        if not any((records[m].source, records[m].source_ref) in refs_a for m in group_b):
            return False
    for x in group_a:
        if x in vouched:
            continue
        for y in group_b:
            if y in vouched:
                continue
            key = (x, y) if x < y else (y, x)
            score = cache.get(key) if cache is not None else None
            if score is None:
                score = compare(records[x], records[y]).score
                if cache is not None:
                    cache[key] = score
            if score < DIFFER_THRESHOLD:
                return False
    return True


def cluster(
    records: Sequence[DedupRecord],
    edges: Iterable[Edge],
    *,
    forced_links: Iterable[tuple[int, int]] = (),
    forbidden: Iterable[tuple[int, int]] = (),
    staff_links: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """Group records into offers; returns a group label (the smallest member index) per record.

    ``edges`` are merged by decreasing score with the complete-linkage check of ``can_merge``.
    ``forced_links`` (existing offers kept whole) and ``staff_links`` (staff merges) are applied first without
    checks; ``forbidden`` pairs (staff splits) never end up in one group through an automatic edge.
    """
    groups = _Groups(len(records))
    staff_links = list(staff_links)
    vouched = {i for pair in staff_links for i in pair}
    for x, y in [*forced_links, *staff_links]:
        rx, ry = groups.find(x), groups.find(y)
        if rx != ry:
            groups.union(rx, ry)
    banned: dict[int, set[int]] = defaultdict(set)
    for x, y in forbidden:
        banned[x].add(y)
        banned[y].add(x)
    cache: dict[tuple[int, int], float] = {}
    ordered = sorted(edges, key=lambda e: -e.score)
    for edge in ordered:
        cache[(min(edge.i, edge.j), max(edge.i, edge.j))] = edge.score
    for edge in ordered:
        ra, rb = groups.find(edge.i), groups.find(edge.j)
        if ra == rb:
            continue
        ma, mb = groups.members[ra], groups.members[rb]
        if banned and any(banned.get(m) and banned[m].intersection(mb) for m in ma):
            continue
        if can_merge(records, ma, mb, cache, vouched):
            groups.union(ra, rb)
    labels = [0] * len(records)
    for root, members in groups.members.items():
        label = min(members)
        for m in members:
            labels[m] = label
        del root
    return labels


__all__ = ["REPOST_GRACE_DAYS", "can_merge", "cluster"]
