"""The welcome loop through the web app (TestClient): directory upload, settling page, ambassador sign-up,
proposal, double opt-in by e-mail links, steps, welcome pack PDF, withdrawal; référent scoping."""

from __future__ import annotations

import re

import pytest

from tests.webutil import add_candidate, add_match, add_offer, add_user, csrf_of, login, smtp_settings

pytest_plugins = ["tests.webutil"]

pytestmark = pytest.mark.db

GRAND_FIGEAC, GRAND_CAHORS = "200067361", "200023737"
DIRECTORY = (
    "Nom;Catégorie;Commune;Téléphone;Vérifié le\n"
    "Crèche Les Petits Loups;Crèche;Figeac;05 65 00 00 01;12/03/2026\n"
    "Maison de santé du Célé;MSP;Figeac;05 65 00 00 02;\n"
    "Sans commune;Sport;;;\n"
)


@pytest.fixture
def mail_client(db, smtp_server):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from web.app import create_app

    port, received = smtp_server
    app = create_app(smtp_settings(port), database=db)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client, received


def _household(db, **fields) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        lea = add_candidate(session, target_area={"communes": ["46102"]}, rome_codes=["G1602"], **fields)
        offer = add_offer(session, title="Cuisinier", commune_insee="46042", commune_name="Cahors",
                          lat=44.4475, lon=1.4419)
        add_match(session, lea, offer)
        session.commit()
        return lea.id


def pdf_text(data: bytes) -> str:
    """The text of a PDF, lines joined (pypdf)."""
    import io

    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


