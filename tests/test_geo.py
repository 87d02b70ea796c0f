"""Gazetteer: place strings as offers and people write them, homonyms, codes, distances."""

from __future__ import annotations

import pytest

from matching.geo import Gazetteer, distance_km, get_gazetteer, place_key


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return get_gazetteer()


@pytest.mark.parametrize(
    ("text", "insee", "postal"),
    [
        ("46 - CAHORS", "46042", "46000"),
        ("St Céré (46400)", "46251", "46400"),
        ("Saint-Céré", "46251", "46400"),
        ("ST CERE", "46251", "46400"),
        ("Cahors (46)", "46042", "46000"),
        ("46000 Cahors", "46042", "46000"),
        ("Cahors 46000", "46042", "46000"),
        ("Figeac, Occitanie, France", "46102", "46100"),
        ("Cahors Cedex 9", "46042", "46000"),
        ("46005 CAHORS CEDEX", "46042", "46000"),
        ("Puy l'Eveque", "46231", "46700"),
        ("Villeneuve s/ Lot", "47323", "47300"),
        ("Secteur Figeac", "46102", "46100"),
        ("Biars sur Cere", "46029", "46130"),
        # Former communes now merged: Labastide-Murat and Beaumat are in Cœur de Causse.
        ("Labastide-Murat", "46138", "46240"),
        ("46 - LABASTIDE MURAT", "46138", "46240"),
        ("Beaumat", "46138", "46240"),
        # Places from the fixture feeds.
        ("PARIS 14ème arrondissement", "75056", "75014"),
        ("PARIS 01", "75056", "75001"),
        ("ATHIS MONS", "91027", "91200"),
        ("NICE", "06088", "06000"),
        ("Neuilly-sur-Seine", "92051", "92200"),
        ("Paluel", "76493", "76450"),
        ("LE MANS", "72181", "72000"),
        # Arrondissements.
        ("Paris 15e", "75056", "75015"),
        ("Lyon 3ème", "69123", "69003"),
        ("Marseille 13e arrondissement", "13055", "13013"),
        # Typos.
        ("Cahros", "46042", "46000"),
        ("Figaec", "46102", "46100"),
        ("Saint Cirq Lapopi", "46256", "46330"),
        ("Montpelier", "34172", "34000"),
    ],
)
def test_resolves_place_strings_to_the_commune(gaz: Gazetteer, text: str, insee: str, postal: str) -> None:
    place = gaz.resolve(text)
    assert place is not None, text
    assert (place.insee, place.postal_code, place.level) == (insee, postal, "commune")
    assert place.lat is not None
    assert place.lon is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [("46 - Lot", "46"), ("Lot (46)", "46"), ("Lot", "46"), ("Yvelines (78)", "78"), ("Rhône (69)", "69"),
     ("Lot-et-Garonne", "47"), ("Corrèze", "19"), ("Vienne (86)", "86")],
)
def test_bare_departement_is_departement_level_on_its_chef_lieu(gaz: Gazetteer, text: str, code: str) -> None:
    place = gaz.resolve(text)
    assert place is not None
    assert place.level == "departement"
    assert place.departement == code
    assert place.insee is None
    seat = gaz.commune(gaz.departements[code][1])
    assert seat is not None
    assert (place.lat, place.lon) == (seat.lat, seat.lon)


def test_departement_name_that_is_a_big_city_stays_the_city(gaz: Gazetteer) -> None:
    vienne = gaz.resolve("Vienne")
    assert vienne is not None
    assert vienne.insee == "38544"
    paris = gaz.resolve("Paris")
    assert paris is not None
    assert paris.insee == "75056"
    assert paris.level == "commune"


def test_insee_versus_postal_code_trap(gaz: Gazetteer) -> None:
    # France Travail's lieuTravail.commune is an INSEE code: 46042 is Cahors (postal code 46000).
    assert gaz.resolve(None, insee="46042").insee == "46042"
    # A postal code put in the INSEE field is recognised as such.
    assert gaz.resolve("CAHORS", insee="46000").insee == "46042"
    # An INSEE code put in the postal code field too.
    assert gaz.resolve(None, postal_code="46042").insee == "46042"
    # 46100 is both Figeac's postal code and nothing's INSEE code; as free text it is a postal code.
    assert gaz.resolve("46100").insee == "46102"
    # The INSEE code of a former commune leads to the current one.
    assert gaz.resolve(None, insee="46019").insee == "46138"


