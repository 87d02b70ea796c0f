"""The ranker: hard filters, robustness to the way staff type job titles, score parts, reasons."""

from __future__ import annotations

import dataclasses
import random

import pytest

from matching.households import rank_household_places
from matching.rank import (
    CONTRACT_ACCEPTS,
    OfferDoc,
    OfferIndex,
    Profile,
    RankWeights,
    masculine,
    rank_offers,
    score_offer,
    word_terms,
)
from tests.rank_samples import CAHORS, FIGEAC, GRAND_CAHORS, GRAND_FIGEAC, NOW, OFFERS, candidate


@pytest.fixture(scope="module")
def index() -> OfferIndex:
    return OfferIndex([OfferDoc.from_json(o) for o in OFFERS])


def top_ids(index: OfferIndex, record: dict, top: int = 10, **kwargs) -> list[str]:
    return [r.offer_id for r in rank_offers(Profile.from_json(record), index, top=top, now=NOW, **kwargs)]


# ---- robustness: what staff actually type -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["aide soignante", "Aide-soignant(e) H/F", "AIDE-SOIGNANTE", "aide soigante", "aide-soigant"],
)
def test_care_worker_spellings_find_care_worker_offers_first(index: OfferIndex, typed: str) -> None:
    ids = top_ids(index, candidate("p", typed))
    # the Lot with a 30 km radius reaches Brive, not Toulouse
    assert set(ids[:4]) == {"as-cahors", "as-no-rome", "as-figeac-cdd", "as-brive"}
    assert "as-toulouse" not in ids


def test_ash_acronym_finds_agent_de_service_hospitalier(index: OfferIndex) -> None:
    assert top_ids(index, candidate("p", "ASH"))[0] == "ash-gourdon"


@pytest.mark.parametrize("typed", ["infirmière H/F", "Infirmier(e)", "IDE", "infimière", "infirmierre"])
def test_nurse_spellings_find_nurse_offers(index: OfferIndex, typed: str) -> None:
    ids = top_ids(index, candidate("p", typed))
    assert ids[0] in {"ide-cahors", "ide-saint-cere-partiel"}
    assert set(ids[:2]) == {"ide-cahors", "ide-saint-cere-partiel"}


def test_profile_with_only_a_job_title_and_no_place_is_ranked_everywhere(index: OfferIndex) -> None:
    ranked = rank_offers(Profile(id="p", desired_jobs="cuisinier"), index, now=NOW)
    assert ranked[0].offer_id == "cuisinier-gramat"
    assert {r.offer_id for r in ranked} <= {"cuisinier-gramat", "commis-cahors"}


def test_unrelated_offers_are_not_proposed(index: OfferIndex) -> None:
    ids = top_ids(index, candidate("p", "médecin généraliste"))
    assert ids == ["medecin-figeac"]


def test_feminine_endings_map_to_the_masculine() -> None:
    assert masculine("infirmiere") == "infirmier"
    assert masculine("soignante") == "soignant"
    assert masculine("cuisiniere") == "cuisinier"
    assert masculine("directrice") == "directeur"
    assert word_terms("Infirmière") == word_terms("infirmier")
    assert word_terms("aide-soignante") == word_terms("Aide-soignant(e) H/F")


# ---- hard filters ---------------------------------------------------------------------------------------


def test_closed_and_expired_offers_are_never_proposed(index: OfferIndex) -> None:
    ids = top_ids(index, candidate("p", "infirmier bloc opératoire, infirmier de nuit"), top=20)
    assert "ide-closed" not in ids
    assert "ide-expired" not in ids
    assert "ide-cahors" in ids


def test_offers_outside_the_radius_of_the_target_area_are_excluded(index: OfferIndex) -> None:
    around_cahors = candidate("p", "aide-soignant", target_area={"communes": [CAHORS]}, radius_km=20)
    ids = top_ids(index, around_cahors)
    assert "as-cahors" in ids
    assert "as-figeac-cdd" not in ids  # Figeac is ~60 km from Cahors
    assert "as-toulouse" not in ids


def test_neighbouring_offers_within_the_radius_are_kept(index: OfferIndex) -> None:
    # Brive (Corrèze) is ~35 km from the north of the Lot: in the radius of the Lot département
    lot_plus = candidate("p", "aide-soignant", target_area={"departements": ["46"]}, radius_km=40)
    assert "as-brive" in top_ids(index, lot_plus)
    lot_only = candidate("p", "aide-soignant", target_area={"departements": ["46"]}, radius_km=0)
    assert "as-brive" not in top_ids(index, lot_only)


