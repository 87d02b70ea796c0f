"""Deduplication blocking: which postings are compared at all.

Each record gets several keys (specific URL or partner link, employer × commune, employer × ROME, employer
× title word, title word × EPCI / département, ROME × place). Two records are compared only when they share
a key (union of blocks, so a missing field on one side does not lose the pair). Inside a large block,
records are sorted by date and compared only with their neighbours (sorted neighbourhood), so the cost grows
with the corpus, not with its square.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from matching.dedup_records import DedupRecord

#: Blocks larger than this are scanned with a sorted date window instead of all pairs.
FULL_BLOCK_SIZE = 40
#: Neighbours compared on each side in a large block (sorted by publication date).
WINDOW_NEIGHBOURS = 25



def _place_key(record: DedupRecord) -> str:
    return record.commune_insee or (f"d{record.departement}" if record.departement else "")


def _strong_title_words(record: DedupRecord, count: int = 2) -> list[str]:
    """The longest distinctive stems of the title (robust to rewording of the other words)."""
    return sorted(record.title_stems, key=lambda w: (-len(w), w))[:count]


def blocking_keys(record: DedupRecord) -> set[str]:
    """The blocking keys of a record (two records are compared when they share at least one)."""
    keys: set[str] = {f"u:{url}" for url in record.urls}
    employers = [e for e in (record.employer_key, record.siren and f"#{record.siren}") if e]
    place = _place_key(record)
    for emp in employers:
        if place:
            keys.add(f"ep:{emp}|{place}")
        if record.rome_code:
            keys.add(f"er:{emp}|{record.rome_code}")
        for word in _strong_title_words(record, 1):
            keys.add(f"ew:{emp}|{word}")
    for word in _strong_title_words(record):
        if record.epci:
            keys.add(f"wa:{word}|{record.epci}")
        if record.departement:
            keys.add(f"wd:{word}|{record.departement}")
    if record.rome_code and place:
        keys.add(f"rp:{record.rome_code}|{place}")
    return keys


def hashed_key(key: str) -> str:
    """A fixed-width digest of a blocking key (what the database index stores)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _timestamp(record: DedupRecord) -> float:
    since = record.published_at or record.first_seen_at
    return since.timestamp() if since else 0.0


def candidate_pairs(records: Sequence[DedupRecord], keys: Sequence[Iterable[str]] | None = None) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, of records sharing a blocking key (an ``(n, 2)`` int array).

    Small blocks give all their pairs; large blocks are sorted by date and each record is paired with its
    ``WINDOW_NEIGHBOURS`` next records (sorted neighbourhood), so one huge employer cannot blow up the cost.
    The parts of ``iter_candidate_pairs`` put end to end.
    """
    parts = list(iter_candidate_pairs(records, keys))
    if not parts:
        return np.empty((0, 2), dtype=np.int32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def iter_candidate_pairs(
    records: Sequence[DedupRecord], keys: Sequence[Iterable[str]] | None = None
) -> Iterator[np.ndarray]:
    """``candidate_pairs`` in parts (``(m, 2)`` int32 arrays, by ranges of the left record, in the same order),
    so that a caller can score each part and drop it: the pairs of a million postings are never all in memory.
    """
    n = len(records)
    # typed arrays, not lists of Python ints: eight bytes a key at a million records
    key_codes = array("q")
    owners = array("i")
    for index, record in enumerate(records):
        for key in keys[index] if keys is not None else blocking_keys(record):
            key_codes.append(hash(key))
            owners.append(index)
    if n < 2 or not key_codes:
        return
    # One row per (key, record), as arrays: far smaller than a dict of lists at a million records.
    code = np.frombuffer(key_codes, dtype=np.int64)
    owner = np.frombuffer(owners, dtype=np.int32)
    stamps = np.fromiter((_timestamp(r) for r in records), dtype=np.float64, count=n)
    order = np.lexsort((stamps[owner], code))  # by key, then by date inside a key
    code, owner = code[order], owner[order]
    del order, stamps, key_codes, owners
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    sizes = np.diff(np.r_[starts, len(code)])
    size_of_row = np.repeat(sizes, sizes)
    small = size_of_row <= FULL_BLOCK_SIZE
    del starts, size_of_row
    # The pairs are built one range of left records at a time, so that only that range's repeated codes are
    # in memory at once (a pair is found once per key it shares), in the order of one global sort.
    parts = max(1, min(32, -(-len(code) // _ROWS_PER_PART)))
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        codes = _part_codes(code, owner, small, sizes, n, lo, hi)
        if codes is None:
            continue
        pairs = np.empty((len(codes), 2), dtype=np.int32)  # int32 pairs: half the memory of int64
        np.floor_divide(codes, n, out=pairs[:, 0], casting="unsafe")
        np.remainder(codes, n, out=pairs[:, 1], casting="unsafe")
        del codes
        yield pairs


def _part_codes(
    code: np.ndarray, owner: np.ndarray, small: np.ndarray, sizes: np.ndarray, n: int, lo: int, hi: int
) -> np.ndarray | None:
    """The sorted distinct codes ``i * n + j`` of the pairs whose left record is in ``[lo, hi)``."""
    chunks: list[np.ndarray] = []
    for step in range(1, FULL_BLOCK_SIZE):
        if step >= len(code):
            break
        same = code[:-step] == code[step:]
        # small blocks: every pair; large blocks: the WINDOW_NEIGHBOURS next records by date
        if step > WINDOW_NEIGHBOURS:
            same &= small[:-step]
        if not same.any():
            if step > WINDOW_NEIGHBOURS and not (sizes > step).any():
                break
            continue
        left, right = owner[:-step][same], owner[step:][same]
        low, high = np.minimum(left, right), np.maximum(left, right)
        keep = (low != high) & (low >= lo) & (low < hi)
        pair_code = low[keep].astype(np.int64)
        pair_code *= n
        pair_code += high[keep]
        chunks.append(pair_code)
    if not chunks:
        return None
    codes = np.concatenate(chunks)
    del chunks
    codes.sort()  # in place, then drop repeats (a pair shared by several keys)
    return codes[np.r_[True, codes[1:] != codes[:-1]]]


#: Rows (key, record) whose pairs are built at a time in ``candidate_pairs``.
_ROWS_PER_PART = 400_000

__all__ = [
    "FULL_BLOCK_SIZE",
    "WINDOW_NEIGHBOURS",
    "blocking_keys",
    "candidate_pairs",
    "hashed_key",
    "iter_candidate_pairs",
]
