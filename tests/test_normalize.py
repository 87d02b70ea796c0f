"""normalize_posting end to end, on postings built from the real fixture feeds."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matching.normalize import normalize_posting, normalize_postings, reset_rome_classifier, set_rome_classifier
from matching.types import RawPosting
from tests.conftest import FEEDS

NOW = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_classifier():
    """Tests of this module do not depend on the ROME area's classifier (it has its own tests)."""
    set_rome_classifier(None)
    yield
    reset_rome_classifier()


def _text(node: ET.Element, tag: str) -> str | None:
    found = node.find(tag)
    return found.text if found is not None and found.text else None


def hellowork_postings(path: Path) -> list[RawPosting]:
    root = ET.parse(path).getroot()
    out = []
    for job in root.iter("job"):
        out.append(RawPosting(
            source="hellowork", source_id=_text(job, "job_id"), url=_text(job, "url"), title=_text(job, "title"),
            employer=_text(job, "company_title"), employer_siret=_text(job, "siret"),
            description=(_text(job, "description") or "") + "\n\n" + (_text(job, "profile") or ""),
            city=_text(job, "city"), postal_code=_text(job, "postal_code"), departement=_text(job, "department"),
            contract=_text(job, "contract"), working_time=_text(job, "job_time"), remote=_text(job, "remote"),
            experience=_text(job, "experience"), published_at=_text(job, "publication_date"),
        ))
    return out


def apec_postings(path: Path) -> list[RawPosting]:
    root = ET.parse(path).getroot()
    out = []
    for offer in root.iter("Offre_emploi"):
        out.append(RawPosting(
            source="apec", source_id=_text(offer, "Reference_apec"), title=_text(offer, "Intitule"),
            contract=_text(offer, "Contrat/Type_contrat"), contract_duration=_text(offer, "Contrat/Duree_contrat"),
            salary=_text(offer, "Salaire_affiche"), experience=_text(offer, "Niveau_experience"),
            published_at=_text(offer, "Date_parution"), description=_text(offer, "Texte_offre"),
            insee=_text(offer, "Lieu/COG_lieu"), location=_text(offer, "Lieu/Libelle_lieu"),
            positions=_text(offer, "Nombre_postes"),
        ))
    return out


def pass_fp_postings(path: Path) -> list[RawPosting]:
    text = path.read_text(encoding="utf-8")
    out = []
    for item in re.findall(r"<item>(.*?)</item>", text, re.S):
        def field(tag: str, item: str = item) -> str | None:
            m = re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", item, re.S)
            return m.group(1).strip() if m else None
        out.append(RawPosting(
            source="pass-fp", source_id=field("dc:identifier"), url=field("link"), title=field("title"),
            description=field("description"), location=field("dc:coverage"), departement=field("dc:description"),
            published_at=field("pubDate"), contract_duration=field("dc:format"), expires_at=field("dc:date"),
        ))
    return out


def test_hellowork_feed() -> None:
    postings = [normalize_posting(raw, now=NOW) for raw in hellowork_postings(FEEDS / "hellowork.xml")]
    assert [p.place.insee for p in postings] == ["94080", "53130", "51573", "59350", "38151"]
    first = postings[0]
    assert first.title_clean == "Manager en Stratégie Management et Organisation"
    assert first.contract_type == "CDI"
    assert first.working_time == "full_time"
    assert first.remote == "none"
    assert first.experience == "7 ans"
    assert first.published_at == datetime(2024, 1, 30, 22, 21, 39, tzinfo=UTC)
    assert all("outside_territory" in p.flags and p.drop_reason is None for p in postings)
    assert first.description_text.startswith("Vous développerez l'innovation")
    assert "\n\n-   Expert du conseil" in first.description_text or "- Expert du conseil" in first.description_text


