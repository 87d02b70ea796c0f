"""The daily work of staff, référents and employers (issue 23): each test names the fault it guards against.

Follow-up of a prospect (step, notes, dated tasks, one timeline, the "à faire" page, an employer's answer
moving the prospect on and told to their référent), shortlists without traps, référents limited to their
territory, e-mails people can answer (read in a local aiosmtpd server).
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from lxml import html as lxml_html

from tests.webutil import add_candidate, add_match, add_offer, add_user, csrf_of, login, smtp_settings

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db

CAHORS, FIGEAC = "200023737", "200067361"


@pytest.fixture
def mail_client(db, smtp_server):
    from fastapi.testclient import TestClient

    from web.app import create_app

    port, received = smtp_server
    app = create_app(smtp_settings(port), database=db)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client, received


def _sent_shortlist(db, *, referent_email: str | None = None, status: str = "met"):
    """Léa Martin proposed for "Cuisinier" in a sent shortlist: (shortlist id, entry id, token, lea id)."""
    from services.settings import WebSettings
    from services.shortlists import approve_shortlist, build_shortlist, issue_link
    from store.models import User
    from tests.webutil import SECRET

    with db.session() as session:
        offer = add_offer(session, title="Cuisinier")
        lea = add_candidate(session, "Léa", "Martin", status=status, experience_years=3.0, contract_types=["CDI"],
                            target_area={"epcis": [CAHORS]}, radius_km=30)
        if referent_email:
            lea.referent_id = session.query(User).filter_by(email=referent_email).one().id
        shortlist = build_shortlist(session, offer.id, [lea.id], created_by="agent@ohmylot.fr",
                                    recipient_email="rh@hotel-du-lot.fr")
        approve_shortlist(session, shortlist, approver="Camille Agent <agent@ohmylot.fr>")
        token = issue_link(shortlist, WebSettings(secret_key=SECRET, public_url="https://testserver"))
        shortlist.status = "sent"
        session.flush()
        return shortlist.id, shortlist.entries[0].id, token, lea.id


# --------------------------------------------------------------------------------------------------
# Staff after a job fair: follow-up in the web app
# --------------------------------------------------------------------------------------------------


def test_prospect_search_without_an_event_is_not_an_error(client, db) -> None:
    """Fault: the search form answered "Formulaire incomplet" unless an event was chosen."""
    add_user(db)
    with db.session() as session:
        add_candidate(session, "Isabelle", "Lefèvre")
    login(client)
    response = client.get("/equipe/prospects?q=Isabelle&statut=&evenement=")
    assert response.status_code == 200
    assert "Isabelle Lefèvre" in response.text


def test_step_note_and_dated_task_on_one_timeline_and_the_to_do_page(client, db) -> None:
    """Fault: a prospect could not be followed up from the web app (no step change, note or task)."""
    from store.models import Candidate

    add_user(db, full_name="Camille Agent")
    with db.session() as session:
        lea_id = add_candidate(session, "Léa", "Martin").id
    login(client)
    token = csrf_of(client, f"/equipe/prospects/{lea_id}")
    step = client.post(f"/equipe/prospects/{lea_id}/etape",
                       data={"csrf_token": token, "status": "accompanied", "note": "Appel après le salon"})
    assert step.status_code == 303
    note = client.post(f"/equipe/prospects/{lea_id}/notes",
                       data={"csrf_token": token, "text": "Cherche une crèche à Cahors"})
    assert note.status_code == 303
    today = date.today().isoformat()
    task = client.post(f"/equipe/prospects/{lea_id}/notes",
                       data={"csrf_token": token, "text": "Rappeler pour l'entretien", "due_on": today})
    assert "T%C3%A2che" in task.headers["location"] or "Tâche" in task.headers["location"]
    page = client.get(f"/equipe/prospects/{lea_id}").text
    history = lxml_html.fromstring(page).xpath("//ol[@class='timeline']")[0].text_content()
    for text in ("Étape : accompagné — Appel après le salon", "Cherche une crèche à Cahors",
                 "Rappeler pour l'entretien"):
        assert text in history
    with db.session() as session:
        assert session.get(Candidate, lea_id).status == "accompanied"
    todo = unescape(client.get("/equipe/a-faire").text)
    assert "Rappeler pour l'entretien" in todo
    assert "Léa Martin" in todo
    task_id = re.search(rf"/equipe/prospects/{lea_id}/taches/(\d+)/faite", todo).group(1)
    done = client.post(f"/equipe/prospects/{lea_id}/taches/{task_id}/faite",
                       data={"csrf_token": token, "retour": "a-faire"})
    assert done.status_code == 303
    assert "Rappeler pour l'entretien" not in unescape(client.get("/equipe/a-faire").text)
    assert "(faite)" in client.get(f"/equipe/prospects/{lea_id}").text


def test_profile_shows_the_search_area(client, db) -> None:
    """Fault: the reasons talked about a search area the profile never showed."""
    add_user(db)
    with db.session() as session:
        lea_id = add_candidate(session, target_area={"epcis": [CAHORS]}, radius_km=30).id
    login(client)
    page = client.get(f"/equipe/prospects/{lea_id}").text
    assert "Zone recherchée" in page
    assert "Cahors" in page.split("Zone recherchée", 1)[1][:200]
    assert "30 km" in page


def test_employer_interest_moves_the_prospect_and_tells_the_referent(mail_client, db) -> None:
    """Fault: Isabelle was marked "intéressé" by the employer, her page still said "rencontré", and
    nobody was told."""
    from store.models import Candidate

    client, received = mail_client
    add_user(db, full_name="Camille Agent")
    add_user(db, email="ref.cahors@ohmylot.fr", role="referent", territory=[CAHORS], full_name="Rémi Cahors")
    shortlist_id, entry_id, token, lea_id = _sent_shortlist(db, referent_email="ref.cahors@ohmylot.fr")
    answer = client.post(f"/employeur/{token}", data={f"answer_{entry_id}": "interested",
                                                      f"comment_{entry_id}": "Essai mardi ?"})
    assert answer.status_code == 303
    with db.session() as session:
        lea = session.get(Candidate, lea_id)
        assert lea.status == "interviewing"
    [(recipients, message)] = received
    assert recipients == ["ref.cahors@ohmylot.fr"]
    assert "Léa Martin" in message["Subject"]
    assert "intéressé" in message["Subject"]
    assert "Essai mardi ?" in message.get_body(("plain",)).get_content()
    login(client)
    page = unescape(client.get(f"/equipe/prospects/{lea_id}").text)
    assert "en entretien" in page
    assert "Réponse de l'employeur pour « Cuisinier » (Hôtel du Lot) : intéressé" in page
    todo = client.get("/equipe/a-faire").text
    assert "Essai mardi ?" in todo
    client.get(f"/equipe/listes/{shortlist_id}")  # opening the list marks its answers seen
    assert "Essai mardi ?" not in client.get("/equipe/a-faire").text


def test_without_referent_the_proposer_is_told(mail_client, db) -> None:
    client, received = mail_client
    add_user(db, full_name="Camille Agent")
    _, entry_id, token, _ = _sent_shortlist(db)
    client.post(f"/employeur/{token}", data={f"answer_{entry_id}": "not_interested"})
    [(recipients, message)] = received
    assert recipients == ["agent@ohmylot.fr"]
    assert "pas intéressé" in message["Subject"]


# --------------------------------------------------------------------------------------------------
# Shortlists without traps
# --------------------------------------------------------------------------------------------------


def _offer_and_people(db):
    with db.session() as session:
        offer = add_offer(session, title="Cuisinier")
        lea = add_candidate(session, "Léa", "Martin")
        paul = add_candidate(session, "Paul", "Durand", desired_jobs="commis de cuisine")
        add_match(session, lea, offer)
        return offer.id, lea.id, paul.id


def test_approving_with_the_address_then_saving_it_keeps_the_approval(client, db) -> None:
    """Fault: approving, then entering the employer's address, silently cancelled the approval."""
    from store.models import Shortlist

    add_user(db, full_name="Camille Agent")
    offer_id, lea_id, _ = _offer_and_people(db)
    login(client)
    token = csrf_of(client)
    created = client.post("/equipe/listes", data={"csrf_token": token, "offer_id": offer_id,
                                                  "candidate_id": [lea_id], "recipient_email": ""})
    shortlist_id = int(created.headers["location"].rsplit("/", 1)[1])
    refused = client.post(f"/equipe/listes/{shortlist_id}/approuver",
                          data={"csrf_token": token, "approver_name": "Camille Agent"})
    assert "adresse" in client.get(refused.headers["location"]).text
    client.post(f"/equipe/listes/{shortlist_id}/approuver",
                data={"csrf_token": token, "approver_name": "Camille Agent", "recipient_email": "rh@hotel-du-lot.fr"})
    again = client.post(f"/equipe/listes/{shortlist_id}/destinataire",
                        data={"csrf_token": token, "recipient_email": "rh@hotel-du-lot.fr"})
    assert "Destinataire inchangé" in client.get(again.headers["location"]).text
    with db.session() as session:
        shortlist = session.get(Shortlist, shortlist_id)
        assert shortlist.status == "approved"
        assert shortlist.recipient_email == "rh@hotel-du-lot.fr"
    changed = client.post(f"/equipe/listes/{shortlist_id}/destinataire",
                          data={"csrf_token": token, "recipient_email": "direction@hotel-du-lot.fr"})
    assert "approuvez de nouveau" in client.get(changed.headers["location"]).text


