"""A shared phone never merges two people (docs/reliability.md R5): a household is proposed to staff."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.candidate_import import import_candidates
from store.candidates import decide_household
from store.models import Candidate, HouseholdLink

pytestmark = pytest.mark.db

HEADER = "Nom;Prénom;Courriel;Téléphone;Consentement contact\n"
FIRST_NAMES = ["Sophie", "Julien", "Camille", "Louis", "Emma", "Hugo", "Léa", "Arthur", "Chloé", "Jules",
               "Manon", "Gabriel", "Inès", "Raphaël", "Jade", "Nathan", "Alice", "Paul", "Lina", "Tom"]


def test_twenty_people_sharing_one_landline_stay_twenty_people(db, tmp_path) -> None:
    path = tmp_path / "standard.csv"
    rows = "".join(f"Famille{i};{name};{name.lower()}.{i}@exemple.fr;05 65 12 34 56;oui\n"
                   for i, name in enumerate(FIRST_NAMES))
    path.write_text(HEADER + rows, encoding="utf-8")
    report = import_candidates(db, path, event="Soirée d'accueil")
    assert report.imported == 20
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 20
        assert session.scalar(select(func.count(func.distinct(Candidate.phone)))) == 1


def test_a_couple_sharing_a_landline_gives_two_prospects_proposed_as_a_household(db, tmp_path) -> None:
    path = tmp_path / "couple.csv"
    path.write_text(HEADER + "Martin;Sophie;sophie.martin@exemple.fr;05 65 12 34 56;oui\n"
                    "Bernard;Julien;julien.bernard@exemple.fr;05.65.12.34.56;oui\n", encoding="utf-8")
    report = import_candidates(db, path, event="Salon")
    assert report.imported == 2
    assert any("foyer probable" in w["reason"] for w in report.warnings)
    with db.session() as session:
        people = list(session.scalars(select(Candidate).order_by(Candidate.id)))
        assert [p.first_name for p in people] == ["Sophie", "Julien"]
        link = session.scalars(select(HouseholdLink)).one()
        assert (link.candidate_a_id, link.candidate_b_id, link.status) == (people[0].id, people[1].id, "proposed")
        assert people[0].household_id is None
        decide_household(session, link.id, confirm=True, staff="equipe@ohmylot.fr")
    with db.session() as session:
        people = list(session.scalars(select(Candidate).order_by(Candidate.id)))
        assert people[0].household_id is not None
        assert people[0].household_id == people[1].household_id
    # importing the file again changes nothing: same two people, one proposal
    again = import_candidates(db, path, event="Salon")
    assert again.imported == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 2
        assert session.scalar(select(func.count()).select_from(HouseholdLink)) == 1


def test_the_same_person_by_phone_is_still_recognised(db, tmp_path) -> None:
    path = tmp_path / "deux_salons.csv"
    path.write_text(HEADER + "Martin;Sophie;;05 65 12 34 56;oui\nMARTIN;Sophie;sophie@exemple.fr;0565123456;oui\n",
                    encoding="utf-8")
    import_candidates(db, path, event="Salon")
    with db.session() as session:
        person = session.scalars(select(Candidate)).one()
        assert person.email == "sophie@exemple.fr"
        assert session.scalar(select(func.count()).select_from(HouseholdLink)) == 0
