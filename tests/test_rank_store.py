"""Matches in the database: re-ranking, feedback kept across re-rankings, both directions, households."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matching.rank import OfferDoc
from services.matching import (
    candidates_for_offer,
    feedback_evaluation,
    household_places,
    matches_for_candidate,
    record_feedback,
    rerank_database,
)
from store.models import Candidate, Household, Match, MatchFeedback, Offer
from tests.rank_samples import CAHORS, FIGEAC, NOW, OFFERS

pytestmark = pytest.mark.db


def _add_offers(session) -> dict[str, int]:
    ids = {}
    for record in OFFERS:
        doc = OfferDoc.from_json(record)
        offer = Offer(
            title=doc.title,
            title_clean=doc.title,
            description_text=doc.description,
            contract_type=doc.contract_type,
            working_time=doc.working_time,
            rome_code=doc.rome_code,
            commune_insee=doc.insee,
            commune_name=doc.commune_name,
            departement=doc.departement,
            epci=doc.epci,
            lat=doc.lat,
            lon=doc.lon,
            published_at=doc.published_at,
            expires_at=doc.expires_at,
            status=record.get("status", "open"),
        )
        session.add(offer)
        session.flush()
        ids[record["id"]] = offer.id
    return ids


def _add_candidate(session, **fields) -> Candidate:
    values = {"target_area": {"departements": ["46"]}, "radius_km": 30}
    values.update(fields)
    candidate = Candidate(**values)
    session.add(candidate)
    session.flush()
    return candidate


@pytest.fixture
def filled(db):
    with db.session() as session:
        offers = _add_offers(session)
        nurse = _add_candidate(session, first_name="Léa", desired_jobs="infirmière H/F", contract_types=["CDI"])
        carer = _add_candidate(session, desired_jobs="aide soignante", skills="toilette, transmissions")
        household = Household(label="Martin")
        session.add(household)
        session.flush()
        cook = _add_candidate(session, desired_jobs="cuisinier", household_id=household.id)
        partner = _add_candidate(session, desired_jobs="infirmier", household_id=household.id)
        gone = _add_candidate(session, desired_jobs="infirmier", anonymized_at=NOW)
        people = {"nurse": nurse.id, "carer": carer.id, "cook": cook.id, "partner": partner.id, "gone": gone.id}
    return db, offers, people, household.id


def test_rerank_stores_explained_matches(filled) -> None:
    db, offers, people, _ = filled
    with db.session() as session:
        stats = rerank_database(session, now=NOW)
    assert stats.candidates == 4  # the anonymised one is skipped
    assert stats.offers == len(OFFERS) - 1  # the closed offer is not indexed
    with db.session() as session:
        top = matches_for_candidate(session, people["nurse"], limit=5)
        assert {m.offer_id for m in top[:2]} == {offers["ide-cahors"], offers["ide-saint-cere-partiel"]}
        assert [m.rank for m in top] == list(range(1, len(top) + 1))
        assert top[0].score >= top[-1].score
        assert any(r.startswith("Contrat : CDI, conforme") for r in top[0].reasons)
        assert offers["ide-expired"] not in [m.offer_id for m in top]
        gone = session.scalar(select(func.count()).select_from(Match).where(Match.candidate_id == people["gone"]))
        assert gone == 0


def test_feedback_survives_reranking_and_a_rejected_offer_is_not_proposed_again(filled) -> None:
    db, offers, people, _ = filled
    with db.session() as session:
        rerank_database(session, now=NOW)
        first = matches_for_candidate(session, people["carer"], limit=10)
        rejected, kept = first[0].offer_id, first[1].offer_id
        record_feedback(session, people["carer"], rejected, False, "trop loin en transport", "staff@ohmylot.fr")
        record_feedback(session, people["carer"], kept, True, None, "staff@ohmylot.fr")
    with db.session() as session:
        stats = rerank_database(session, now=NOW + timedelta(days=1))
        assert stats.excluded_by_feedback == 1
        again = [m.offer_id for m in matches_for_candidate(session, people["carer"], limit=10)]
        assert rejected not in again
        assert kept in again
        assert session.scalar(select(func.count()).select_from(MatchFeedback)) == 2
        feedback = session.scalar(select(MatchFeedback).where(MatchFeedback.offer_id == rejected))
        assert (feedback.relevant, feedback.reason, feedback.staff) == (
            False,
            "trop loin en transport",
            "staff@ohmylot.fr",
        )


def test_record_feedback_replaces_a_previous_judgement_and_checks_ids(filled) -> None:
    db, offers, people, _ = filled
    with db.session() as session:
        record_feedback(session, people["nurse"], offers["ide-cahors"], False, "  ", "a@b.fr")
        row = record_feedback(session, people["nurse"], offers["ide-cahors"], True, "bon profil", "c@d.fr")
        assert (row.relevant, row.reason, row.staff) == (True, "bon profil", "c@d.fr")
        assert session.scalar(select(func.count()).select_from(MatchFeedback)) == 1
        with pytest.raises(LookupError):
            record_feedback(session, 99999, offers["ide-cahors"], True, None, "a@b.fr")
        with pytest.raises(LookupError):
            record_feedback(session, people["nurse"], 99999, True, None, "a@b.fr")


def test_reranking_replaces_rows_and_keeps_notified_at(filled) -> None:
    db, offers, people, _ = filled
    with db.session() as session:
        rerank_database(session, candidate_ids=[people["nurse"]], now=NOW)
        match = matches_for_candidate(session, people["nurse"], limit=1)[0]
        match.notified_at = NOW
        # a stale pair that the ranker would never propose
        session.add(Match(candidate_id=people["nurse"], offer_id=offers["agricole-gramat"], score=0.9, reasons=[]))
    with db.session() as session:
        rerank_database(session, candidate_ids=[people["nurse"]], now=NOW)
        rows = matches_for_candidate(session, people["nurse"], limit=50)
        assert offers["agricole-gramat"] not in [m.offer_id for m in rows]
        assert rows[0].notified_at is not None
        # other candidates untouched (never ranked)
        assert matches_for_candidate(session, people["carer"]) == []


def test_candidates_for_offer_ranks_prospects_live(filled) -> None:
    db, offers, people, _ = filled
    with db.session() as session:
        found = candidates_for_offer(session, offers["ide-cahors"], limit=10, now=NOW)
        ids = [m.candidate_id for m in found]
        assert set(ids) == {people["nurse"], people["partner"]}
        assert people["gone"] not in ids
        assert found[0].reasons
        assert found[0].rank == 1
        record_feedback(session, people["partner"], offers["ide-cahors"], False, "déjà en poste", "s@x.fr")
        ids = [m.candidate_id for m in candidates_for_offer(session, offers["ide-cahors"], now=NOW)]
        assert ids == [people["nurse"]]
        assert candidates_for_offer(session, 123456, now=NOW) == []
        assert session.scalar(select(func.count()).select_from(Match)) == 0  # nothing stored


def test_household_places_for_a_nurse_and_a_cook(filled) -> None:
    db, offers, people, household_id = filled
    with db.session() as session:
        places = household_places(session, household_id, limit=3, now=NOW)
    assert places
    best = places[0]
    assert set(best.offers) == {str(people["cook"]), str(people["partner"])}
    titles = {o.title for pair in best.pairs for o in pair}
    assert any("Cuisinier" in t or "Commis" in t for t in titles)
    assert any("Infirmi" in t for t in titles)
    with db.session() as session:
        assert household_places(session, 424242, now=NOW) == []


def test_target_communes_and_radius_are_read_from_the_candidate(filled) -> None:
    db, offers, _, _ = filled
    with db.session() as session:
        near_figeac = _add_candidate(
            session, desired_jobs="aide-soignant", target_area={"communes": [FIGEAC]}, radius_km=10
        )
        home_cahors = _add_candidate(
            session, desired_jobs="aide-soignant", target_area={}, commune_insee=CAHORS, radius_km=10
        )
        rerank_database(session, candidate_ids=[near_figeac.id, home_cahors.id], now=NOW)
        assert [m.offer_id for m in matches_for_candidate(session, near_figeac.id)] == [offers["as-figeac-cdd"]]
        assert [m.offer_id for m in matches_for_candidate(session, home_cahors.id)] == [offers["as-cahors"]]


def test_feedback_evaluation_scores_stored_proposals_against_staff_marks(filled) -> None:
    db, offers, people, _ = filled
    with db.session() as session:
        assert feedback_evaluation(session).marks == 0
        rerank_database(session, now=NOW)
        top = matches_for_candidate(session, people["carer"], limit=10)
        record_feedback(session, people["carer"], top[1].offer_id, True, None, "s@x.fr")
        record_feedback(session, people["carer"], top[0].offer_id, False, "déjà refusé", "s@x.fr")
        before = feedback_evaluation(session)
        assert (before.marks, before.relevant_marks, before.candidates) == (2, 1, 1)
        assert before.judged_proposals == 2
        assert before.precision_of_judged == 0.5
        assert before.mrr == 0.5
        assert before.rejected_still_proposed == 1
        rerank_database(session, now=NOW)
        after = feedback_evaluation(session)
        assert after.rejected_still_proposed == 0
        assert after.precision_of_judged == 1.0
        assert after.mrr == 1.0