def test_recipient_is_prefilled_from_the_employer_contact(client, db) -> None:
    """Fault: the employer's address was never prefilled."""
    from store.models import Employer, NetworkMember

    add_user(db)
    with db.session() as session:
        employer = Employer(name="Hôtel du Lot", normalized_name="hotel du lot")
        session.add(employer)
        session.flush()
        session.add(NetworkMember(employer_id=employer.id, status="member", contact_name="Anne Roux",
                                  contact_email="anne.roux@hotel-du-lot.fr"))
        offer = add_offer(session)
        offer.employer_id = employer.id
        offer_id = offer.id
    login(client)
    page = client.get(f"/equipe/listes/nouvelle?offre={offer_id}").text
    field = lxml_html.fromstring(page).xpath("//input[@name='recipient_email']")[0]
    assert field.get("value") == "anne.roux@hotel-du-lot.fr"


def test_ticks_are_kept_across_searches_and_nobody_is_listed_twice(client, db) -> None:
    """Fault: "Chercher d'autres prospects" cleared the ticked boxes and listed proposed people twice."""
    add_user(db)
    offer_id, lea_id, paul_id = _offer_and_people(db)
    login(client)
    token = csrf_of(client)
    page = client.post("/equipe/listes/nouvelle", data={"csrf_token": token, "offer_id": offer_id,
                                                        "candidate_id": [lea_id], "q": "Martin Léa",
                                                        "recipient_email": "rh@hotel-du-lot.fr"})
    assert page.status_code == 200
    tree = lxml_html.fromstring(page.text)
    boxes = tree.xpath("//input[@name='candidate_id']")
    assert [b.get("value") for b in boxes].count(str(lea_id)) == 1
    assert tree.xpath(f"//input[@name='candidate_id'][@value='{lea_id}']")[0].get("checked") is not None
    assert tree.xpath("//input[@name='recipient_email']")[0].get("value") == "rh@hotel-du-lot.fr"
    # Searching for Paul keeps Léa ticked.
    page = client.post("/equipe/listes/nouvelle", data={"csrf_token": token, "offer_id": offer_id,
                                                        "candidate_id": [lea_id], "q": "Durand"})
    tree = lxml_html.fromstring(page.text)
    assert tree.xpath(f"//input[@name='candidate_id'][@value='{lea_id}']")[0].get("checked") is not None
    assert tree.xpath(f"//input[@name='candidate_id'][@value='{paul_id}']")


