"""The app factory, settings, public board and staff offer pages."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html

from tests.webutil import add_offer, add_user, login, web_settings

pytest_plugins = ["tests.webutil"]

pytestmark = pytest.mark.db


def test_start_refused_with_a_default_secret_outside_development(db) -> None:
    from services.settings import SettingsError
    from web.app import create_app

    for secret in (None, "changeme", "short-but-not-default"):
        with pytest.raises(SettingsError):
            create_app(web_settings(secret_key=secret), database=db)


def test_development_generates_a_secret(db) -> None:
    from web.app import create_app

    app_ = create_app(web_settings(env="development", secret_key=None), database=db)
    assert len(app_.state.settings.secret_key) >= 32


def test_the_app_factory_never_starts_a_scheduler(db, monkeypatch) -> None:
    """J4: building and serving the app starts no APScheduler scheduler."""
    import threading

    from apscheduler.schedulers.base import BaseScheduler
    from fastapi.testclient import TestClient

    from web.app import create_app

    started = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    app_ = create_app(web_settings(), database=db)
    with TestClient(app_, base_url="https://testserver") as test_client:
        assert test_client.get("/offres").status_code == 200
    assert started == []
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


def test_public_board_lists_open_published_offers_only(client, db) -> None:
    with db.session() as session:
        add_offer(session, title="Serveur en salle")
        add_offer(session, title="Offre close", status="closed")
        add_offer(session, title="Offre non publiée", published=False)
    page = client.get("/offres")
    assert page.status_code == 200
    assert "Serveur en salle" in page.text
    assert "Offre close" not in page.text
    assert "Offre non publiée" not in page.text


def test_public_board_search_and_filters(client, db) -> None:
    with db.session() as session:
        add_offer(session, title="Infirmier de nuit", contract_type="CDD", rome_code="J1506")
        add_offer(session, title="Cuisinier", commune_name="Figeac", commune_insee="46102", lat=44.6086, lon=2.0317)
    assert "Infirmier de nuit" in client.get("/offres", params={"q": "infirmier"}).text
    # Several words: each must match somewhere (title, employer, commune, ROME label).
    assert "Cuisinier" in client.get("/offres", params={"q": "cuisinier figeac"}).text
    assert "Cuisinier" not in client.get("/offres", params={"q": "cuisinier cahors"}).text
    assert "Cuisinier" not in client.get("/offres", params={"q": "infirmier"}).text
    by_contract = client.get("/offres", params={"contrat": "CDD"}).text
    assert "Infirmier de nuit" in by_contract
    assert "Cuisinier" not in by_contract
    by_domain = client.get("/offres", params={"domaine": "J15"}).text
    assert "Infirmier de nuit" in by_domain
    assert "Cuisinier" not in by_domain
    near_figeac = client.get("/offres", params={"lieu": "Figeac", "rayon": 10}).text
    assert "Cuisinier" in near_figeac
    assert "Infirmier de nuit" not in near_figeac
    wide = client.get("/offres", params={"lieu": "Figeac", "rayon": 80}).text
    assert "Cuisinier" in wide
    assert "Infirmier de nuit" in wide


def _jsonld(page_text: str) -> list[dict]:
    tree = lxml_html.fromstring(page_text)
    return [json.loads(s.text) for s in tree.xpath('//script[@type="application/ld+json"]')]


def test_public_offer_page_carries_jobposting_jsonld(client, db) -> None:
    from datetime import UTC, datetime

    with db.session() as session:
        offer = add_offer(session, title="Aide-soignant </script><script>alert(1)</script>",
                          expires_at=datetime(2099, 1, 31, tzinfo=UTC))
        offer_id = offer.id
    page = client.get(f"/offres/{offer_id}")
    assert page.status_code == 200
    [data] = _jsonld(page.text)
    assert data["@type"] == "JobPosting"
    for field in ("title", "description", "datePosted", "hiringOrganization", "jobLocation"):
        assert data[field], field
    assert data["hiringOrganization"]["name"] == "Hôtel du Lot"
    assert data["jobLocation"]["address"]["addressLocality"] == "Cahors"
    assert data["jobLocation"]["address"]["postalCode"] == "46000"
    assert data["validThrough"].startswith("2099-01-31")
    assert data["employmentType"] == "FULL_TIME"
    assert data["baseSalary"]["value"] == {"@type": "QuantitativeValue", "unitText": "MONTH",
                                           "minValue": 1900.0, "maxValue": 2100.0}
    assert data["title"].startswith("Aide-soignant </script>")  # kept as data, inside the JSON string
    tree = lxml_html.fromstring(page.text)
    assert [s.get("type") for s in tree.xpath("//script")] == ["application/ld+json"]


def test_offer_without_employer_or_place_has_no_partial_jsonld(client, db) -> None:
    with db.session() as session:
        offer_id = add_offer(session, employer_name=None).id
        other_id = add_offer(session, commune_name=None, postal_code=None).id
    assert _jsonld(client.get(f"/offres/{offer_id}").text) == []
    assert _jsonld(client.get(f"/offres/{other_id}").text) == []


def test_closed_or_unknown_offer_is_404_on_the_board(client, db) -> None:
    with db.session() as session:
        closed_id = add_offer(session, status="closed").id
    assert client.get(f"/offres/{closed_id}").status_code == 404
    assert client.get("/offres/999999").status_code == 404


def test_rss_feed(client, db) -> None:
    from xml.etree import ElementTree as ET

    with db.session() as session:
        add_offer(session, title="Maçon & coffreur <h/f>")
    response = client.get("/offres/rss.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    [item] = root.findall("./channel/item")
    assert item.findtext("title") == "Maçon & coffreur <h/f> — Cahors"
    assert item.findtext("link").startswith("https://testserver/offres/")
    assert item.findtext("pubDate").endswith("GMT")


def test_staff_offer_list_and_page_show_provenance(client, db) -> None:
    from store.models import Posting

    add_user(db)
    with db.session() as session:
        offer = add_offer(session, title="Boulanger")
        session.add(Posting(source_id="cdg46", source_ref="dup-1", url="https://autre.example.fr/annonce/9",
                            offer_id=offer.id, title="Boulanger H/F"))
        offer_id = offer.id
    assert client.get("/equipe/offres").status_code == 303  # not signed in
    login(client)
    listing = client.get("/equipe/offres", params={"q": "boulanger"})
    assert listing.status_code == 200
    tree = lxml_html.fromstring(listing.text)
    rows = tree.xpath("//table[contains(@class,'list')]/tbody/tr")
    assert len(rows) == 1  # the two postings are one offer
    assert rows[0].xpath("./td")[-1].text_content().startswith("2")
    page = client.get(f"/equipe/offres/{offer_id}")
    assert "https://autre.example.fr/annonce/9" in page.text
    assert "Centre de gestion du Lot" in page.text


def test_staff_offer_page_says_in_french_what_to_check(client, db) -> None:
    add_user(db)
    with db.session() as session:
        offer_id = add_offer(session, title="Agent polyvalent", rome_code="K2204",
                             flags=["rome_uncertain", "place_departement_only"]).id
    login(client)
    page = client.get(f"/equipe/offres/{offer_id}")
    assert "proposé automatiquement, incertain : à vérifier" in page.text
    assert "lieu connu au département seulement" in page.text
    assert "rome_uncertain" not in page.text
    assert "place_departement_only" not in page.text


def test_offer_lists_are_newest_first_with_a_capped_count(client, db, monkeypatch) -> None:
    from datetime import UTC, datetime, timedelta

    import web.offer_search as offer_search

    now = datetime.now(UTC)
    with db.session() as session:
        for days, title in ((5, "Ancienne"), (1, "Récente"), (3, "Moyenne")):
            add_offer(session, title=f"Maçon {title}", published_at=now - timedelta(days=days))
    page = client.get("/offres", params={"q": "Maçon"}).text
    assert page.index("Maçon Récente") < page.index("Maçon Moyenne") < page.index("Maçon Ancienne")
    assert "3 offres" in page
    monkeypatch.setattr(offer_search, "COUNT_CAP", 2)
    page = client.get("/offres").text
    assert "plus de 2 offres" in page
    assert page.index("Maçon Récente") < page.index("Maçon Moyenne")
    api = client.get("/api/offers").json()
    assert api["total_is_capped"] is True
