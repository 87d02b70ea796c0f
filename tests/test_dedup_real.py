"""Deduplication on real France Travail postings (tests/data/dedup_real, truth from the sources' ids).

The set is not committed (no licence): built by ``python -m bench.dedup_real --mirror DIR``; absent, these
tests skip with how to build it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

import services.quality_dedup
from services.quality_dedup import DATA_DIR, MISSING, evaluate, load, split_of

needs_data = pytest.mark.skipif(not (DATA_DIR / "pairs.jsonl").exists(), reason=MISSING)


def test_quality_report_skips_the_set_with_how_to_build_it_when_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs import cmd_quality_report

    def absent(directory: object = None) -> None:
        raise FileNotFoundError(MISSING)

    monkeypatch.setattr(services.quality_dedup, "load", absent)
    assert "bench.dedup_real" in cmd_quality_report.report(["dedup-real"])["dedup-real"]["skipped"]


@needs_data
def test_files_match_the_recorded_checksums() -> None:
    for line in (DATA_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest, name


@pytest.fixture(scope="module")
def result() -> dict:
    return evaluate()


@needs_data
def test_set_is_split_by_employer_and_has_both_labels() -> None:
    postings, pairs = load()
    by_id = {p["id"]: p for p in postings}
    assert all(p["split"] == split_of(p) for p in postings)
    assert all(by_id[p["a"]]["split"] == by_id[p["b"]]["split"] == p["split"] for p in pairs)
    labels = Counter((p["split"], p["duplicate"]) for p in pairs)
    assert min(labels[("test", True)], labels[("test", False)]) >= 100, labels


@needs_data
def test_targets_on_the_test_split_and_not_worse_than_the_baseline(result: dict) -> None:
    test = result["test"]
    assert test["ours"]["precision"] >= 0.98, json.dumps(test["ours"])
    assert test["ours"]["recall"] >= 0.95, json.dumps(test["ours"])
    assert test["ours"]["f1"] >= test["baseline"]["f1"], json.dumps(test)


@needs_data
def test_same_employer_template_at_another_commune_is_another_vacancy(result: dict) -> None:
    for split in ("tuning", "test"):
        assert result[split]["ours"]["accuracy_by_kind"]["same_employer_title_other_place"] == 1.0
