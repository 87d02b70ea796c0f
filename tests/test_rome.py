"""ROME classifier: interface, title analysis and behaviour on titles as offers and staff write them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.rome import (
    RomeClassifier,
    RomeMatch,
    domain_label,
    gender_forms,
    get_classifier,
    grand_domain,
    rome_domain,
    rome_label,
)


@pytest.fixture(scope="module")
def clf() -> RomeClassifier:
    return get_classifier()


def top1(clf: RomeClassifier, title: str, description: str | None = None) -> str | None:
    result = clf.classify(title, description, top=1)
    return result[0].code if result else None


def test_get_classifier_is_cached(clf):
    assert get_classifier() is clf


def test_classify_returns_ranked_matches(clf):
    result = clf.classify("Aide-soignant(e) de nuit H/F", top=5)
    assert len(result) == 5
    assert all(isinstance(m, RomeMatch) for m in result)
    assert result[0].code == "J1501"
    assert result[0].label == "Aide-soignant / Aide-soignante"
    scores = [m.score for m in result]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[-1] <= scores[0] <= 1.0
    assert len({m.code for m in result}) == 5


def test_top_is_honoured(clf):
    assert len(clf.classify("boulanger", top=1)) == 1
    assert len(clf.classify("boulanger", top=10)) == 10
    assert len(clf.classify("boulanger", top=0)) == 1


@pytest.mark.parametrize("title", ["", "   ", "H/F", "CDI temps plein", "\x00\xff<<>>", "12345", "<p></p>"])
def test_nothing_recognisable_gives_empty_list(clf, title):
    assert clf.classify(title) == []


def test_garbage_and_huge_input_do_not_raise(clf):
    assert isinstance(clf.classify("é" * 100_000), list)
    assert isinstance(clf.classify(b"\xff\xfe".decode("latin-1") * 50), list)  # type: ignore[arg-type]
    assert isinstance(clf.classify(None), list)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Aide-soignant / Aide-soignante", "J1501"),
        ("aide soignante", "J1501"),
        ("AIDE-SOIGNANT(E)", "J1501"),
        ("Aide·soignant·e F/H", "J1501"),
        ("aide soigante", "J1501"),  # typo
        ("ASH", "J1301"),
        ("ASH EHPAD de nuit", "J1301"),
        ("IDE", "J1506"),
        ("AMP", "K1301"),
        ("ATSEM", "K1303"),
        ("ME", "K1207"),
        ("Alternance - Développeur Web F/H", "M1805"),
        ("Chargé de Communication Btob Laval 53 H/F", "E1103"),
        ("serveuse H/F CDI Cahors", "G1803"),
        ("médecin généraliste", "J1102"),
        ("boulanger", "D1102"),
        ("chauffeur PL", "N4101"),
        ("cariste CACES 3", "N1101"),
    ],
)
def test_titles_as_written_in_offers_and_by_staff(clf, title, code):
    assert top1(clf, title) == code


def test_lower_case_short_word_is_not_taken_for_an_acronym(clf):
    # "me" in lower case inside a sentence is a pronoun, not "moniteur éducateur".
    assert "moniteur" not in clf.prepare("il me faut un boulanger").words
    assert "moniteur" in clf.prepare("ME en foyer").words


def test_noise_words_and_places_are_dropped(clf):
    words = clf.prepare("URGENT - Serveur H/F CDI temps plein Figeac (46) 35h").words
    assert words == ["serveur"]


def test_description_is_a_weaker_signal(clf):
    # A vague title is decided by the description; a clear title is not overturned by it.
    description = "Vous réaliserez la taille des arbres fruitiers, la récolte des pommes et des prunes au verger."
    vague = clf.classify("Ouvrier H/F", top=1)[0]
    assert vague.uncertain  # a vague title is shown as uncertain, not asserted
    decided = clf.classify("Ouvrier H/F", description, top=1)[0]
    assert grand_domain(decided.code) == "A"
    assert decided.confidence > vague.confidence
    assert clf.classify("Saisonnier H/F") == []
    assert top1(clf, "Saisonnier H/F", description) == "A1405"
    assert top1(clf, "Aide-soignant", "Vous préparerez les plats chauds en cuisine") == "J1501"
    # Recruitment boilerplate changes nothing for a clear title.
    boilerplate = "Rejoignez notre équipe dynamique ! Poste à pourvoir rapidement, CDI, mutuelle."
    assert top1(clf, "Serveur H/F", boilerplate) == "G1803"


def test_gender_forms():
    assert gender_forms("Aide-soignant / Aide-soignante à domicile") == [
        "Aide-soignant à domicile",
        "Aide-soignante à domicile",
    ]
    assert gender_forms("Valet / Femme de chambre") == ["Valet de chambre", "Femme de chambre"]
    assert gender_forms("Médecin généraliste") == ["Médecin généraliste"]
    assert gender_forms("") == []


def test_code_helpers():
    assert rome_label("J1501") == "Aide-soignant / Aide-soignante"
    assert rome_label("j1501 ") == "Aide-soignant / Aide-soignante"
    assert rome_label("Z9999") is None
    assert rome_label(None) is None
    assert rome_domain("J1501") == "J15"
    assert grand_domain("J1501") == "J"
    assert rome_domain("nonsense") == ""
    assert grand_domain("") == ""
    assert domain_label("J") is not None
    assert domain_label("J1501") == domain_label("J15")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=300), description=st.one_of(st.none(), st.text(max_size=500)))
def test_classify_is_total(clf, title, description):
    result = clf.classify(title, description, top=3)
    assert len(result) <= 3
    assert all(0.0 <= m.score <= 1.0 + 1e-6 for m in result)
    assert all(rome_label(m.code) == m.label for m in result)
    assert isinstance(gender_forms(title), list)


def test_batch_and_single_agree(clf):
    titles = ["Aide-soignant(e) de nuit H/F", "plombier chauffagiste", "ASH", "", "chaufeur poid lourd"]
    batch = clf.classify_many(titles, top=3)
    for title, matches in zip(titles, batch):
        single = clf.classify(title, top=3)
        assert [m.code for m in single] == [m.code for m in matches]
        assert [round(m.score, 5) for m in single] == [round(m.score, 5) for m in matches]
