"""Quality of deduplication on the labelled pairs of tests/data/dedup (targets of BENCHMARKS.md, test split)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench.dedup_labels import LABELS_DIR, cluster_postings, load, score


@pytest.fixture(scope="module")
def result() -> dict:
    postings, _ = load(LABELS_DIR)
    return score(LABELS_DIR, cluster_postings(postings))


def test_labelled_set_is_big_and_varied_enough() -> None:
    _, pairs = load(LABELS_DIR)
    labels = Counter(p["label"] for p in pairs)
    assert labels[1] >= 300
    assert labels[0] >= 300
    kinds = {p["kind"] for p in pairs if p["label"] == 1}
    assert {"exact", "near", "semantic", "temporal", "partial"} <= kinds
    hard = {p["kind"] for p in pairs if p["label"] == 0}
    assert {"other_service", "other_site", "other_date", "same_title_other_employer"} <= hard
    assert {p["split"] for p in pairs} == {"dev", "test"}
    assert (LABELS_DIR / "GUIDELINES.md").exists()


def test_pairwise_targets_on_the_test_split(result: dict) -> None:
    test = result["test"]
    assert test["precision"] >= 0.98, json.dumps(test)
    assert test["recall"] >= 0.92, json.dumps(test)
    assert test["f1"] >= 0.95, json.dumps(test)


def test_exact_duplicates_are_all_found(result: dict) -> None:
    assert result["all"]["accuracy_by_kind"]["exact"] == 1.0


def test_few_offers_merge_two_vacancies(result: dict) -> None:
    assert result["wrongly_merged_share"] < 0.01, result["wrongly_merged_offers"]
