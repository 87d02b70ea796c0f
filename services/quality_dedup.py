"""Deduplication measured on real France Travail postings (truth from the sources, see tests/data/dedup_real).

Run: ``ohmylot quality report --set dedup-real`` (needs the files built by ``python -m bench.dedup_real``;
absent, ``evaluate`` raises ``FileNotFoundError`` with how to build them).

Both methods see the same records of one split (``tuning`` or ``test``, by a hash of the employer, else the
France Travail id, so no vacancy and no employer sits in both):

- ``ours``: the shipped engine (``matching.dedup.dedupe_records``) clusters every record of the split; a
  labelled pair is called a duplicate when its two records end up in one offer;
- ``baseline``: rapidfuzz ``ratio`` of the folded titles ≥ a threshold **and** the same commune, the threshold
  chosen on the tuning split (best F1).

Precision and recall are over the labelled pairs whose truth is known; the ambiguous kind
(``same_employer_title_same_day``) is reported apart as the share of its pairs merged.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from matching.dedup import dedupe_records, employer_key, record_from_json
from matching.text import strip_gender_marks, tokens

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "dedup_real"
MISSING = (
    "jeu de dédoublonnage réel absent : construisez tests/data/dedup_real/ avec "
    "`PYTHONPATH=. python -m bench.dedup_real --mirror DOSSIER` (voir tests/data/dedup_real/README.md)"
)
AMBIGUOUS = "same_employer_title_same_day"
BASELINE_THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)


def split_of(record: dict[str, Any]) -> str:
    """``tuning`` (1 in 2) or ``test``, by the employer (else the France Travail id) of a record."""
    key = employer_key(record.get("employer")) or str(record.get("ft_id") or record.get("id"))
    bucket = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(), 16) % 2
    return "tuning" if bucket == 0 else "test"


def load(directory: Path = DATA_DIR) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The postings and labelled pairs (raises ``FileNotFoundError`` when the set was not built)."""
    files = [directory / "postings.jsonl", directory / "pairs.jsonl"]
    if not all(f.exists() for f in files):
        raise FileNotFoundError(MISSING)
    rows = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            rows.append([json.loads(line) for line in handle if line.strip()])
    return rows[0], rows[1]


def _title(record: dict[str, Any]) -> str:
    return " ".join(tokens(strip_gender_marks(record.get("title") or "")))


def _place(record: dict[str, Any]) -> str:
    location = record.get("location") or {}
    return str(location.get("insee") or location.get("name") or "")


def baseline_same(a: dict[str, Any], b: dict[str, Any], threshold: float) -> bool:
    """The baseline's call: similar folded titles and the same commune."""
    return bool(_place(a)) and _place(a) == _place(b) and fuzz.ratio(_title(a), _title(b)) / 100.0 >= threshold


def scores(labelled: list[dict[str, Any]], predicted: list[bool]) -> dict[str, Any]:
    """Precision, recall, F1 over the pairs whose truth is known; accuracy per kind; ambiguous merge rate."""
    tp = fp = fn = 0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair, same in zip(labelled, predicted, strict=True):
        truth = pair["duplicate"]
        per_kind[pair["kind"]][1] += 1
        if truth is None:
            per_kind[pair["kind"]][0] += int(same)
            continue
        per_kind[pair["kind"]][0] += int(same == truth)
        tp += int(same and truth)
        fp += int(same and not truth)
        fn += int(truth and not same)
    ambiguous = per_kind[AMBIGUOUS]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "duplicates": tp + fn,
        "non_duplicates": sum(1 for p in labelled if p["duplicate"] is False),
        "false_merges": fp,
        "accuracy_by_kind": {
            kind: round(right / total, 4) for kind, (right, total) in sorted(per_kind.items()) if kind != AMBIGUOUS
        },
        "ambiguous_merged": round(ambiguous[0] / ambiguous[1], 4) if ambiguous[1] else None,
    }


def engine_labels(records: list[dict[str, Any]]) -> dict[str, int]:
    """Offer label of each record id when the engine clusters ``records`` together."""
    prepared = [record_from_json(r) for r in records]
    labels = dedupe_records(prepared)
    return {r["id"]: label for r, label in zip(records, labels, strict=True)}


def evaluate_split(
    postings: list[dict[str, Any]], pairs: list[dict[str, Any]], split: str, threshold: float
) -> dict[str, Any]:
    """Our engine and the baseline (at ``threshold``) on one split."""
    records = [r for r in postings if r["split"] == split]
    by_id = {r["id"]: r for r in records}
    labelled = [p for p in pairs if p["split"] == split]
    labels = engine_labels(records)
    ours = [labels[p["a"]] == labels[p["b"]] for p in labelled]
    base = [baseline_same(by_id[p["a"]], by_id[p["b"]], threshold) for p in labelled]
    return {"postings": len(records), "ours": scores(labelled, ours), "baseline": scores(labelled, base)}


def tune_baseline(postings: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> float:
    """The baseline threshold with the best F1 on the tuning split (highest precision on ties)."""
    by_id = {r["id"]: r for r in postings}
    labelled = [p for p in pairs if p["split"] == "tuning"]

    def key(threshold: float) -> tuple[float, float]:
        result = scores(labelled, [baseline_same(by_id[p["a"]], by_id[p["b"]], threshold) for p in labelled])
        return (result["f1"], result["precision"])

    return max(BASELINE_THRESHOLDS, key=key)


def evaluate(directory: Path = DATA_DIR) -> dict[str, Any]:
    """Figures of both splits (tuning: for tuning only; test: what is reported)."""
    postings, pairs = load(directory)
    threshold = tune_baseline(postings, pairs)
    return {
        "baseline_threshold": threshold,
        "tuning": evaluate_split(postings, pairs, "tuning", threshold),
        "test": evaluate_split(postings, pairs, "test", threshold),
    }


__all__ = ["DATA_DIR", "MISSING", "evaluate", "load", "scores", "split_of"]
