"""Prospect pages, feedback on proposed matches, référent territory (W4), the JSON API."""

from __future__ import annotations

import pytest

from tests.webutil import add_candidate, add_match, add_offer, add_user, csrf_of, login

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db

LOT_EPCI = "200023737"  # CA du Grand Cahors
OTHER_EPCI = "241200187"


def _data(db):
    with db.session() as session:
        offer = add_offer(session, title="Cuisinier")
        lea = add_candidate(session, "Léa", "Martin", target_area={"epcis": [LOT_EPCI]})
        tom = add_candidate(session, "Tom", "Durand", commune_insee="12202", current_place="Rodez",
                            target_area={"epcis": [OTHER_EPCI]})
        add_match(session, lea, offer, 0.91, ["Métier recherché : cuisinière", "Vise le Grand Cahors"])
        add_match(session, tom, offer, 0.55)
        return offer.id, lea.id, tom.id


def test_prospect_list_and_page_show_profile_and_reasons(client, db) -> None:
    add_user(db)
    offer_id, lea_id, _ = _data(db)
    login(client)
    listing = client.get("/equipe/prospects", params={"q": "martin"})
    assert "Léa" in listing.text
    assert "Tom" not in listing.text
    page = client.get(f"/equipe/prospects/{lea_id}")
    assert page.status_code == 200
    assert "Vise le Grand Cahors" in page.text
    assert f'/equipe/offres/{offer_id}' in page.text
    offer_page = client.get(f"/equipe/offres/{offer_id}")
    assert "Léa" in offer_page.text
    assert "Tom" in offer_page.text


def test_marking_a_match_records_feedback(client, db) -> None:
    from sqlalchemy import select

    from store.models import AuditLog, MatchFeedback

    add_user(db, full_name="Camille Agent")
    offer_id, lea_id, _ = _data(db)
    login(client)
    token = csrf_of(client, f"/equipe/prospects/{lea_id}")
    response = client.post(f"/equipe/prospects/{lea_id}/avis",
                           data={"csrf_token": token, "offer_id": offer_id, "relevant": "non",
                                 "reason": "ne veut pas travailler le soir"})
    assert response.status_code == 303
    with db.session() as session:
        [feedback] = session.scalars(select(MatchFeedback)).all()
        assert (feedback.candidate_id, feedback.offer_id, feedback.relevant) == (lea_id, offer_id, False)
        assert feedback.reason == "ne veut pas travailler le soir"
        assert feedback.staff == "Camille Agent"
        assert session.scalar(select(AuditLog).where(AuditLog.action == "match_feedback")) is not None
    page = client.get(f"/equipe/prospects/{lea_id}")
    assert "ne veut pas travailler le soir" in page.text
    # Without the form token: refused.
    assert client.post(f"/equipe/prospects/{lea_id}/avis",
                       data={"offer_id": offer_id, "relevant": "oui"}).status_code == 403


def test_referent_sees_only_their_territory(client, db) -> None:
    add_user(db, "ref@ohmylot.fr", role="referent", territory=[LOT_EPCI])
    offer_id, lea_id, tom_id = _data(db)
    login(client, "ref@ohmylot.fr")
    listing = client.get("/equipe/prospects")
    assert "Léa" in listing.text
    assert "Tom" not in listing.text
    assert client.get(f"/equipe/prospects/{lea_id}").status_code == 200
    assert client.get(f"/equipe/prospects/{tom_id}").status_code == 404
    assert client.get(f"/api/prospects/{tom_id}").status_code == 404
    token = csrf_of(client, f"/equipe/prospects/{lea_id}")
    assert client.post(f"/equipe/prospects/{tom_id}/avis",
                       data={"csrf_token": token, "offer_id": offer_id, "relevant": "oui"}).status_code == 404
    offer_page = client.get(f"/equipe/offres/{offer_id}")
    assert "Léa" in offer_page.text
    assert "Tom" not in offer_page.text
    api = client.get("/api/prospects").json()
    assert [p["id"] for p in api["prospects"]] == [lea_id]


def test_employer_account_cannot_open_staff_pages(client, db) -> None:
    from store.models import Employer

    with db.session() as session:
        employer = Employer(name="Hôtel du Lot", normalized_name="hotel du lot")
        session.add(employer)
        session.flush()
        employer_id = employer.id
    add_user(db, "patron@hotel.fr", role="employer", employer_id=employer_id)
    _, lea_id, _ = _data(db)
    login(client, "patron@hotel.fr")
    for path in ("/equipe/offres", "/equipe/prospects", f"/equipe/prospects/{lea_id}", "/api/prospects",
                 "/equipe/listes"):
        assert client.get(path).status_code == 404, path


def test_api_matches_and_feedback(client, db) -> None:
    add_user(db)
    offer_id, lea_id, _ = _data(db)
    login(client)
    matches = client.get(f"/api/prospects/{lea_id}/matches").json()
    assert matches[0]["offer_id"] == offer_id
    assert matches[0]["reasons"] == ["Métier recherché : cuisinière", "Vise le Grand Cahors"]
    token = csrf_of(client)
    assert client.post(f"/api/prospects/{lea_id}/feedback", json={"offer_id": offer_id, "relevant": True}).status_code == 403
    response = client.post(f"/api/prospects/{lea_id}/feedback", json={"offer_id": offer_id, "relevant": True,
                                                                     "reason": "bon profil"},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    assert response.json()["relevant"] is True
    assert client.get(f"/api/prospects/{lea_id}/matches").json()[0]["relevant"] is True


def test_openapi_lists_the_api_only(client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/offers" in schema["paths"]
    assert "/api/prospects/{candidate_id}/feedback" in schema["paths"]
    assert not [p for p in schema["paths"] if not p.startswith("/api/")]
    # Separate input and output schemas.
    assert "FeedbackIn" in schema["components"]["schemas"]
    assert "FeedbackOut" in schema["components"]["schemas"]


def test_public_api_has_no_personal_data(client, db) -> None:
    _data(db)
    body = client.get("/api/offers").text
    assert "Martin" not in body
    assert "Léa" not in body
    assert "@example.org" not in body
    assert client.get("/api/offers").json()["total"] == 1


def test_offer_page_ranks_prospects_live_when_nothing_is_stored(client, db) -> None:
    add_user(db)
    with db.session() as session:
        offer = add_offer(session, title="Infirmier de nuit", rome_code="J1506", rome_label="Soins infirmiers",
                          description_text="Infirmier en EHPAD, travail de nuit.")
        add_candidate(session, "Nora", "Infirmière", desired_jobs="infirmière", rome_codes=["J1506"],
                      lat=44.4475, lon=1.4406, radius_km=30)
        offer_id = offer.id
    login(client)
    page = client.get(f"/equipe/offres/{offer_id}").text
    assert "Nora" in page
