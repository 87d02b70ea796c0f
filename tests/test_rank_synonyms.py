"""The ranker finds a trade under the other names staff type, and proposes neighbouring trades after it."""

from __future__ import annotations

import pytest

from matching import rome, rome_neighbours
from matching.rank import OfferDoc, OfferIndex, Profile, rank_offers
from tests.rank_samples import CAHORS, NOW

OFFERS = [
    ("car", "Conducteur de car", "Transport scolaire et lignes régulières, permis D exigé."),
    ("meca", "Mécanicien automobile", "Garage : entretien et réparation des véhicules légers."),
    ("serv", "Serveur en restauration", "Restaurant traditionnel, service en salle midi et soir."),
    ("travaux", "Conducteur de travaux", "Entreprise de bâtiment, suivi de chantiers gros oeuvre."),
    ("livreur", "Chauffeur livreur", "Livraison de colis en véhicule utilitaire."),
    ("agricole", "Mécanicien agricole", "Concession de matériel agricole : entretien des tracteurs."),
    ("bar", "Barman", "Bar de nuit, préparation des cocktails et service au comptoir."),
    ("carrosserie", "Carrossier peintre", "Carrosserie automobile : débosselage et peinture."),
    ("cuisine", "Cuisinier", "Restaurant : préparation des plats du jour."),
    ("infirmier", "Infirmier en EHPAD", "Soins infirmiers, distribution des médicaments."),
]


def _docs(with_codes: bool) -> list[OfferDoc]:
    """The offers as the pipeline stores them: ROME code from the classifier (``matching.normalize`` does the
    same), or none at all."""
    classifier = rome.get_classifier()
    docs = []
    for offer_id, title, description in OFFERS:
        code = classifier.classify(title, description, top=1)[0].code if with_codes else None
        docs.append(
            OfferDoc(id=offer_id, title=title, description=description, rome_code=code, insee=CAHORS, published_at=NOW)
        )
    return docs


@pytest.fixture(scope="module", params=[True, False], ids=["rome-coded", "text-only"])
def index(request: pytest.FixtureRequest) -> OfferIndex:
    return OfferIndex(_docs(request.param))


def _top(index: OfferIndex, typed: str, **fields: object) -> list[str]:
    profile = Profile(id="p", desired_jobs=typed, insee=CAHORS, **fields)  # type: ignore[arg-type]
    return [r.offer_id for r in rank_offers(profile, index, top=5, now=NOW)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("chauffeur de car", "car"), ("mécanicien auto", "meca"), ("mecano auto", "meca"), ("serveur", "serv")],
)
def test_other_names_of_a_trade_find_it_first(index: OfferIndex, typed: str, expected: str) -> None:
    assert _top(index, typed)[:1] == [expected]


def test_serveuse_finds_serveur_en_restauration(index: OfferIndex) -> None:
    top = _top(index, "serveuse")
    assert "serv" in top
    assert "infirmier" not in top
    assert "travaux" not in top


def test_serveuse_ranks_serveur_en_restauration_first_when_offers_carry_their_rome_code() -> None:
    assert _top(OfferIndex(_docs(True)), "serveuse")[:1] == ["serv"]


def test_chauffeur_de_car_is_not_proposed_works_supervision(index: OfferIndex) -> None:
    top = _top(index, "chauffeur de car")
    assert top[0] == "car"
    assert "travaux" not in top[:2]
    assert "infirmier" not in top


def test_neighbouring_trades_share_skills_and_exclude_regulated_ones() -> None:
    assert "N1103" in rome_neighbours.neighbours("N1101")  # cariste → magasinier
    assert "G1801" in rome_neighbours.neighbours("G1803")  # serveur → barman
    regulated = rome_neighbours.regulated()
    assert "J1506" in regulated  # nurse: a diploma, never a neighbour
    for code in ("J1501", "N4103", "K1302", "G1803"):
        near = rome_neighbours.neighbours(code)
        assert near
        assert not set(near) & regulated
        assert code not in near
    assert rome_neighbours.neighbours("Z9999") == {}


def test_a_neighbouring_trade_comes_after_the_trade_itself_with_its_reason() -> None:
    docs = [
        OfferDoc(id="bar", title="Barman", description="Service au comptoir.", rome_code="G1801", insee=CAHORS),
        OfferDoc(id="serv", title="Serveur", description="Service en salle.", rome_code="G1803", insee=CAHORS),
        OfferDoc(id="nurse", title="Infirmier", description="Soins.", rome_code="J1506", insee=CAHORS),
    ]
    profile = Profile(id="p", desired_jobs="serveuse", rome_codes=["G1803"], insee=CAHORS)
    ranked = rank_offers(profile, OfferIndex(docs), now=NOW)
    assert [r.offer_id for r in ranked] == ["serv", "bar"]
    assert any(reason.startswith("Métier voisin") and "G1801" in reason for reason in ranked[1].reasons)


def test_care_worker_is_never_proposed_nurse_posts_through_neighbours() -> None:
    docs = [
        OfferDoc(id="nurse", title="Infirmier de nuit", description="Soins.", rome_code="J1506", insee=CAHORS),
        OfferDoc(id="as", title="Aide-soignant", description="Soins d'hygiène.", rome_code="J1501", insee=CAHORS),
    ]
    profile = Profile(id="p", desired_jobs="aide-soignante", rome_codes=["J1501"], insee=CAHORS)
    assert [r.offer_id for r in rank_offers(profile, OfferIndex(docs), now=NOW)] == ["as"]
