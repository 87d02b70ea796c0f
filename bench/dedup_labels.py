"""The labelled deduplication set of ``tests/data/dedup/``: building it and scoring the engine on it.

``python -m bench.dedup_labels build`` regenerates ``postings.jsonl`` and ``pairs.jsonl`` (seeded, so the
same files come out); ``python -m bench.dedup_labels score`` prints precision / recall / F1 per split and
per kind; ``python -m bench.dedup_labels tune`` searches the decision threshold on the dev split.
See ``tests/data/dedup/GUIDELINES.md`` for what the labels mean.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import matching.dedup_compare as engine
from bench.synthetic import Generator, SyntheticPosting
from matching.dedup import dedupe_records, record_from_json

LABELS_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "dedup"
DUPLICATE_KINDS = ("exact", "near", "semantic", "temporal", "partial")


def split_of(employer: str) -> str:
    """dev or test, by employer (an employer's pairs are all in one split: no leak between them)."""
    return "dev" if hashlib.sha1(employer.encode("utf-8")).digest()[0] % 2 == 0 else "test"  # noqa: S324


def build(out_dir: Path = LABELS_DIR, seed: int = 2026, vacancies: int = 520) -> dict[str, int]:
    """Generate the labelled postings and pairs; returns counts by label and kind."""
    gen = Generator(seed, "lot", employers=140)
    rng = random.Random(seed + 1)
    items: list[SyntheticPosting] = []
    by_vacancy: dict[int, list[SyntheticPosting]] = defaultdict(list)
    groups: list[list[Any]] = []
    for _ in range(vacancies):
        base = gen.vacancy()
        group = [base]
        if rng.random() < 0.75:
            sibling = gen.sibling(base)
            if sibling is not None:
                group.append(sibling)
        for vacancy in group:
            gen.settle(vacancy)
        groups.append(group)
        for vacancy in group:
            for item in gen.publish(vacancy):
                items.append(item)
                by_vacancy[vacancy.id].append(item)
    pairs: list[dict[str, Any]] = []
    for postings in by_vacancy.values():
        first = postings[0]
        for other in postings[1:]:
            pairs.append({"a": first.data["id"], "b": other.data["id"], "label": 1, "kind": other.kind})
    for group in groups:
        if len(group) < 2:
            continue
        base, sibling = group
        a_posts, b_posts = by_vacancy[base.id], by_vacancy[sibling.id]
        for a, b in itertools.islice(itertools.product(a_posts, b_posts), 3):
            pairs.append({"a": a.data["id"], "b": b.data["id"], "label": 0, "kind": sibling.sibling_kind})
    # same title at another employer of the same kind, in the same département
    by_job: dict[tuple[str, str], list[SyntheticPosting]] = defaultdict(list)
    for item in items:
        by_job[(item.vacancy_info["job"], item.data["location"]["departement"])].append(item)
    extra = 0
    for postings in by_job.values():
        rng.shuffle(postings)
        for a, b in itertools.combinations(postings[:6], 2):
            if a.vacancy_info["employer"] != b.vacancy_info["employer"] and extra < 120:
                pairs.append({"a": a.data["id"], "b": b.data["id"], "label": 0, "kind": "same_title_other_employer"})
                extra += 1
                break
    employer_of = {i.data["id"]: i.vacancy_info["employer"] for i in items}
    for pair in pairs:
        pair["split"] = split_of(employer_of[pair["a"]])
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "postings.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            row = {**item.data, "vacancy": item.vacancy}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (out_dir / "pairs.jsonl").open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
    return dict(Counter(f"{p['label']}:{p['kind']}" for p in pairs))


def load(directory: Path = LABELS_DIR) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The labelled postings and pairs."""
    with (directory / "postings.jsonl").open(encoding="utf-8") as handle:
        postings = [json.loads(line) for line in handle if line.strip()]
    with (directory / "pairs.jsonl").open(encoding="utf-8") as handle:
        pairs = [json.loads(line) for line in handle if line.strip()]
    return postings, pairs


def cluster_postings(postings: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the engine on the whole labelled corpus: posting id → group label."""

    records = [record_from_json(p) for p in postings]
    labels = dedupe_records(records)
    return {p["id"]: label for p, label in zip(postings, labels, strict=True)}


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def score(directory: Path = LABELS_DIR, groups: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pairwise precision / recall / F1 per split, recall per duplicate kind, wrongly merged offers."""
    postings, pairs = load(directory)
    groups = groups if groups is not None else cluster_postings(postings)
    result: dict[str, Any] = {}
    for split in ("dev", "test", "all"):
        chosen = [p for p in pairs if split == "all" or p["split"] == split]
        tp = sum(1 for p in chosen if p["label"] == 1 and groups[p["a"]] == groups[p["b"]])
        fn = sum(1 for p in chosen if p["label"] == 1 and groups[p["a"]] != groups[p["b"]])
        fp = sum(1 for p in chosen if p["label"] == 0 and groups[p["a"]] == groups[p["b"]])
        kinds: dict[str, dict[str, int]] = defaultdict(lambda: {"pairs": 0, "right": 0})
        for p in chosen:
            same = groups[p["a"]] == groups[p["b"]]
            kinds[p["kind"]]["pairs"] += 1
            kinds[p["kind"]]["right"] += int(same == (p["label"] == 1))
        result[split] = {
            **_prf(tp, fp, fn),
            "duplicates": sum(1 for p in chosen if p["label"] == 1),
            "non_duplicates": sum(1 for p in chosen if p["label"] == 0),
            "accuracy_by_kind": {k: round(v["right"] / v["pairs"], 4) for k, v in sorted(kinds.items())},
        }
    # offers (predicted groups) that hold postings of two vacancies
    vacancies_of: dict[Any, set[int]] = defaultdict(set)
    for posting in postings:
        vacancies_of[groups[posting["id"]]].add(posting["vacancy"])
    wrong = sum(1 for v in vacancies_of.values() if len(v) > 1)
    result["offers"] = len(vacancies_of)
    result["wrongly_merged_offers"] = wrong
    result["wrongly_merged_share"] = round(wrong / max(len(vacancies_of), 1), 4)
    truth_pairs = {
        tuple(sorted(pair))
        for members in _members(postings, lambda p: p["vacancy"]).values()
        for pair in itertools.combinations(members, 2)
    }
    predicted = {
        tuple(sorted(pair))
        for members in _members(postings, lambda p: groups[p["id"]]).values()
        for pair in itertools.combinations(members, 2)
    }
    both = len(truth_pairs & predicted)
    result["corpus_all_pairs"] = _prf(both, len(predicted) - both, len(truth_pairs) - both)
    return result


def _members(postings: list[dict[str, Any]], key: Any) -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = defaultdict(list)
    for posting in postings:
        found[key(posting)].append(posting["id"])
    return found


def tune(directory: Path = LABELS_DIR) -> list[dict[str, Any]]:
    """Grid search of the match threshold and the one-sided title penalty on the dev split (by F1)."""

    postings, _ = load(directory)
    saved = (engine.MATCH_THRESHOLD, engine.ONE_SIDED_PENALTY)
    rows = []
    try:
        for threshold in (0.55, 0.58, 0.6, 0.62, 0.65, 0.68, 0.7, 0.75):
            for penalty in (0.2, 0.3, 0.4):
                engine.MATCH_THRESHOLD, engine.ONE_SIDED_PENALTY = threshold, penalty
                dev = score(directory, cluster_postings(postings))["dev"]
                rows.append({"threshold": threshold, "one_sided_penalty": penalty, **{k: dev[k] for k in (
                    "precision", "recall", "f1")}})
    finally:
        engine.MATCH_THRESHOLD, engine.ONE_SIDED_PENALTY = saved
    return sorted(rows, key=lambda r: (-r["f1"], -r["precision"]))


def main(argv: list[str] | None = None) -> None:
    """``build`` | ``score`` | ``tune``."""
    args = argv if argv is not None else sys.argv[1:]
    command = args[0] if args else "score"
    if command == "build":
        print(json.dumps(build(), indent=2, sort_keys=True))
    elif command == "tune":
        for row in tune()[:10]:
            print(json.dumps(row))
    else:
        print(json.dumps(score(), indent=2))


if __name__ == "__main__":
    main()
