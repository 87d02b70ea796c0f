"""Field parsers on real strings from the feeds and the France Travail API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matching.parsers import (
    Contract,
    Experience,
    Salary,
    WorkingTime,
    clean_title,
    contract_in_text,
    experience_in_text,
    parse_contract,
    parse_date,
    parse_experience,
    parse_positions,
    parse_remote,
    parse_salary,
    parse_working_time,
    salary_in_text,
    working_time_in_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CDD - 6 mois", Contract("CDD", 6)),
        ("Contrat à durée déterminée - 6 Mois", Contract("CDD", 6)),
        ("Contrat à durée indéterminée", Contract("CDI", None)),
        ("CDI", Contract("CDI", None)),
        ("MIS", Contract("interim", None)),
        ("SAI", Contract("saisonnier", None)),
        ("LIB", Contract("liberal", None)),
        ("FRA", Contract("independant", None)),
        ("TEMPORARY", Contract("CDD", None)),
        ("INTERN", Contract("stage", None)),
        ("CONTRACTOR", Contract("independant", None)),
        ("FULL_TIME", Contract(None, None)),
        ("PART_TIME", Contract(None, None)),
        ("Titulaire de la fonction publique", Contract("titulaire", None)),
        ("Contractuel", Contract("contractuel", None)),
        ("Apprentissage", Contract("apprentissage", None)),
        ("Intérim", Contract("interim", None)),
        ("Mission intérim - 3 Mois", Contract("interim", 3)),
        ("CDD - Alternance - Contrat d'apprentissage", Contract("apprentissage", None)),  # apec.xml
        ("CDD - Alternance - Contrat de professionnalisation", Contract("professionnalisation", None)),
        ("Alternating", Contract("apprentissage", None)),  # TalentView job_type
        ("CDD saisonnier - 2 mois", Contract("saisonnier", 2)),
        ("Stage - 6 mois", Contract("stage", 6)),
        ("Entre 24 et 36 mois", Contract(None, 24)),  # pass fonction publique dc:format
        ("CDI - 35h", Contract("CDI", None)),
        ("selon profil", Contract(None, None)),
        ("", Contract(None, None)),
        (None, Contract(None, None)),
    ],
)
def test_parse_contract(text: str | None, expected: Contract) -> None:
    assert parse_contract(text) == expected


def test_parse_contract_separate_duration_field() -> None:
    assert parse_contract("CDD", duration="6") == Contract("CDD", 6)
    assert parse_contract("CDD - Alternance - Contrat d'apprentissage", duration="24") == Contract("apprentissage", 24)
    assert parse_contract("Alternance", duration="2 ans") == Contract("apprentissage", 24)
    assert parse_contract("CDI", duration="12") == Contract("CDI", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35H Horaires normaux", WorkingTime("full_time", 35)),
        ("Temps plein", WorkingTime("full_time", None)),
        ("Full time", WorkingTime("full_time", None)),
        ("FULL_TIME", WorkingTime("full_time", None)),
        ("PART_TIME", WorkingTime("part_time", None)),
        ("Temps partiel - 24H/semaine", WorkingTime("part_time", 24)),
        ("24h30 hebdo", WorkingTime("part_time", 24.5)),
        ("39H Travail le samedi", WorkingTime("full_time", 39)),
        ("mi-temps", WorkingTime("part_time", None)),
        ("", WorkingTime(None, None)),
    ],
)
def test_parse_working_time(text: str, expected: WorkingTime) -> None:
    assert parse_working_time(text) == expected


@pytest.mark.parametrize(
    ("text", "low", "high", "period"),
    [
        ("Mensuel de 1880,71 Euros sur 12 mois", 1880.71, 1880.71, "month"),
        ("Mensuel de 1880,71 Euros à 2100,00 Euros sur 12 mois", 1880.71, 2100.0, "month"),
        ("Horaire de 11.88 Euros", 11.88, 11.88, "hour"),
        ("Annuel de 35000 à 40000 Euros", 35000, 40000, "year"),
        ("Annuel de 28000,00 Euros sur 12 mois", 28000, 28000, "year"),
        ("A partir de 21 k€ brut annuel", 21000, 21000, "year"),  # apec.xml
        ("18 - 22 k€ brut annuel", 18000, 22000, "year"),  # apec.xml
        ("1 940 €", 1940, 1940, "month"),  # talentsoft salaryRange label
        ("2 000,50 € brut/mois", 2000.5, 2000.5, "month"),
        ("Salaire : 1800 € brut/mois + 13ème mois", 1800, 1800, "month"),
        ("de 1800 à 2000 € par mois", 1800, 2000, "month"),
        ("45 000 € - 55 000 € par an", 45000, 55000, "year"),
        ("12€ de l'heure", 12, 12, "hour"),
        ("35K€", 35000, 35000, "year"),
    ],
)
def test_parse_salary(text: str, low: float, high: float, period: str) -> None:
    assert parse_salary(text) == Salary(low, high, period, text)


@pytest.mark.parametrize("text", ["selon profil", "A négocier", "Selon grille FPH", "SMIC", "Selon expérience", "NC"])
def test_salary_unknown_is_never_guessed(text: str) -> None:
    assert parse_salary(text) == Salary(None, None, None, text)


def test_salary_from_jsonld_base_salary() -> None:
    assert parse_salary(None, minimum="35000", maximum=40000, unit="YEAR") == Salary(35000, 40000, "year", None)
    assert parse_salary(None, minimum=11.88, unit="HOUR") == Salary(11.88, 11.88, "hour", None)
    assert parse_salary(None, minimum=2100, maximum=1900, unit="MONTH") == Salary(1900, 2100, "month", None)
    assert parse_salary(None, minimum=500, unit="WEEK") == Salary(2166.67, 2166.67, "month", None)
    assert parse_salary(None, minimum=120, unit="DAY").period is None
    assert parse_salary(None, minimum="n/a", unit="YEAR") == Salary()


UTC = UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-03T09:42:16.853", datetime(2025, 10, 3, 7, 42, 16, 853000, tzinfo=UTC)),  # Paris summer time
        ("2025-02-26T16:40:27+0100", datetime(2025, 2, 26, 15, 40, 27, tzinfo=UTC)),
        ("2025-09-15T00:00:00+02:00", datetime(2025, 9, 14, 22, 0, tzinfo=UTC)),
        ("2025-03-06 07:32:43 UTC", datetime(2025, 3, 6, 7, 32, 43, tzinfo=UTC)),
        ("2025-01-01T10:00:00Z", datetime(2025, 1, 1, 10, 0, tzinfo=UTC)),
        ("2024-01-30 23:21:39", datetime(2024, 1, 30, 22, 21, 39, tzinfo=UTC)),
        ("20260115", datetime(2026, 1, 14, 23, 0, tzinfo=UTC)),
        ("11/12/2025 10:41:41", datetime(2025, 12, 11, 9, 41, 41, tzinfo=UTC)),
        ("01/09/2026", datetime(2026, 8, 31, 22, 0, tzinfo=UTC)),
        ("Wed, 26 Feb 2025 16:40:27 +0100", datetime(2025, 2, 26, 15, 40, 27, tzinfo=UTC)),
        ("12 mars 2026", datetime(2026, 3, 11, 23, 0, tzinfo=UTC)),
        ("1er août 2026", datetime(2026, 7, 31, 22, 0, tzinfo=UTC)),
        ("1706659200", None),
        ("0000-00-00", None),
        ("1970-01-01T00:00:00Z", None),
        ("2024-02-30", None),
        ("31/31/2025", None),
        ("12 machin 2026", None),
        ("demain", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    value = parse_date(text)
    assert value == expected
    if value is not None:
        assert value.tzinfo is not None
        assert value.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Débutant accepté", "debutant"),
        ("D", "debutant"),
        ("Aucune expérience exigée", "debutant"),  # apec.xml
        ("Tous niveaux d'expérience acceptés", "debutant"),
        ("Minimum 2 ans", "2 ans"),
        ("2 An(s)", "2 ans"),
        ("1 An(s) - expérience souhaitée", "1 an"),
        ("6 Mois", "6 mois"),
        ("Sup_7", "7 ans"),  # hellowork.xml
        ("1_7", "1 an"),
        ("Confirmé", "experience"),
        ("", None),
    ],
)
def test_parse_experience(text: str, label: str | None) -> None:
    assert parse_experience(text).label() == label


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Pas_teletravail", "none"), ("Occasionnel", "partial"), ("Télétravail partiel", "partial"),
     ("100% télétravail", "full"), ("TELECOMMUTE", "full"), ("Télétravail possible 2 jours", "partial"),
     ("", None), ("bleu", None)],
)
def test_parse_remote(text: str, expected: str | None) -> None:
    assert parse_remote(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), (3, 3), ("3 postes", 3), ("Nombre de postes : 2", 2), (0, None), ("0", None), ("abc", None),
     (2.0, 2), (True, None), ("99999", None), (None, None)],
)
def test_parse_positions(value: object, expected: int | None) -> None:
    assert parse_positions(value) == expected


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("Aide-soignant(e) de nuit H/F", "Aide-soignant de nuit"),
        ("CONSEILLER(E) EN CHARGE DE L'INDEMNISATION - 92", "Conseiller en charge de l'indemnisation"),
        ("Alternance |Assistant(e) Chef de Projet H/F", "Assistant Chef de Projet"),
        ("Alternance - Développeur Web F/H", "Développeur Web"),
        ("Assistant(e) Immobilier - - JMBK - IGF F/H", "Assistant Immobilier - JMBK - IGF"),
        ("Manager en Stratégie Management et Organisation H/F", "Manager en Stratégie Management et Organisation"),
        ("Serveur/Serveuse", "Serveur"),
        ("Aide-soignant / Aide-soignante", "Aide-soignant"),
        ("Directeur/trice de crèche", "Directeur de crèche"),
        ("INFIRMIER IDE EN EHPAD (H/F)", "Infirmier IDE en EHPAD"),
        ("Infirmier·ère", "Infirmier"),
        ("Vendeur(se) (H/F/X)", "Vendeur"),
        ('<a href="/offre/x" hreflang="fr">Chargé(e) de projet - Formation</a>', "Chargé de projet - Formation"),
        ("H/F", "H/F"),
        ("", ""),
    ],
)
def test_clean_title(title: str, clean: str) -> None:
    assert clean_title(title) == clean


SANDBOX_DESCRIPTION = (
    "EHPAD Résidence du Causse, établissement d'hébergement pour personnes âgées dépendantes de Souillac "
    "(Lot), recrute un(e) Infirmier coordinateur H/F. Vos missions : accueillir les stagiaires de l'IFSI. "
    "Profil recherché : Débutant accepté. Poste en CDI, à temps plein (35 h). Poste à pourvoir : 1. "
    "Rémunération : 1 900 € brut mensuel. Le Lot vous attend !"
)


def test_fields_stated_in_a_description() -> None:
    assert contract_in_text(SANDBOX_DESCRIPTION) == Contract("CDI", None)
    assert working_time_in_text(SANDBOX_DESCRIPTION) == WorkingTime("full_time", 35)
    assert salary_in_text(SANDBOX_DESCRIPTION) == Salary(1900, 1900, "month", "Rémunération : 1 900 € brut mensuel")
    assert experience_in_text(SANDBOX_DESCRIPTION).label() == "debutant"
    other = "Poste en CDD de 6 mois, à temps partiel (24 h par semaine). Salaire : selon grille. 3 ans d'expérience."
    assert contract_in_text(other) == Contract("CDD", 6)
    assert working_time_in_text(other) == WorkingTime("part_time", 24)
    assert salary_in_text(other) == Salary()
    assert experience_in_text(other).label() == "3 ans"


def test_passing_words_are_not_fields() -> None:
    text = "Vous encadrerez les stagiaires et les intérimaires du service, 24h/24 et 7j/7, salaire attractif."
    assert contract_in_text(text).type is None
    assert working_time_in_text(text) == WorkingTime()
    assert salary_in_text(text) == Salary()
    assert experience_in_text(text) == Experience()
