"""The relevance set: targets against the two baselines, reproducible judgements, no hard-constraint violation."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.relevance import NOW, SYSTEMS, Systems, hard_violation, judge, load
from matching.metrics import ndcg_at_k, precision_at_k, reciprocal_rank, summarize


@pytest.fixture(scope="module")
def relevance():
    return load()


@pytest.fixture(scope="module")
def systems(relevance):
    return Systems(relevance.offers)


@pytest.fixture(scope="module")
def runs(relevance, systems):
    return {name: systems.run(name, relevance.prospects, 10) for name in SYSTEMS}


def test_the_set_is_large_and_varied(relevance) -> None:
    assert len(relevance.prospects) >= 60
    trades = Counter(t for intent in relevance.intents.values() for t in intent["occupations"])
    for needed in (
        "infirmier",
        "aide-soignant",
        "medecin-generaliste",
        "cuisinier",
        "ingenieur-methodes",
        "ouvrier-agricole",
        "professeur-ecoles",
        "secretaire-mairie",
    ):
        assert trades[needed] >= 1, needed
    households = Counter(p["household_id"] for p in relevance.prospects if p["household_id"])
    assert len(households) >= 5
    assert all(count == 2 for count in households.values())
    grades = Counter(g for judged in relevance.qrels.values() for g in judged.values())
    assert grades[2] >= 150
    assert grades[1] >= 150
    assert set(relevance.qrels) == {p["id"] for p in relevance.prospects}


def test_judgements_are_reproducible_from_the_guidelines(relevance) -> None:
    by_id = {o["id"]: o for o in relevance.offers}
    records = {p["id"]: p for p in relevance.prospects}
    for query, judged in relevance.qrels.items():
        for offer_id, grade in judged.items():
            again = judge(records[query], relevance.intents[query], by_id[offer_id], relevance.occupations)
            assert again == grade, (query, offer_id)


def test_ranker_meets_the_targets_against_both_baselines(relevance, runs) -> None:
    scores = {name: summarize(runs[name], relevance.qrels) for name in SYSTEMS}
    ranker = scores["ranker"]
    best_baseline = max(scores["rome_distance"].ndcg10, scores["tfidf"].ndcg10)
    assert ranker.ndcg10 >= 0.80, scores
    assert ranker.ndcg10 - best_baseline >= 0.10, scores
    assert ranker.p5 > max(scores["rome_distance"].p5, scores["tfidf"].p5)
    assert ranker.mrr > max(scores["rome_distance"].mrr, scores["tfidf"].mrr)
    assert ranker.unjudged_in_top10 <= 0.02


def test_no_hard_constraint_violation_in_any_top_10(relevance, runs) -> None:
    by_id = {o["id"]: o for o in relevance.offers}
    records = {p["id"]: p for p in relevance.prospects}
    for name in SYSTEMS:  # the baselines share the filters
        for query, ranked in runs[name].items():
            for offer_id in ranked:
                assert hard_violation(records[query], by_id[offer_id]) is None, (name, query, offer_id)


def test_every_prospect_gets_proposals_with_reasons(relevance, systems) -> None:
    from matching.rank import Profile

    empty = []
    for record in relevance.prospects:
        ranked = systems.ranker.rank(Profile.from_json(record), top=5, now=NOW)
        if not ranked:
            empty.append(record["id"])
        for item in ranked:
            assert len(item.reasons) >= 3
    assert len(empty) <= 2, empty


def test_metrics_on_a_worked_example() -> None:
    judged = {"a": 2, "b": 1, "c": 0, "d": 2}
    ranked = ["c", "a", "x", "b"]
    # DCG = 3/log2(3) + 1/log2(5); ideal = 3 + 3/log2(3) + 1/2
    assert ndcg_at_k(ranked, judged, 10) == pytest.approx((3 / 1.58496 + 1 / 2.32193) / (3 + 3 / 1.58496 + 0.5), 1e-4)
    assert precision_at_k(ranked, judged, 5) == pytest.approx(1 / 5)
    assert precision_at_k(ranked, judged, 5, threshold=1) == pytest.approx(2 / 5)
    assert reciprocal_rank(ranked, judged) == pytest.approx(1 / 2)
    assert ndcg_at_k(ranked, {"c": 0}) is None