def _links(received, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    found = {}
    for recipients, message in received:
        text = message.get_body(("plain",)).get_content()
        match = re.search(rf"https?://\S+{re.escape(path)}\S+", text)
        if match:
            found[recipients[0]] = match.group(0).split("testserver", 1)[1]
    return found


def test_welcome_loop_through_the_web(db, mail_client) -> None:  # type: ignore[no-untyped-def]
    client, received = mail_client
    lea_id = _household(db)
    add_user(db)
    login(client)
    token = csrf_of(client, "/equipe/accueil/annuaire")
    upload = client.post("/equipe/accueil/annuaire/import", data={"csrf_token": token},
                         files={"file": ("annuaire.csv", DIRECTORY.encode("cp1252"), "text/csv")})
    assert upload.status_code == 200
    assert "2 ajoutée(s)" in upload.text
    assert "ligne 4 : commune manquante" in upload.text

    page = client.get(f"/equipe/prospects/{lea_id}/accueil")
    assert page.status_code == 200
    assert "vol d&#39;oiseau" in page.text
    assert 'id="commune-46102"' in page.text  # target area
    assert 'id="commune-46042"' in page.text  # the matched offer's commune
    assert "Crèche Les Petits Loups" in page.text
    assert "classe B" in page.text

    public = client.post("/ambassadeurs", data={"first_name": "Ines", "last_name": "Vidal",
                                                "email": "ines@example.net", "commune": "Figeac", "sector": "G"})
    assert public.status_code == 422  # no consent
    public = client.post("/ambassadeurs", data={"first_name": "Ines", "last_name": "Vidal", "consent": "oui",
                                                "email": "ines@example.net", "commune": "Figeac", "sector": "G"})
    assert public.status_code == 200
    withdraw_link = re.search(r'href="(/ambassadeurs/retrait/[^"]+)"', public.text).group(1)

    page = client.get(f"/equipe/prospects/{lea_id}/accueil")
    assert "Ines Vidal" in page.text
    assert "même secteur" in page.text
    token = csrf_of(client, f"/equipe/prospects/{lea_id}/accueil")
    sent = client.post(f"/equipe/prospects/{lea_id}/accueil/mise-en-relation",
                       data={"csrf_token": token, "ambassador_id": "1"})
    assert "envoy" in sent.headers["location"]
    links = _links(received, "/accueil/mise-en-relation/")
    assert set(links) == {"léa.martin@example.org", "ines@example.net"}
    ambassador_page = client.get(links["ines@example.net"])
    assert "Martin" not in ambassador_page.text  # nothing about the household before it agrees
    for address in links.values():
        assert client.post(address, data={"answer": "oui"}).status_code == 200
    assert client.post(links["ines@example.net"], data={"answer": "oui"}).status_code == 410  # used
    assert client.get(links["ines@example.net"][:-4] + "AAAA").status_code == 404  # tampered
    contacts = [m.get_body(("plain",)).get_content() for _, m in received[-2:]]
    assert any("ines@example.net" in text for text in contacts)

    token = csrf_of(client, f"/equipe/prospects/{lea_id}/accueil")
    step = client.post(f"/equipe/prospects/{lea_id}/accueil/etape",
                       data={"csrf_token": token, "step": "moved_in", "done_on": "2026-05-02"})
    assert step.status_code == 303
    client.post(f"/equipe/prospects/{lea_id}/accueil/livret",
                data={"csrf_token": token, "commune": "46102", "entry_ids": ["1"]})
    pdf = client.get(f"/equipe/prospects/{lea_id}/accueil/livret.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    for expected in ("Bienvenue à Figeac", "Crèche Les Petits Loups", "Ines Vidal", "ines@example.net",
                     "Gare", "Installation", "vol d'oiseau"):
        assert expected in text, expected
    assert "Maison de santé" not in text  # not picked for the pack

    assert client.post(withdraw_link).status_code == 200
    assert client.post(withdraw_link).status_code == 410
    assert "Ines" not in client.get("/equipe/accueil/ambassadeurs").text


def test_referent_sees_only_their_territory(db, client) -> None:  # type: ignore[no-untyped-def]
    lea_id = _household(db, commune_insee="46102", current_place="Figeac")  # lives and looks in Grand-Figeac
    add_user(db, email="cahors@ohmylot.fr", role="referent", territory=[GRAND_CAHORS])
    login(client, "cahors@ohmylot.fr")
    assert client.get(f"/equipe/prospects/{lea_id}/accueil").status_code == 404
    token = csrf_of(client, "/equipe/accueil/annuaire")
    upload = client.post("/equipe/accueil/annuaire/import", data={"csrf_token": token},
                         files={"file": ("annuaire.csv", DIRECTORY.encode(), "text/csv")})
    assert "pas dans votre territoire" in upload.text
    assert "0 ajoutée(s)" in upload.text


def test_report_counts_the_welcome(db, client) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from services.ambassadors import answer_introduction, introduce, resolve_introduction, sign_up
    from services.welcome import record_step
    from store.models import Candidate, User

    today = date.today()
    with db.session() as session:
        referent = User(email="figeac@ohmylot.fr", role="referent", territory=[GRAND_FIGEAC])
        session.add(referent)
        session.flush()
        lea = add_candidate(session, target_area={"communes": ["46102"]}, referent_id=referent.id)
        record_step(session, lea, "moved_in", done_on=today, actor="figeac@ohmylot.fr")
        ines = sign_up(session, {"first_name": "Ines", "last_name": "Vidal", "email": "ines@example.net",
                                 "commune": "Figeac"}, consent=True)
        sent = []
        introduce(session, lea, ines, reasons=[], actor="x", secret_key="k" * 40, public_url="http://x",
                  send=sent.append)
        for message in sent[:2]:
            token = message.get_content().split("Répondre : ")[1].split()[0].rsplit("/", 1)[1]
            intro, side = resolve_introduction(session, token, "k" * 40)
            answer_introduction(session, intro, side, True, send=sent.append)
        session.add(Candidate(first_name="Sans", last_name="Référent"))
        session.commit()
    add_user(db)
    login(client)
    dashboard = client.get("/equipe/tableau")
    assert "CC Grand-Figeac" in dashboard.text
    assert client.get("/equipe/tableau/accueil-par-territoire.svg").status_code == 200
    rows = client.get("/equipe/tableau/accueil.csv").content.decode("utf-8-sig").splitlines()
    assert "accueil par territoire;CC Grand-Figeac : foyers suivis;1" in rows
    assert "accueil par territoire;CC Grand-Figeac : foyers installés;1" in rows
    assert "accueil;mises en relation acceptées;1" in rows
    assert "accueil;ambassadeurs sollicités;1" in rows


def test_welcome_pages_have_accessible_structure(db, client) -> None:  # type: ignore[no-untyped-def]
    from tests.test_web_accessibility import _check

    lea_id = _household(db)
    _check(client.get("/ambassadeurs").text, "/ambassadeurs")
    add_user(db)
    login(client)
    for path in (f"/equipe/prospects/{lea_id}/accueil", "/equipe/accueil/annuaire", "/equipe/accueil/ambassadeurs"):
        response = client.get(path)
        assert response.status_code == 200, path
        _check(response.text, path)