def test_epci_target_area(index: OfferIndex) -> None:
    figeac = candidate("p", "aide-soignant, infirmier", target_area={"epcis": [GRAND_FIGEAC]}, radius_km=0)
    ids = top_ids(index, figeac)
    assert ids == ["as-figeac-cdd"]


def test_current_place_and_radius_without_target_area(index: OfferIndex) -> None:
    record = candidate("p", "aide-soignant", target_area={}, location={"insee": FIGEAC}, radius_km=25)
    assert top_ids(index, record) == ["as-figeac-cdd"]


def test_required_contract_and_working_time(index: OfferIndex) -> None:
    cdi_only = candidate("p", "aide-soignant", contract_types=["CDI"], contract_required=True)
    ids = top_ids(index, cdi_only)
    assert "as-figeac-cdd" not in ids
    assert "as-cahors" in ids
    # an unknown contract is not a known violation, but it is not proposed to someone who requires a CDI
    assert "as-no-rome" not in ids
    full_time = candidate("p", "infirmier", working_time="full_time", working_time_required=True)
    ids = top_ids(index, full_time)
    assert "ide-saint-cere-partiel" not in ids
    assert "ide-cahors" in ids


def test_a_wanted_contract_not_required_only_reorders(index: OfferIndex) -> None:
    wants_cdd = candidate("p", "aide-soignant", contract_types=["CDD"], target_area={"epcis": [GRAND_CAHORS]})
    wants_cdd["radius_km"] = 80
    ids = top_ids(index, wants_cdd)
    assert ids.index("as-figeac-cdd") < ids.index("as-cahors")


def test_no_hard_constraint_violation_in_any_top_10(index: OfferIndex) -> None:
    """Random profiles over the sample offers: every proposed offer satisfies every hard constraint."""
    rng = random.Random(7)
    jobs = ["aide-soignant", "infirmier", "cuisinier", "ASH", "médecin", "ingénieur", "ouvrier agricole"]
    offers = {o["id"]: OfferDoc.from_json(o) for o in OFFERS}
    from matching.rank import distance_km
    from matching.reference import communes

    table = communes()
    for n in range(150):
        area_kind = rng.choice(["communes", "epcis", "departements", "none"])
        area = {
            "communes": {"communes": [rng.choice([CAHORS, FIGEAC, "46127", "46128"])]},
            "epcis": {"epcis": [rng.choice([GRAND_CAHORS, GRAND_FIGEAC])]},
            "departements": {"departements": [rng.choice(["46", "19", "31"])]},
            "none": {},
        }[area_kind]
        record = candidate(
            str(n),
            ", ".join(rng.sample(jobs, rng.randint(1, 3))),
            target_area=area,
            location={"insee": rng.choice([CAHORS, FIGEAC, "31555"])} if rng.random() < 0.5 else {},
            radius_km=rng.choice([0, 10, 30, 60, None]),
            contract_types=rng.sample(["CDI", "CDD", "saisonnier", "liberal"], rng.randint(0, 2)),
            contract_required=rng.random() < 0.5,
            working_time=rng.choice([None, "full_time", "part_time"]),
            working_time_required=rng.random() < 0.5,
        )
        profile = Profile.from_json(record)
        radius = profile.radius_km if profile.radius_km is not None else RankWeights().default_radius_km
        for ranked in rank_offers(profile, index, top=10, now=NOW):
            offer = offers[ranked.offer_id]
            assert offer.is_open(NOW)
            if profile.contract_required and profile.contract_types:
                assert any(offer.contract_type in CONTRACT_ACCEPTS.get(c, {c}) for c in profile.contract_types)
            if profile.working_time_required and profile.working_time and offer.working_time:
                assert offer.working_time == profile.working_time
            anchors = []
            if profile.has_area:
                inside = (
                    offer.insee in profile.target_communes
                    or offer.epci in profile.target_epcis
                    or offer.departement in profile.target_departements
                )
                refs = [table.by_insee[c] for c in profile.target_communes]
                refs += [c for e in profile.target_epcis for c in table.by_epci[e]]
                refs += [c for d in profile.target_departements for c in table.by_departement[d]]
                anchors = [(c.lat, c.lon) for c in refs]
            elif profile.lat is not None:
                inside, anchors = False, [(profile.lat, profile.lon)]
            else:
                continue
            assert inside or min(distance_km(a, (offer.lat, offer.lon)) for a in anchors) <= radius + 1e-6


