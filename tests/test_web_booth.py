"""The booth form (issue 7 point 3) and the household page."""

from __future__ import annotations

import pytest

from tests.webutil import add_candidate, add_offer, add_user, csrf_of, login

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db


def _submit(client, **fields):
    token = csrf_of(client, "/equipe/salon")
    data = {"csrf_token": token, "event": "Salon TAF Toulouse 2026", "first_name": "Inès", "last_name": "Roux",
            "email": "Ines.Roux@Example.org", "phone": "06 12 34 56 78", "desired_jobs": "infirmière",
            "current_place": "Toulouse", "consent_contact": "oui", "consent_share": "oui"}
    data.update(fields)
    return client.post("/equipe/salon", data={k: v for k, v in data.items() if v is not None})


def test_booth_form_records_a_prospect_with_consent(client, db) -> None:
    from sqlalchemy import select

    from store.models import Candidate, CandidateEvent, Event

    add_user(db)
    login(client)
    form = client.get("/equipe/salon")
    assert form.status_code == 200
    assert 'type="checkbox"' in form.text
    assert 'for="consent_share"' in form.text
    response = _submit(client)
    assert response.status_code == 303
    after = client.get(response.headers["location"])
    assert "Votre fiche est enregistrée" in after.text
    assert "Roux" not in after.text  # the next visitor does not see the previous one
    with db.session() as session:
        [candidate] = session.scalars(select(Candidate)).all()
        assert candidate.email == "ines.roux@example.org"
        assert candidate.consent_share is True
        assert candidate.consent_share_channel.startswith("salon : Salon TAF Toulouse 2026")
        assert candidate.consent_share_at is not None
        [event] = session.scalars(select(Event)).all()
        assert session.get(CandidateEvent, (candidate.id, event.id)) is not None
    # The same person again: updated, not duplicated.
    assert _submit(client, skills="urgences").status_code == 303
    with db.session() as session:
        [candidate] = session.scalars(select(Candidate)).all()
        assert candidate.skills == "urgences"


def test_booth_form_refuses_without_consent_or_contact(client, db) -> None:
    from sqlalchemy import func, select

    from store.models import Candidate

    add_user(db)
    login(client)
    refused = _submit(client, consent_contact=None)
    assert refused.status_code == 400
    assert "consentement" in refused.text.lower()
    assert 'value="Inès"' in refused.text  # what was typed is kept
    no_contact = _submit(client, email="", phone="")
    assert no_contact.status_code == 400
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_household_page_lists_places_for_both(client, db) -> None:
    from store.models import Household

    add_user(db)
    with db.session() as session:
        add_offer(session, title="Infirmier", rome_code="J1506", description_text="Infirmier en EHPAD")
        add_offer(session, title="Professeur des écoles", rome_code="K2106", description_text="Enseignant")
        household = Household(label="Roux")
        session.add(household)
        session.flush()
        add_candidate(session, "Inès", "Roux", desired_jobs="infirmière", rome_codes=["J1506"],
                      household_id=household.id, lat=44.4475, lon=1.4406, radius_km=30)
        add_candidate(session, "Marc", "Roux", desired_jobs="professeur des écoles", rome_codes=["K2106"],
                      household_id=household.id, lat=44.4475, lon=1.4406, radius_km=30)
        household_id = household.id
    login(client)
    page = client.get(f"/equipe/foyers/{household_id}")
    assert page.status_code == 200
    assert "Inès" in page.text
    assert "Marc" in page.text
    assert "Où les deux trouvent du travail" in page.text
    assert "CA du Grand Cahors" in page.text  # both have an offer within 30 km of Cahors
    assert client.get("/equipe/foyers/999").status_code == 404