def test_nobody_is_proposed_twice_for_one_offer(client, db) -> None:
    add_user(db)
    offer_id, lea_id, _ = _offer_and_people(db)
    login(client)
    token = csrf_of(client)
    first = client.post("/equipe/listes", data={"csrf_token": token, "offer_id": offer_id, "candidate_id": [lea_id],
                                                "recipient_email": "rh@hotel-du-lot.fr"})
    assert first.status_code == 303
    second = client.post("/equipe/listes", data={"csrf_token": token, "offer_id": offer_id,
                                                 "candidate_id": [lea_id], "recipient_email": "rh@hotel-du-lot.fr"})
    assert second.status_code == 400
    assert "déjà proposé" in second.text
    box = lxml_html.fromstring(client.get(f"/equipe/listes/nouvelle?offre={offer_id}").text).xpath(
        f"//input[@name='candidate_id'][@value='{lea_id}']")[0]
    assert box.get("disabled") is not None


def test_employer_answer_page_needs_one_answer_and_shows_what_matters(client, db) -> None:
    """Faults: nothing ticked still said "Merci, vos réponses sont enregistrées."; availability, wish to
    move, preferred contract and a link to the offer were missing."""
    from store.models import ShortlistEntry

    shortlist_id, entry_id, token, _ = _sent_shortlist(db)
    page = unescape(client.get(f"/employeur/{token}").text)
    for text in ("Disponibilité", "Contrat souhaité", "CDI", "Souhaite s'installer", "30 km", "Revoir l'offre"):
        assert text in page, text
    empty = client.post(f"/employeur/{token}", data={f"comment_{entry_id}": ""})
    assert empty.status_code == 400
    assert "au moins une personne" in empty.text
    assert "vos réponses sont enregistrées" not in unescape(empty.text)
    with db.session() as session:
        assert session.get(ShortlistEntry, entry_id).answered_at is None