# ---- score parts --------------------------------------------------------------------------------------


def _twin_offers(**changes_b) -> OfferIndex:
    base = dict(OFFERS[0])
    a = OfferDoc.from_json(base | {"id": "a"})
    b = dataclasses.replace(OfferDoc.from_json(base | {"id": "b"}), **changes_b)
    filler = [OfferDoc.from_json(o) for o in OFFERS[4:13]]  # no other care-worker offer
    return OfferIndex([a, b, *filler])


def test_rome_agreement_orders_same_code_before_same_domain_before_nothing() -> None:
    idx = _twin_offers(rome_code="J1506")
    ranked = rank_offers(Profile(id="p", desired_jobs="aide-soignant", rome_codes=["J1501"]), idx, now=NOW)
    parts = {r.offer_id: r.parts for r in ranked}
    assert parts["a"]["rome"] == 1.0
    assert parts["b"]["rome"] == RankWeights().rome_same_domain
    assert parts["a"]["score"] > parts["b"]["score"]


def test_nearer_offer_ranks_first_at_equal_text() -> None:
    idx = _twin_offers(insee=None, lat=44.80, lon=1.60)  # ~45 km from Cahors (the other twin)
    profile = Profile(id="p", desired_jobs="aide-soignant", target_communes=[CAHORS], radius_km=60)
    ranked = rank_offers(profile, idx, now=NOW)
    assert [r.offer_id for r in ranked[:2]] == ["a", "b"]


def test_fresher_offer_ranks_first_at_equal_text() -> None:
    from datetime import timedelta

    idx = _twin_offers(published_at=NOW - timedelta(days=120))
    ranked = rank_offers(Profile(id="p", desired_jobs="aide-soignant"), idx, now=NOW)
    assert [r.offer_id for r in ranked[:2]] == ["a", "b"]


def test_weights_are_one_documented_dataclass() -> None:
    doc = RankWeights.__doc__ or ""
    for f in dataclasses.fields(RankWeights):
        assert f"``{f.name}``" in doc, f"weight {f.name} undocumented in RankWeights"


# ---- reasons ------------------------------------------------------------------------------------------


def test_reasons_are_french_sentences_with_terms_rome_distance_and_contract(index: OfferIndex) -> None:
    profile = Profile.from_json(
        candidate(
            "p",
            "aide-soignante",
            rome_codes=["J1501"],
            skills="toilette, transmissions, gestes d'urgence",
            contract_types=["CDI"],
            target_area={"communes": [CAHORS]},
            location={"insee": FIGEAC},
        )
    )
    best = rank_offers(profile, index, now=NOW)[0]
    text = "\n".join(best.reasons)
    assert best.offer_id == "as-cahors"
    assert "Termes communs" in text
    assert "soignant" in text
    assert "Compétences du candidat citées dans l'offre : toilette et transmissions." in best.reasons
    assert "Code ROME identique : J1501" in text
    assert "dans la zone de recherche du candidat" in text
    assert "km de son lieu actuel" in text
    assert "Contrat : CDI, conforme au souhait du candidat (CDI)." in best.reasons
    assert all(r.endswith(".") or r.endswith(":") for r in best.reasons)


def test_reasons_warn_about_a_missing_driving_licence(index: OfferIndex) -> None:
    profile = Profile(id="p", desired_jobs="infirmier", driving_licence=False)
    ranked = score_offer(profile, index, "ide-saint-cere-partiel", now=NOW)
    assert ranked is not None
    assert any("permis de conduire" in r for r in ranked.reasons)


def test_score_offer_refuses_a_filtered_offer(index: OfferIndex) -> None:
    profile = Profile(id="p", desired_jobs="infirmier", target_communes=[FIGEAC], radius_km=5)
    assert score_offer(profile, index, "ide-cahors", now=NOW) is None
    assert score_offer(profile, index, "unknown", now=NOW) is None