def test_apec_feed_insee_codes_and_arrondissements() -> None:
    postings = [normalize_posting(raw, now=NOW) for raw in apec_postings(FEEDS / "apec.xml")]
    by_id = {p.source_id: p for p in postings}
    assert len(postings) >= 5
    assert all(p.place is not None and p.place.level == "commune" for p in postings)
    # COG_lieu 75101 (Paris 1er arrondissement) with the label "PARIS 01".
    paris = [p for p in postings if p.location_label == "PARIS 01"][0]
    assert (paris.place.insee, paris.place.postal_code) == ("75056", "75001")
    first = by_id["177777865W"]
    assert first.contract_type == "apprentissage"
    assert first.contract_duration_months == 1
    assert first.salary_text == "A négocier"
    assert first.salary_min is None
    assert first.experience == "debutant"
    assert first.title_clean == "Ingénieur d'études en génie électrique"
    assert "<script" not in (first.description_html or "")
    assert first.description_html.startswith("<p><b>Contexte :</b></p>")
    salaries = {(p.salary_min, p.salary_max, p.salary_period) for p in postings}
    assert (18000.0, 22000.0, "year") in salaries
    assert (21000.0, 21000.0, "year") in salaries


def test_pass_fonction_publique_feed() -> None:
    postings = [normalize_posting(raw, now=NOW) for raw in pass_fp_postings(FEEDS / "pass-fonction-publique.rss")]
    assert len(postings) == 7
    places = [(p.place.name, p.place.postal_code) for p in postings]
    assert places[0] == ("Paris", "75014")
    assert places[1][0] == "Nice"
    assert ("Athis-Mons", "91200") in places
    first = postings[0]
    assert first.title == "Contrat d'Apprentissage - financements H/F"
    assert first.title_clean == "Contrat d'Apprentissage - financements"
    assert first.contract_type == "apprentissage"
    assert first.contract_duration_months == 12
    assert first.description_html.startswith("<p>")
    assert "&lt;" not in first.description_html
    assert first.employer is None
    # dc:date 2025-09-15 is before NOW: expired, but kept.
    assert "expired" in first.flags
    assert first.drop_reason is None


def test_talentsoft_json_departement_only() -> None:
    offers = json.loads((FEEDS / "talentsoft-francetravail-careers.json").read_text(encoding="utf-8"))
    raw = RawPosting(
        source="ft-careers", source_id=offers[0]["reference"], url=offers[0]["offerUrl"], title=offers[0]["title"],
        contract=offers[0]["contractType"]["label"], salary=offers[0]["salaryRange"]["label"],
        location=offers[0]["region"][0]["label"], published_at=offers[0]["startPublicationDate"],
        description=offers[0]["description1Formatted"],
    )
    posting = normalize_posting(raw, now=NOW)
    assert posting.place.level == "departement"
    assert posting.place.departement == "78"
    assert posting.flags == ["place_departement_only", "outside_territory"]
    assert posting.title_clean == "Conseiller relation entreprise"
    assert (posting.salary_min, posting.salary_period) == (1940.0, "month")
    assert posting.contract_type == "CDD"


def test_france_travail_offer_in_the_lot() -> None:
    raw = RawPosting(
        source="francetravail", source_id="201ABCD", url="https://candidat.francetravail.fr/offres/201ABCD",
        title="Aide-soignant(e) de nuit H/F", location="46 - ST CERE", insee="46251", postal_code="46400",
        lat="44.85", lon="1.89", contract="CDD", contract_duration="Contrat à durée déterminée - 6 Mois",
        working_time="35H Horaires normaux", salary="Mensuel de 1880,71 Euros à 2100,00 Euros sur 12 mois",
        experience="Débutant accepté", published_at="2026-01-15T10:00:00Z", rome_code="J1501",
        rome_label="Aide-soignant / Aide-soignante", employer_siret="267 600 014 00017", positions=2,
        description="<p>L'EHPAD recrute.</p><script>alert(1)</script>", apply_url="javascript:alert(1)",
    )
    posting = normalize_posting(raw, now=NOW)
    assert posting.drop_reason is None
    assert posting.flags == []
    assert (posting.place.insee, posting.place.name, posting.place.postal_code) == ("46251", "Saint-Céré", "46400")
    assert posting.title == "Aide-soignant(e) de nuit H/F"
    assert posting.title_clean == "Aide-soignant de nuit"
    assert (posting.contract_type, posting.contract_duration_months) == ("CDD", 6)
    assert (posting.working_time, posting.hours_per_week) == ("full_time", 35)
    assert (posting.salary_min, posting.salary_max, posting.salary_period) == (1880.71, 2100.0, "month")
    assert posting.rome_code == "J1501"
    assert posting.rome_label == "Aide-soignant / Aide-soignante"
    assert posting.employer_siret == "26760001400017"
    assert posting.positions == 2
    assert posting.description_html == "<p>L'EHPAD recrute.</p>"
    assert posting.description_text == "L'EHPAD recrute."
    assert posting.apply_url is None
    data = posting.as_json()
    assert data["location"]["insee"] == "46251"
    assert data["published_at"] == "2026-01-15T10:00:00+00:00"
    json.dumps(data)