def test_expired_link_explains_what_to_do_in_french(client, db) -> None:
    """Fault: an old link said "Lien expiré ou révoqué — Gone" with no guidance."""
    from store.models import Shortlist

    shortlist_id, _, token, _ = _sent_shortlist(db)
    with db.session() as session:
        from store.models import utcnow

        session.get(Shortlist, shortlist_id).link_revoked_at = utcnow()
    response = client.get(f"/employeur/{token}")
    assert response.status_code == 410
    assert "Gone" not in response.text
    assert "n'est plus valable" in unescape(response.text)
    assert "nouveau lien" in response.text


def test_years_are_written_the_same_on_the_page_and_the_pdf(client, db) -> None:
    """Fault: the PDF said "3.0 an(s)" where the page said "3 an(s)"."""
    from services import documents
    from services.shortlists import public_view
    from store.models import Shortlist

    shortlist_id, _, token, _ = _sent_shortlist(db)
    page = client.get(f"/employeur/{token}").text
    with db.session() as session:
        view = public_view(session, session.get(Shortlist, shortlist_id))
        pdf_html = documents.render("shortlist_pdf.html", view=view)
    assert "3 ans" in page
    assert "3 ans" in pdf_html
    assert "3.0" not in pdf_html
    assert "an(s)" not in pdf_html + page


# --------------------------------------------------------------------------------------------------
# Référents see their work
# --------------------------------------------------------------------------------------------------


def _two_territories(db):
    from services.shortlists import build_shortlist

    add_user(db, email="ref.figeac@ohmylot.fr", role="referent", territory=[FIGEAC], full_name="Fanny Figeac")
    add_user(db, email="ref.cahors@ohmylot.fr", role="referent", territory=[CAHORS], full_name="Rémi Cahors")
    with db.session() as session:
        offer = add_offer(session, title="Cuisinier")
        mine = add_candidate(session, "Jeanne", "Figeac", commune_insee="46102", current_place="Figeac")
        partner = add_candidate(session, "Marc", "Figeac", commune_insee="46102", current_place="Figeac")
        other = add_candidate(session, "Olga", "Cahors", commune_insee="46042")
        from store.models import Household

        household = Household(label="Figeac")
        session.add(household)
        session.flush()
        mine.household_id = partner.household_id = household.id
        build_shortlist(session, offer.id, [other.id], created_by="agent@ohmylot.fr", recipient_email="a@b.fr")
        return mine.id, partner.id, other.id, household.id


def test_referent_menu_and_pages_have_no_dead_link(client, db) -> None:
    """Fault: a référent got the staff menu; "Listes employeurs" showed another territory's list that then
    answered "Page introuvable"."""
    _two_territories(db)
    login(client, "ref.figeac@ohmylot.fr")
    home = client.get("/equipe/prospects").text
    nav = lxml_html.fromstring(home).xpath("//nav[@aria-label='Navigation principale']//a/@href")
    assert "/equipe/collecte" not in nav
    for href in nav:
        response = client.get(href)
        assert response.status_code == 200, href
        links = lxml_html.fromstring(response.text).xpath("//main//a/@href")
        for link in links:
            if link.startswith("/equipe/") and not link.endswith(".svg"):
                assert client.get(link).status_code == 200, f"{href} → {link}"
    assert client.get("/equipe/collecte").status_code == 404
    # Every account's failed sign-ins are not a territory's business either.
    assert client.get("/equipe/securite").status_code == 404