def test_blocked_ranking_gives_the_same_top_as_one_index() -> None:
    from bench.matching_synthetic import departement_offers
    from matching.rank import Ranker, TextModel, rank_blocked

    blocks = [departement_offers(dep, 150, seed=i) for i, dep in enumerate(["46", "12", "19", "24", "82"])]
    everything = [o for block in blocks for o in block]
    model = TextModel.fit(everything)
    jobs = ["infirmier", "aide-soignant", "cuisinier", "ouvrier agricole", "secrétaire de mairie", "développeur"]
    areas = [
        {"target_departements": ["46"]},
        {"target_departements": ["19"], "radius_km": 0},
        {"target_communes": [FIGEAC], "radius_km": 40},  # reaches the Aveyron block
        {"target_epcis": [GRAND_CAHORS], "radius_km": 60},  # reaches Tarn-et-Garonne
        {"insee": "19031", "radius_km": 30},  # Brive, current place only
    ]
    people = [
        Profile(id=f"{j}-{a}", desired_jobs=job, **area) for j, job in enumerate(jobs) for a, area in enumerate(areas)
    ]
    people.append(Profile(id="nowhere", desired_jobs="infirmier"))
    blocked = rank_blocked(people, blocks, model, top=5, now=NOW)
    whole = Ranker(OfferIndex(everything, model))
    for person in people:
        expected = [(r.offer_id, r.score) for r in whole.rank(person, top=5, now=NOW)]
        assert [(r.offer_id, r.score) for r in blocked[person.id]] == expected, person.id
    assert sum(1 for v in blocked.values() if v) >= 20


# ---- inputs -------------------------------------------------------------------------------------------


def test_offer_json_errors_and_defaults() -> None:
    with pytest.raises(ValueError, match="titre"):
        OfferDoc.from_json({"id": "x"})
    with pytest.raises(ValueError, match="id"):
        OfferDoc.from_json({"title": "Cuisinier"})
    offer = OfferDoc.from_json({"id": 3, "title": "Cuisinier", "location": {"insee": CAHORS}, "contract_type": "cdi"})
    assert (offer.id, offer.departement, offer.epci, offer.contract_type) == ("3", "46", GRAND_CAHORS, "CDI")
    assert offer.lat == pytest.approx(44.45, abs=0.01)


def test_candidate_json_parsing() -> None:
    profile = Profile.from_json(
        candidate("7", "aide-soignante ; ASH", contract_types="CDI, CDD", working_time="temps plein", household_id=3)
    )
    assert profile.job_items() == ["aide-soignante", "ASH"]
    assert profile.contract_types == ["CDI", "CDD"]
    assert profile.working_time == "full_time"
    assert profile.household_id == "3"
    with pytest.raises(ValueError, match="id"):
        Profile.from_json({"desired_jobs": "x"})


def test_empty_index_and_empty_profile() -> None:
    empty = OfferIndex([])
    assert rank_offers(Profile(id="p", desired_jobs="infirmier"), empty, now=NOW) == []
    idx = OfferIndex([OfferDoc.from_json(o) for o in OFFERS])
    assert rank_offers(Profile(id="p"), idx, now=NOW) == []


# ---- households ---------------------------------------------------------------------------------------


def test_household_places_need_offers_for_both_partners(index: OfferIndex) -> None:
    nurse = Profile(id="a", desired_jobs="infirmière", target_departements=["46"], radius_km=30)
    cook = Profile(id="b", desired_jobs="cuisinier", target_departements=["46"], radius_km=30)
    places = rank_household_places([nurse, cook], index, now=NOW)
    assert places, "a nurse and a cook can both work around Gramat / Saint-Céré or Cahors"
    best = places[0]
    assert best.level == "epci"
    assert set(best.offers) == {"a", "b"}
    pair = best.pairs[0]
    assert {o.candidate_id for o in pair} == {"a", "b"}
    assert all(o.km <= 30 for o in pair)
    assert best.reasons[0].startswith("En s'installant à")
    scores = [p.score for p in places]
    assert scores == sorted(scores, reverse=True)


def test_household_without_reachable_offers_for_one_partner_gets_no_place(index: OfferIndex) -> None:
    nurse = Profile(id="a", desired_jobs="infirmière", target_departements=["46"])
    pilot = Profile(id="b", desired_jobs="pilote de ligne", target_departements=["46"])
    assert rank_household_places([nurse, pilot], index, now=NOW) == []
