"""The employers' network through the web app (TestClient): join → validate → sign in by link → offer →
review → public board and dedup with a crawled posting; digests and interests; selections and unsubscribe;
the kit. E-mails go to a local aiosmtpd server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.network_support import CRAWLED_OFFER, JOIN_FORM, OFFER_FORM, body, crawl_posting, link_in
from tests.webutil import SECRET, add_candidate, add_match, add_offer, add_user, csrf_of, login

pytest_plugins = ["tests.webutil", "tests.network_support"]

pytestmark = pytest.mark.db


def _join_and_validate(client, db, mailbox, form=None):
    """Public join, staff validation, sign-in link from the e-mail; returns (member id, member client cookie)."""
    from store.models import NetworkMember

    response = client.post("/reseau/adherer", data=form or JOIN_FORM)
    assert response.status_code == 303, response.text
    with db.session() as session:
        member = session.scalars(select(NetworkMember)).one()
        assert member.status == "pending"
        assert member.commune_insee == "46128"  # Gramat
        assert member.sector == "A"
        member_id = member.id
    add_user(db)
    login(client)
    token = csrf_of(client, f"/equipe/reseau/membres/{member_id}")
    response = client.post(f"/equipe/reseau/membres/{member_id}/valider", data={"csrf_token": token})
    assert response.status_code == 303
    assert "lien%20de%20connexion%20envoy" in response.headers["location"]
    [(recipients, message)] = mailbox
    assert recipients == ["jeanne@ferme-causses.fr"]
    link = link_in(message, "/membre/connexion/")
    return member_id, link


def test_join_form_rejects_bad_input_with_reasons(client, db):
    bad = dict(JOIN_FORM, siret="73282932000075", naf="99.99", commune="Nullepart-sur-Rien", consent="")
    response = client.post("/reseau/adherer", data=bad)
    assert response.status_code == 422
    text = response.text
    assert "clé de contrôle" in text
    assert "secteur d&#39;activité dans la liste" in text
    assert "Commune introuvable" in text
    assert 'aria-invalid="true"' in text
    assert 'href="#consent"' in text
    # The typed values come back in the form.
    assert 'value="Ferme des Causses"' in text


def test_member_offer_review_publication_and_dedup(client, db, mailbox):
    from fastapi.testclient import TestClient

    from store.models import MemberOffer, Offer, Posting, User

    # A crawled posting of the same vacancy already exists on another source (published).
    with db.session() as session:
        crawled_id = crawl_posting(session, "hellowork-test", "hw-1", **CRAWLED_OFFER)
        assert session.get(Offer, crawled_id).published is True
    member_id, link = _join_and_validate(client, db, mailbox)

    member = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    page = member.get(link.replace("https://testserver", ""))
    assert page.status_code == 200
    assert "Ouvrir mon espace membre" in page.text
    response = member.post(link.replace("https://testserver", ""))
    assert response.status_code == 303
    assert response.headers["location"] == "/membre"
    # One use only.
    assert (
        TestClient(client.app, base_url="https://testserver").post(link.replace("https://testserver", "")).status_code
        == 410
    )
    home = member.get("/membre")
    assert home.status_code == 200
    assert "Ferme des Causses" in home.text
    # Staff pages stay closed to a member.
    assert member.get("/equipe/reseau").status_code == 404

    token = csrf_of(member, "/membre/offres/nouvelle")
    bad = member.post("/membre/offres/nouvelle", data=dict(OFFER_FORM, description="court", csrf_token=token))
    assert bad.status_code == 422
    assert "30 caractères" in bad.text
    response = member.post("/membre/offres/nouvelle", data=dict(OFFER_FORM, csrf_token=token))
    assert response.status_code == 303, response.text

    with db.session() as session:
        user = session.scalars(select(User).where(User.role == "employer")).one()
        employer_id = user.employer_id
        member_offer = session.scalars(select(MemberOffer)).one()
        posting = session.get(Posting, member_offer.posting_id)
        assert posting.source_id == f"reseau-{employer_id}"
        assert posting.commune_insee == "46128"
        assert posting.contract_type == "CDD"
        assert posting.source.platform == "manual"
        # Grouped with the crawled posting: the same offer.
        assert posting.offer_id == crawled_id
        member_offer_id = member_offer.id

    # The member sees the offer once, with both sources.
    home = member.get("/membre")
    assert home.text.count("Ouvrier agricole") >= 1
    assert "hellowork-test" in home.text
    assert "votre formulaire" in home.text

    # Staff publish it.
    review = client.get("/equipe/reseau/offres")
    assert "Ouvrier agricole" in review.text
    assert "2 annonce(s) regroupée(s)" in review.text
    token = csrf_of(client, "/equipe/reseau/offres")
    assert (
        client.post(f"/equipe/reseau/offres/{member_offer_id}/publier", data={"csrf_token": token}).status_code == 303
    )
    board = client.get("/offres")
    assert board.text.count("Ouvrier agricole") == 1


def test_new_member_offer_is_hidden_until_approved(client, db, mailbox):
    from fastapi.testclient import TestClient

    from store.models import MemberOffer, Offer, Posting

    _, link = _join_and_validate(client, db, mailbox)
    member = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    member.post(link.replace("https://testserver", ""))
    token = csrf_of(member, "/membre/offres/nouvelle")
    form = dict(
        OFFER_FORM,
        title="Berger / Bergère",
        description="Garde d'un troupeau de 300 brebis sur le causse, de mai à octobre. <script>alert(1)</script>",
    )
    assert member.post("/membre/offres/nouvelle", data=dict(form, csrf_token=token)).status_code == 303
    with db.session() as session:
        member_offer = session.scalars(select(MemberOffer)).one()
        offer = session.get(Offer, session.get(Posting, member_offer.posting_id).offer_id)
        assert offer.published is False
        offer_id, member_offer_id = offer.id, member_offer.id
    assert "Berger" not in client.get("/offres").text
    assert client.get(f"/offres/{offer_id}").status_code == 404
    # A full rebuild of the offers does not publish it either.
    from store.dedup import dedupe_database

    with db.session() as session:
        dedupe_database(session, full=True)
        session.commit()
    assert "Berger" not in client.get("/offres").text
    assert "en attente de relecture" in member.get("/membre").text
    token = csrf_of(client, "/equipe/reseau/offres")
    client.post(f"/equipe/reseau/offres/{member_offer_id}/publier", data={"csrf_token": token})
    assert "Berger" in client.get("/offres").text
    public = client.get(f"/offres/{offer_id}")
    assert public.status_code == 200
    assert "Pour postuler : jeanne@ferme-causses.fr" in public.text
    assert "<script>alert" not in public.text
    assert "&lt;script&gt;" in public.text
    # An edit goes back to review and off the board.
    token = csrf_of(member, f"/membre/offres/{member_offer_id}/modifier")
    response = member.post(
        f"/membre/offres/{member_offer_id}/modifier",
        data=dict(form, title="Berger / Bergère (saison 2027)", csrf_token=token),
    )
    assert response.status_code == 303
    assert "Berger" not in client.get("/offres").text
    # Another member cannot open or edit this offer.
    from services.network import OutreachSettings, approve_member, check_join_form, login_link, submit_join
    from tests.network_support import SIRET_OK_2

    with db.session() as session:
        other = submit_join(
            session, check_join_form(dict(JOIN_FORM, company="Autre", siret=SIRET_OK_2, email="autre@example.fr"))
        )
        approve_member(session, other, "agent@ohmylot.fr")
        other_link = login_link(session, other, OutreachSettings(secret_key=SECRET, public_url="https://testserver"))
    intruder = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    assert intruder.post(other_link.replace("https://testserver", "")).status_code == 303
    assert intruder.get("/membre").status_code == 200
    assert intruder.get(f"/membre/offres/{member_offer_id}/modifier").status_code == 404
    token = csrf_of(intruder, "/membre/offres/nouvelle")
    assert (
        intruder.post(f"/membre/offres/{member_offer_id}/modifier", data=dict(form, csrf_token=token)).status_code
        == 404
    )


def test_digest_interest_selection_and_unsubscribe(client, db, mailbox):
    from fastapi.testclient import TestClient

    from services.network import OutreachSettings, send_digest
    from store.models import AuditLog, Candidate, CandidateStatus, TalentInterest

    member_id, link = _join_and_validate(client, db, mailbox)
    mailbox.clear()
    with db.session() as session:
        lea = add_candidate(
            session,
            "Léa",
            "Martin",
            email="lea.martin@example.org",
            phone="0611223344",
            desired_jobs="bergère, ouvrière agricole",
            rome_codes=["A1416"],
            skills="conduite de tracteur",
        )
        add_candidate(session, "Paul", "Privé", consent_share=False, email="paul@example.org")
        offer = add_offer(session, title="Ouvrier viticole", commune_name="Puy-l'Évêque")
        add_match(session, lea, offer, 0.9)
        lea_id, offer_id = lea.id, offer.id

    settings = OutreachSettings(
        secret_key="test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz", public_url="https://testserver"
    )
    with db.session() as session:
        report = send_digest(session, settings, sector="A", actor="agent@ohmylot.fr")
        assert report.sent == 1
        assert [c.id for c in report.profiles] == [lea_id]
        assert send_digest(session, settings, sector="I", actor="x", dry_run=True).members == []
    [(recipients, message)] = mailbox
    text = body(message)
    assert recipients == ["jeanne@ferme-causses.fr"]
    assert "bergère" in text
    assert "conduite de tracteur" in text
    for secret in ("Martin", "Léa", "lea.martin@example.org", "0611223344", "Paul"):
        assert secret not in text
    interest = link_in(message, "/reseau/interet/").replace("https://testserver", "")
    anonymous = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    assert "Ce profil m'intéresse" in anonymous.get(interest).text
    mailbox.clear()
    assert anonymous.post(interest).status_code == 200
    assert anonymous.post(interest).status_code == 200  # idempotent
    [(staff_rcpt, staff_message)] = mailbox
    assert staff_rcpt == ["equipe@ohmylot.fr"]
    assert f"profil n° {lea_id}" in body(staff_message)
    with db.session() as session:
        assert session.scalars(select(TalentInterest)).one().candidate_id == lea_id
    page = client.get("/equipe/reseau/interets")
    assert "Ferme des Causses" in page.text
    assert "Léa" in page.text
    # A tampered token is refused.
    assert anonymous.get(interest[:-3] + "abc").status_code == 410

    # Selection of offers to the prospect.
    mailbox.clear()
    token = csrf_of(client, f"/equipe/reseau/selection/{lea_id}")
    response = client.post(
        f"/equipe/reseau/selection/{lea_id}", data={"csrf_token": token, "offer_id": [str(offer_id)]}
    )
    assert response.status_code == 303
    assert "S%C3%A9lection%20envoy%C3%A9e" in response.headers["location"]
    [(recipients, message)] = mailbox
    assert recipients == ["lea.martin@example.org"]
    text = body(message)
    assert "Ouvrier viticole" in text
    assert "Hôtel du Lot" in text
    assert "Puy-l'Évêque" in text
    assert f"https://testserver/offres/{offer_id}" in text
    assert message["List-Unsubscribe"].startswith("<https://testserver/desinscription/")
    with db.session() as session:
        notes = [s.note for s in session.scalars(select(CandidateStatus).where(CandidateStatus.candidate_id == lea_id))]
        assert any("Sélection de 1 offre(s)" in (n or "") for n in notes)
        assert session.scalars(select(AuditLog).where(AuditLog.action == "outreach.selection")).one()

    # Unsubscribe: GET changes nothing, POST does.
    unsubscribe = link_in(message, "/desinscription/").replace("https://testserver", "")
    assert "Confirmer ma désinscription" in anonymous.get(unsubscribe).text
    with db.session() as session:
        assert session.get(Candidate, lea_id).unsubscribed_at is None
    assert anonymous.post(unsubscribe).status_code == 200
    with db.session() as session:
        gone = session.get(Candidate, lea_id)
        assert gone.unsubscribed_at is not None
        assert gone.consent_contact is False
        assert gone.consent_share is False  # web shortlists check it too
    mailbox.clear()
    response = client.post(
        f"/equipe/reseau/selection/{lea_id}", data={"csrf_token": token, "offer_id": [str(offer_id)]}
    )
    assert "d%C3%A9sinscrit" in response.headers["location"]
    with db.session() as session:
        report = send_digest(session, settings, sector="A", actor="agent@ohmylot.fr")
        assert report.profiles == []
        assert report.sent == 0
    assert mailbox == []
    assert "plus disponible" in anonymous.post(interest).text or anonymous.post(interest).status_code == 410


def test_kit_upload_checks_and_download_audit(client, db, mailbox):
    from fastapi.testclient import TestClient

    from store.models import AuditLog

    _, link = _join_and_validate(client, db, mailbox)
    token = csrf_of(client, "/equipe/reseau/kit")
    fake = client.post(
        "/equipe/reseau/kit",
        data={"csrf_token": token, "title": "Logo"},
        files={"file": ("logo.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert "ne%20correspond%20pas" in fake.headers["location"]
    svg = client.post(
        "/equipe/reseau/kit",
        data={"csrf_token": token, "title": "Logo"},
        files={"file": ("logo.svg", b"<svg></svg>", "image/svg+xml")},
    )
    assert "refus%C3%A9" in svg.headers["location"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    ok = client.post(
        "/equipe/reseau/kit",
        data={"csrf_token": token, "title": "Présentation du Lot"},
        files={"file": ("presentation.pdf", pdf, "application/pdf")},
    )
    assert "Fichier%20ajout%C3%A9" in ok.headers["location"]

    member = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    member.post(link.replace("https://testserver", ""))
    kit = member.get("/membre/kit")
    file_id = re.search(r'href="/membre/kit/(\d+)"', kit.text).group(1)
    download = member.get(f"/membre/kit/{file_id}")
    assert download.status_code == 200
    assert download.content == pdf
    assert "attachment" in download.headers["content-disposition"]
    assert "presentation.pdf" in download.headers["content-disposition"]
    with db.session() as session:
        row = session.scalars(select(AuditLog).where(AuditLog.action == "network.kit_download")).one()
        assert row.actor == "jeanne@ferme-causses.fr"
    assert "jeanne@ferme-causses.fr" in client.get("/equipe/reseau/kit").text
    # Anonymous visitors cannot download.
    assert (
        TestClient(client.app, base_url="https://testserver", follow_redirects=False)
        .get(f"/membre/kit/{file_id}")
        .status_code
        == 303
    )


def test_directory_filters(client, db, mailbox):
    client.post("/reseau/adherer", data=JOIN_FORM)
    client.post(
        "/reseau/adherer",
        data=dict(
            JOIN_FORM,
            company="Hôtel de la Gare",
            siret="55210055400013",
            naf="55",
            commune="Cahors",
            email="rh@hotel-gare.fr",
        ),
    )
    add_user(db)
    login(client)
    everything = client.get("/equipe/reseau").text
    assert "Ferme des Causses" in everything
    assert "Hôtel de la Gare" in everything
    hotels = client.get("/equipe/reseau?secteur=I").text
    assert "Hôtel de la Gare" in hotels
    assert "Ferme des Causses" not in hotels
    by_name = client.get("/equipe/reseau?q=ferme").text
    assert "Ferme des Causses" in by_name
    assert "Hôtel de la Gare" not in by_name
    # The same SIRET cannot ask twice.
    again = client.post("/reseau/adherer", data=JOIN_FORM)
    assert again.status_code == 422
    assert "existe déjà" in again.text


def test_roles_on_network_pages(client, db):
    add_user(db, email="ref@ohmylot.fr", role="referent", territory=["200023737"])
    login(client, "ref@ohmylot.fr")
    assert client.get("/equipe/reseau").status_code == 200
    assert client.get("/equipe/reseau/profils").status_code == 404  # digests span every territory
    anonymous = client.__class__(client.app, base_url="https://testserver", follow_redirects=False)
    assert anonymous.get("/equipe/reseau").status_code == 303
    assert anonymous.get("/membre").status_code == 303
    assert anonymous.get("/reseau/adherer").status_code == 200


CAHORS_EPCI, FIGEAC_EPCI = "200023737", "200067361"


def _member_with_offer_interest_and_download(session, name: str, insee: str, town: str, epci: str, prospect) -> dict:
    """A network member of ``town`` with an offer to review, an interest in ``prospect`` and a kit download."""
    from store.models import AuditLog, Employer, MemberOffer, NetworkMember, TalentInterest

    email = f"rh@{name.lower().replace(' ', '-')}.fr"
    employer = Employer(name=name, normalized_name=name.lower(), commune_insee=insee, is_member=True)
    session.add(employer)
    session.flush()
    member = NetworkMember(employer_id=employer.id, status="member", commune_insee=insee, commune_name=town,
                           departement="46", epci=epci, contact_name=f"Contact {town}", contact_email=email)
    offer = add_offer(session, title=f"Serveur à {town}", commune_name=town, commune_insee=insee, epci=epci,
                      source_id="reseau", ref=f"membre-{employer.id}")
    member_offer = MemberOffer(employer_id=employer.id, posting_id=offer.best_posting_id)
    interest = TalentInterest(employer_id=employer.id, candidate_id=prospect.id)
    session.add_all([member, member_offer, interest])
    session.add(AuditLog(actor=email, action="network.kit_download", object_type="kit_file", object_id="1"))
    session.flush()
    return {"member": member.id, "member_offer": member_offer.id, "interest": interest.id, "email": email}


def test_referent_sees_only_their_territory_on_the_network_pages(client, db):
    """Fault: the members' offers, the interests and the kit's downloads showed a référent accueil the whole
    département (and links to member pages of other territories)."""
    from store.models import KitFile

    add_user(db, email="ref@ohmylot.fr", role="referent", territory=[CAHORS_EPCI])
    add_user(db, email="agent@ohmylot.fr")
    with db.session() as session:
        olga = add_candidate(session, "Olga", "Cahors")  # lives in Cahors: the référent's prospect
        felix = add_candidate(session, "Félix", "Figeac", commune_insee="46102", current_place="Figeac")
        # The Figeac employer is interested in the Cahors prospect, and the other way round.
        ours = _member_with_offer_interest_and_download(session, "Bistrot du Pont", "46042", "Cahors",
                                                        CAHORS_EPCI, felix)
        theirs = _member_with_offer_interest_and_download(session, "Auberge du Célé", "46102", "Figeac",
                                                          FIGEAC_EPCI, olga)
        session.add(KitFile(title="Affiche", filename="affiche.pdf", stored_name="k1", mime="application/pdf",
                            size=10, sha256="0" * 64))

    login(client, "ref@ohmylot.fr")
    offers = client.get("/equipe/reseau/offres?etat=").text
    assert "Serveur à Cahors" in offers
    assert "Serveur à Figeac" not in offers
    interests = client.get("/equipe/reseau/interets").text
    assert "Olga" in interests  # their prospect, even though the employer is in Figeac
    assert "Félix" not in interests
    assert "Auberge du Célé" in interests  # who to put in touch with …
    assert f"/equipe/reseau/membres/{theirs['member']}" not in interests  # … but no link to a closed page
    kit = client.get("/equipe/reseau/kit").text
    assert ours["email"] in kit
    assert theirs["email"] not in kit
    assert 'action="/equipe/reseau/kit"' not in kit  # the département's kit is the staff's to change
    # No link on these pages leads to a page the référent cannot open.
    for page in (offers, interests, kit, client.get("/equipe/reseau").text):
        for href in set(re.findall(r'href="(/equipe/[^"?#]*)', page)):
            assert client.get(href).status_code == 200, href
    # Nor can they act outside their territory by typing the address.
    token = csrf_of(client, "/equipe/reseau/interets")
    assert client.get(f"/equipe/reseau/membres/{theirs['member']}").status_code == 404
    assert client.get(f"/equipe/reseau/membres/{ours['member']}").status_code == 200
    assert client.post(f"/equipe/reseau/offres/{theirs['member_offer']}/publier",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/equipe/reseau/interets/{ours['interest']}/traite",
                       data={"csrf_token": token}).status_code == 404
    assert client.post("/equipe/reseau/kit/1/retirer", data={"csrf_token": token}).status_code == 404

    # The staff still see the whole département.
    client.post("/logout", data={"csrf_token": token})
    login(client)
    offers = client.get("/equipe/reseau/offres?etat=").text
    assert "Serveur à Cahors" in offers
    assert "Serveur à Figeac" in offers
    interests = client.get("/equipe/reseau/interets").text
    assert "Olga" in interests
    assert "Félix" in interests
    kit = client.get("/equipe/reseau/kit").text
    assert theirs["email"] in kit
    assert 'action="/equipe/reseau/kit"' in kit