def test_referent_dashboard_shows_the_territory(client, db) -> None:
    """Fault: the dashboard of a référent showed the whole département."""
    _two_territories(db)
    login(client, "ref.figeac@ohmylot.fr")
    page = lxml_html.fromstring(client.get("/equipe/tableau").text)
    assert "Mon territoire" in page.xpath("//h1")[0].text_content()
    figures = page.xpath("//ul[@class='figures']")[0].text_content()
    assert "2 prospect(s)" in " ".join(figures.split())
    assert "1 foyer(s)" in " ".join(figures.split())


def test_hand_over_a_household_to_another_territory(mail_client, db) -> None:
    """Fault: a family of Figeac told to move to Cahors was not handed to that territory."""
    from store.models import Candidate, User

    client, received = mail_client
    mine, partner, _, _ = _two_territories(db)
    login(client, "ref.figeac@ohmylot.fr")
    token = csrf_of(client, f"/equipe/prospects/{mine}")
    with db.session() as session:
        cahors_id = session.query(User).filter_by(email="ref.cahors@ohmylot.fr").one().id
    response = client.post(f"/equipe/prospects/{mine}/confier",
                           data={"csrf_token": token, "referent_id": cahors_id,
                                 "note": "Cherchent une maison près de Cahors, rentrée en septembre"})
    assert response.status_code == 303
    with db.session() as session:
        assert {session.get(Candidate, i).referent_id for i in (mine, partner)} == {cahors_id}
    [(recipients, message)] = received
    assert recipients == ["ref.cahors@ohmylot.fr"]
    assert "Jeanne Figeac et Marc Figeac" in message["Subject"]
    assert message["Reply-To"].addresses[0].addr_spec == "ref.figeac@ohmylot.fr"
    client.post("/logout", data={"csrf_token": token})
    login(client, "ref.cahors@ohmylot.fr")
    page = unescape(client.get(f"/equipe/prospects/{partner}").text)
    assert "Suivi confié à Rémi Cahors : Cherchent une maison près de Cahors" in page


# --------------------------------------------------------------------------------------------------
# E-mails people can answer
# --------------------------------------------------------------------------------------------------