def test_flags_and_drop_reasons() -> None:
    assert normalize_posting(RawPosting(source="s", source_id="1", title="  "), now=NOW).drop_reason == "missing_title"
    assert normalize_posting(RawPosting(source="s", title="Cuisinier"), now=NOW).drop_reason == "missing_id"
    # The URL serves as the id when the source has none.
    with_url = normalize_posting(RawPosting(source="s", url="https://ex.fr/o/1", title="Cuisinier"), now=NOW)
    assert with_url.drop_reason is None
    assert with_url.source_id == "https://ex.fr/o/1"
    unresolved = normalize_posting(RawPosting(source="s", source_id="1", title="Cuisinier", location="Bridgwater"))
    assert unresolved.flags == ["place_unresolved"]
    assert unresolved.place is None
    dep = normalize_posting(RawPosting(source="s", source_id="1", title="Cuisinier", location="46 - Lot"), now=NOW)
    assert dep.flags == ["place_departement_only"]
    far = normalize_posting(RawPosting(source="s", source_id="1", title="Cuisinier", location="Lille"), now=NOW)
    assert far.flags == ["outside_territory"]
    expired = normalize_posting(
        RawPosting(source="s", source_id="1", title="Cuisinier", location="Cahors", expires_at="2026-01-31"), now=NOW
    )
    assert expired.flags == ["expired"]
    not_yet = normalize_posting(
        RawPosting(source="s", source_id="1", title="Cuisinier", location="Cahors", expires_at="2026-03-01"), now=NOW
    )
    assert not_yet.flags == []


def test_title_tells_the_contract_when_the_source_does_not() -> None:
    posting = normalize_posting(RawPosting(source="s", source_id="1", title="Alternance - Développeur Web F/H"))
    assert posting.contract_type == "apprentissage"


def test_rome_classifier_is_used_when_the_source_gives_no_code() -> None:
    class Match:
        code, label, score = "J1501", "Soins d'hygiène, de confort du patient", 0.91

    seen: list[tuple[str, str | None]] = []

    def classify(title: str, description: str | None) -> list[Match]:
        seen.append((title, description))
        return [Match()]

    set_rome_classifier(classify)
    posting = normalize_posting(RawPosting(source="s", source_id="1", title="Aide-soignant(e) H/F",
                                           description="<p>EHPAD de Gramat</p>"))
    assert (posting.rome_code, posting.rome_score) == ("J1501", 0.91)
    assert seen == [("Aide-soignant", "EHPAD de Gramat")]
    # A source code wins; a malformed one is replaced by the classifier's.
    assert normalize_posting(RawPosting(source="s", source_id="1", title="x", rome_code="k2204")).rome_code == "K2204"
    assert normalize_posting(RawPosting(source="s", source_id="1", title="x", rome_code="??")).rome_code == "J1501"

    def broken(title: str, description: str | None) -> list[Match]:
        raise RuntimeError("boom")

    set_rome_classifier(broken)
    assert normalize_posting(RawPosting(source="s", source_id="1", title="x")).rome_code is None


def test_total_on_garbage() -> None:
    raw = RawPosting(
        source="s", source_id=["a", "b"], title=b"\xff\xfeCuisinier", description=12345, location={"x": 1},
        lat="abc", lon=None, salary=float("nan"), salary_min="∞", positions="beaucoup", partners=["x", {"nom": "y"}],
        published_at="2026-13-45", contract=object(), extra={"k": object()},
    )
    posting = normalize_posting(raw, now=NOW)
    assert posting.title.endswith("Cuisinier")
    assert posting.source_id == "a b"
    assert posting.partners == [{"nom": "y"}]
    assert posting.published_at is None