def test_insee_code_contradicted_by_the_name_is_checked(gaz: Gazetteer) -> None:
    # 46102 (Figeac) given with a label naming Cahors and Cahors's postal code: the name and code agree.
    place = gaz.resolve("46 - CAHORS", insee="46102", postal_code="46000")
    assert place is not None
    assert place.insee == "46042"


def test_structured_fields_from_hellowork(gaz: Gazetteer) -> None:
    place = gaz.resolve(None, city="VINCENNES", postal_code="94300", departement="VAL DE MARNE")
    assert place is not None
    assert place.insee == "94080"
    place = gaz.resolve(None, city="LAVAL", postal_code="53000", departement="MAYENNE")
    assert place is not None
    assert place.insee == "53130"


def test_homonyms_prefer_territory_then_population(gaz: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sainte-Colombe: 12 communes, one in the Lot.
    place = gaz.resolve("Sainte-Colombe")
    assert place is not None
    assert place.departement == "46"
    # With a département given, that département wins.
    assert gaz.resolve("Sainte-Colombe (33)").departement == "33"
    # Another territory changes the choice.
    monkeypatch.setenv("OHMYLOT_TERRITORY", "33")
    assert gaz.resolve("Sainte-Colombe").departement == "33"
    assert gaz.territory == frozenset({"33"})


def test_postal_code_disambiguates_homonyms(gaz: Gazetteer) -> None:
    place = gaz.resolve("Saint-Sauveur 31790")
    assert place is not None
    assert place.departement == "31"


def test_unknown_places_give_none(gaz: Gazetteer) -> None:
    for text in ("Bridgwater", "France", "Ile de France", "", "   ", None, "zzzzzz", "???"):
        assert gaz.resolve(text) is None, text


def test_coordinates_are_a_last_resort_and_swaps_are_detected(gaz: Gazetteer) -> None:
    assert gaz.resolve(None, lat=44.45, lon=1.44).insee == "46042"
    assert gaz.resolve(None, lat="1.44", lon="44.45").insee == "46042"
    # A name beats (possibly fake) coordinates.
    assert gaz.resolve("Figeac", lat=44.45, lon=1.44).insee == "46102"
    assert gaz.resolve(None, lat="nan", lon="x") is None


def test_epci_and_communes(gaz: Gazetteer) -> None:
    cahors = gaz.commune("46042")
    assert cahors is not None
    assert cahors.epci
    assert "Cahors" in (gaz.epci_name(cahors.epci) or "")
    members = gaz.communes_in_epci(cahors.epci)
    assert members[0].insee == "46042"
    assert all(m.departement == "46" for m in members)
    assert gaz.commune("99999") is None
    assert gaz.commune(None) is None


def test_in_territory(gaz: Gazetteer) -> None:
    assert gaz.in_territory(gaz.resolve("Cahors"))
    assert gaz.in_territory(gaz.resolve("Rodez"))  # Aveyron, a neighbour
    assert not gaz.in_territory(gaz.resolve("Lille"))
    assert not gaz.in_territory(None)


def test_distance_km() -> None:
    gaz = get_gazetteer()
    cahors, figeac = gaz.resolve("Cahors"), gaz.resolve("Figeac")
    assert distance_km(cahors, figeac) == pytest.approx(49.4, abs=1.0)
    assert distance_km((48.8566, 2.3522), (45.764, 4.8357)) == pytest.approx(392, abs=3)
    assert distance_km(cahors, cahors) == 0
    assert distance_km(cahors, None) is None
    assert distance_km((None, 1), (1, 1)) is None
    assert distance_km("garbage", cahors) is None


def test_place_key_folds_saints_and_punctuation() -> None:
    assert place_key("Saint-Céré") == place_key("ST CERE") == place_key("St Céré") == "st cere"
    assert place_key("Sainte-Alauzie") == "ste alauzie"
    assert place_key("Villeneuve s/ Lot") == "villeneuve sur lot"


def test_resolve_is_total_on_odd_inputs(gaz: Gazetteer) -> None:
    for value in ("x" * 1_000_000, "\x00\xff", "((((", "46 -", "- 46", "2A", "(2B)", "75 - ", "97411"):
        gaz.resolve(value)
    assert gaz.resolve("Ajaccio (2A)").insee == "2A004"
    assert gaz.resolve("Saint-Denis (974)").insee == "97411"


def test_region_named_alongside_settles_homonyms(gaz: Gazetteer) -> None:
    # Bouillac exists in Aveyron (12), Tarn-et-Garonne (82), both Occitanie, and Dordogne (24).
    assert gaz.resolve("Bouillac, Nouvelle-Aquitaine").departement == "24"
    assert gaz.resolve("Bouillac, Occitanie, France").departement in ("12", "82")
    assert gaz.resolve("Bouillac, Midi-Pyrénées").departement in ("12", "82")  # the pre-2016 name
    # A region alone is not a place we can put on a map.
    assert gaz.resolve("Bretagne") is None
    assert gaz.resolve("Rennes, Bretagne, France").insee == "35238"


def test_names_with_separators_and_departement_homonyms(gaz: Gazetteer) -> None:
    assert gaz.resolve("Sarroux - Saint Julien (19110)").insee == "19252"
    assert gaz.resolve("Corrèze (19800)").insee == "19062"  # the commune: its postal code says so
    assert gaz.resolve("19 - CORRÈZE").level == "departement"  # France Travail's département-only label
    assert gaz.resolve("La Réunion (47700)").insee == "47222"  # a commune of Lot-et-Garonne


def test_current_name_beats_a_name_without_its_article(gaz: Gazetteer) -> None:
    assert gaz.resolve("ARQUES").insee == "12010"  # Arques (Aveyron), not Les Arques (Lot)
    assert gaz.resolve("Les Arques").insee == "46008"


@pytest.mark.parametrize(
    ("text", "insee"),
    [("Lot, Cahors", "46042"), ("Cahors, Lot", "46042"), ("Gironde, Sainte-Colombe", "33390"),
     ("974 - ST DENIS", "97411"), ("2A - AJACCIO", "2A004"), ("Toulouse (31)", "31555")],
)
def test_departement_written_next_to_the_commune(gaz: Gazetteer, text: str, insee: str) -> None:
    place = gaz.resolve(text)
    assert place is not None
    assert place.insee == insee


def test_short_names_in_the_territory(gaz: Gazetteer) -> None:
    assert gaz.resolve("Brive").insee == "19031"  # Brive-la-Gaillarde, not Brie (a one-letter typo away)
    assert gaz.resolve("Montcuq").insee == "46201"  # Montcuq-en-Quercy-Blanc since 2016
    assert gaz.resolve("46042").insee == "46042"  # staff typing an INSEE code


def test_label_naming_a_departement_and_a_city_field(gaz: Gazetteer) -> None:
    place = gaz.resolve("46 - Lot", city="Gramat")
    assert place is not None
    assert place.insee == "46128"
    assert gaz.resolve("46 - Lot", city="Bridgwater").level == "departement"


@pytest.mark.parametrize(
    ("text", "insee"),
    [
        ("Meylan", "38229"),  # the town of Isère, not the former commune merged into Sos (Lot-et-Garonne)
        ("Saint-Pantaléon", "46263"),  # a former commune of the Lot beats a village of Vaucluse
        ("Farges", "01158"),  # a current name beats "Les Farges" found without its article
        ("Pin", "70410"),
        ("Tremblay-en-France", "93073"),  # "France" inside a name is not the country
        ("Latour-de-France", "66096"),
        ("Figeac, France", "46102"),
    ],
)
def test_homonym_preferences(gaz: Gazetteer, text: str, insee: str) -> None:
    place = gaz.resolve(text)
    assert place is not None
    assert place.insee == insee