def test_shortlist_email_comes_from_the_staff_member_and_can_be_answered(mail_client, db) -> None:
    """Fault: the e-mail had no Reply-To, no staff name or phone, no Date or Message-ID header."""
    from store.models import User

    client, received = mail_client
    add_user(db, full_name="Camille Agent")
    with db.session() as session:
        session.query(User).filter_by(email="agent@ohmylot.fr").one().phone = "05 65 00 00 00"
    offer_id, lea_id, _ = _offer_and_people(db)
    login(client)
    token = csrf_of(client)
    created = client.post("/equipe/listes", data={"csrf_token": token, "offer_id": offer_id, "candidate_id": [lea_id],
                                                  "recipient_email": "rh@hotel-du-lot.fr"})
    shortlist_id = int(created.headers["location"].rsplit("/", 1)[1])
    client.post(f"/equipe/listes/{shortlist_id}/approuver", data={"csrf_token": token, "approver_name": "Camille"})
    sent = client.post(f"/equipe/listes/{shortlist_id}/envoyer", data={"csrf_token": token})
    assert "Liste envoyée" in client.get(sent.headers["location"]).text
    [(_, message)] = received
    assert message["From"].addresses[0].display_name.startswith("Camille Agent")
    assert message["Reply-To"].addresses[0].addr_spec == "agent@ohmylot.fr"
    assert message["Date"]
    assert message["Message-ID"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Camille Agent" in body
        assert "05 65 00 00 00" in body
    assert [part.get_filename() for part in message.iter_attachments()] == ["candidats-oh-my-lot.pdf"]


def test_offer_selection_to_a_prospect_is_answered_to_the_sender() -> None:
    """Fault: e-mails to a prospect said "N'hésitez pas à nous répondre" but came from ne-pas-repondre@ with
    no Reply-To, signed by the team."""
    from services.letters import Signer
    from services.network import selection_text
    from store.models import Candidate, Offer

    signer = Signer(name="Rémi Cahors", email="ref.cahors@ohmylot.fr", role="Référent accueil", phone="05 65 11")
    text = selection_text(Candidate(id=1, first_name="Léa"), [Offer(id=2, title="Cuisinier")],
                          "https://emploi.ohmylot.fr", "https://emploi.ohmylot.fr/d/x", None, signer)
    assert "Rémi Cahors" in text
    assert "05 65 11" in text
    assert "L'équipe Oh my Lot !" not in text


# --------------------------------------------------------------------------------------------------
# One word per thing
# --------------------------------------------------------------------------------------------------


def test_crawl_states_are_in_french(client, db) -> None:
    """Fault: crawl states were in English ("success (finished)")."""
    from store.models import CrawlRun
    from tests.webutil import add_source

    add_user(db)
    with db.session() as session:
        add_source(session, "cdg46", "Centre de gestion du Lot")
        session.add(CrawlRun(source_id="cdg46", status="success", finish_reason="finished", items_scraped=3))
        add_source(session, "apec", "APEC")
        session.add(CrawlRun(source_id="apec", status="failed", finish_reason="closespider_errorcount"))
    login(client)
    page = unescape(client.get("/equipe/collecte").text)
    assert "success" not in page
    assert "finished" not in page
    assert "réussie" in page
    assert "échouée (arrêtée : trop d'erreurs)" in page


def test_a_missing_employer_is_written_one_way(client, db) -> None:
    """Fault: a missing employer was written "— , Prayssac", "employeur ?" and "Non communiqué"."""
    add_user(db)
    with db.session() as session:
        offer = add_offer(session, title="Vendangeur", employer_name=None, commune_name="Prayssac")
        lea = add_candidate(session)
        add_match(session, lea, offer)
        offer_id, lea_id = offer.id, lea.id
    login(client)
    pages = [client.get(path).text for path in (f"/offres/{offer_id}", "/offres", f"/equipe/prospects/{lea_id}",
                                                f"/equipe/offres/{offer_id}", f"/equipe/reseau/selection/{lea_id}")]
    for page in pages:
        assert "Employeur non communiqué" in page
        assert "employeur ?" not in page
        assert "— , Prayssac" not in page


def test_household_page_names_the_members(client, db) -> None:
    """Fault: household bullets said "prospect n° 1 / n° 2"."""
    from store.models import Household
    from web.routers.prospects import with_names

    add_user(db)
    with db.session() as session:
        household = Household(label="foyer 7")
        session.add(household)
        session.flush()
        lea = add_candidate(session, household_id=household.id)
        paul = add_candidate(session, "Paul", "Martin", household_id=household.id)
        household_id, lea_id, names = household.id, lea.id, {lea.id: "Léa Martin", paul.id: "Paul Martin"}
    login(client)
    title = lxml_html.fromstring(client.get(f"/equipe/foyers/{household_id}").text).xpath("//h1")[0].text_content()
    assert title == "Foyer de Léa Martin et Paul Martin"
    reason = f"- prospect n° {lea_id} (cuisinière) : « Cuisinier » à Cahors, 0 km."
    assert with_names(reason, names) == "- Léa Martin (cuisinière) : « Cuisinier » à Cahors, 0 km."


def test_warm_up_leaves_the_first_visits_nothing_to_build(db) -> None:
    """Fault: first visits took 1.2–2.4 s (caches built on the first request)."""
    from prometheus_client import generate_latest

    import matching.rome as rome
    from matching.geo import get_gazetteer
    from services.matching import _cache as offer_indexes
    from web.observability import WebMetrics
    from web.templating import templates
    from web.warm import warm_up

    with db.session() as session:
        add_offer(session, title="Cuisinier")
    offer_indexes.clear()
    get_gazetteer.cache_clear()
    metrics = WebMetrics(db)
    assert b"ohmylot_web_warm_up_seconds -1.0" in generate_latest(metrics.registry)
    assert warm_up(db, metrics=metrics) == []
    seconds = re.search(rb"^ohmylot_web_warm_up_seconds (\S+)$", generate_latest(metrics.registry), re.M)
    assert float(seconds.group(1)) >= 0, "the gauge still says the warm-up runs"
    assert get_gazetteer._value, "the gazetteer was not loaded"
    assert offer_indexes, "the offer index was not built"
    assert rome._instance is not None
    assert any("staff/prospect.html" in str(key) for key in templates.env.cache)