def test_batch_gives_the_same_postings_as_one_by_one() -> None:
    raws = apec_postings(FEEDS / "apec.xml") + hellowork_postings(FEEDS / "hellowork.xml")
    raws.append(RawPosting(source="s", title=None))

    class Match:
        def __init__(self, code: str) -> None:
            self.code, self.label, self.score = code, None, 0.5

    set_rome_classifier(lambda title, description: [Match("M18" + str(len(title) % 10).zfill(2))])
    one_by_one = [normalize_posting(raw, now=NOW) for raw in raws]
    batch = normalize_postings(raws, now=NOW)
    assert [p.as_json() for p in batch] == [p.as_json() for p in one_by_one]
    assert batch[-1].drop_reason == "missing_title"
    assert batch[-1].rome_code is None
    assert all(p.rome_code for p in batch[:-1])


def test_real_rome_classifier_when_merged() -> None:
    pytest.importorskip("matching.rome")
    reset_rome_classifier()
    raws = [RawPosting(source="s", source_id=str(i), title=t) for i, t in
            enumerate(["Aide-soignant(e) de nuit H/F", "Infirmier IDE (H/F)", "Cuisinier H/F"])]
    single = [normalize_posting(raw, now=NOW).rome_code for raw in raws]
    batch = [p.rome_code for p in normalize_postings(raws, now=NOW)]
    assert single == batch
    assert single[0] == "J1501"
    assert single[1] == "J1506"
    assert single[2] == "G1602"


def test_description_fills_what_the_source_left_empty() -> None:
    # A career site's JSON-LD: employmentType FULL_TIME (a working time), no salary, no experience.
    raw = RawPosting(
        source="site", source_id="SAN-2026-0033", title="Infirmier coordinateur H/F", location="Souillac (46200)",
        contract="FULL_TIME", salary="A négocier",
        description="<p>Profil recherché :</p><ul><li>Débutant accepté</li></ul><p>Poste en CDI, à temps plein "
                    "(35 h).</p><p>Rémunération : 1 900 € brut mensuel.</p>",
    )
    posting = normalize_posting(raw, now=NOW)
    assert (posting.contract_type, posting.working_time, posting.hours_per_week) == ("CDI", "full_time", 35)
    assert (posting.salary_min, posting.salary_period) == (1900, "month")
    assert posting.experience == "debutant"
    # What the source says wins over the description.
    raw.contract, raw.experience = "CDD - 6 mois", "2 An(s)"
    posting = normalize_posting(raw, now=NOW)
    assert (posting.contract_type, posting.contract_duration_months, posting.experience) == ("CDD", 6, "2 ans")


def test_an_uncertain_rome_guess_is_flagged_for_staff_and_a_source_code_never_is() -> None:
    class Guess:
        label, score = "Soins d'hygiène, de confort du patient", 0.4

        def __init__(self, code: str, uncertain: bool) -> None:
            self.code, self.uncertain = code, uncertain

    set_rome_classifier(lambda title, description: [Guess("J1501", "agent" in title.lower())])
    def raw(ref: str, title: str, code: str | None = None) -> RawPosting:
        return RawPosting(source="s", source_id=ref, title=title, rome_code=code, city="Cahors", postal_code="46000")

    vague, sure, given = raw("1", "Agent polyvalent"), raw("2", "Aide-soignant"), raw("3", "Agent", "K2204")
    vague, sure, given = (normalize_posting(r, now=NOW) for r in (vague, sure, given))
    assert (vague.rome_code, vague.flags) == ("J1501", ["rome_uncertain"])
    assert (sure.rome_code, sure.flags) == ("J1501", [])
    assert (given.rome_code, given.flags) == ("K2204", [])
    # The batch path flags the same postings.
    batch = normalize_postings([raw("1", "Agent polyvalent"), raw("2", "Aide-soignant")], now=NOW)
    assert [p.flags for p in batch] == [["rome_uncertain"], []]
