"""Shortlists: consent (P2), named approval (P5), e-mail + PDF over SMTP, signed employer links (W5)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.webutil import add_candidate, add_match, add_offer, add_user, csrf_of, login, smtp_settings

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db


@pytest.fixture
def mail_app(db, smtp_server):
    from web.app import create_app

    port, received = smtp_server
    return create_app(smtp_settings(port), database=db), received


@pytest.fixture
def mail_client(mail_app):
    from fastapi.testclient import TestClient

    app, received = mail_app
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client, received


def _data(db):
    with db.session() as session:
        offer = add_offer(session, title="Cuisinier")
        lea = add_candidate(session, "Léa", "Martin", phone="+33612345678", skills="cuisine du terroir",
                            notes="a parlé de sa situation familiale")
        noshare = add_candidate(session, "Paul", "Secret", consent_share=False, consent_share_at=None)
        add_match(session, lea, offer)
        add_match(session, noshare, offer, 0.7)
        return offer.id, lea.id, noshare.id


def _create(client, offer_id, ids, recipient="rh@hotel-du-lot.fr"):
    token = csrf_of(client)
    return client.post("/equipe/listes", data={"csrf_token": token, "offer_id": offer_id, "candidate_id": ids,
                                               "recipient_email": recipient})


def _approve(client, shortlist_id, name="Camille Agent"):
    token = csrf_of(client, f"/equipe/listes/{shortlist_id}")
    return client.post(f"/equipe/listes/{shortlist_id}/approuver", data={"csrf_token": token, "approver_name": name})


def _send(client, shortlist_id):
    token = csrf_of(client, f"/equipe/listes/{shortlist_id}")
    return client.post(f"/equipe/listes/{shortlist_id}/envoyer", data={"csrf_token": token})


def _shortlist_id(response) -> int:
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_prospect_without_consent_cannot_enter_a_shortlist(client, db) -> None:
    from sqlalchemy import func, select

    from store.models import Shortlist

    add_user(db)
    offer_id, lea_id, noshare_id = _data(db)
    login(client)
    response = _create(client, offer_id, [lea_id, noshare_id])
    assert response.status_code == 400
    assert "consentement" in response.text
    assert "Paul Secret" in response.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Shortlist)) == 0


def test_send_without_approval_is_refused(mail_client, db) -> None:
    from sqlalchemy import select

    from store.models import AuditLog, Shortlist

    client, received = mail_client
    add_user(db)
    offer_id, lea_id, _ = _data(db)
    login(client)
    shortlist_id = _shortlist_id(_create(client, offer_id, [lea_id]))
    response = _send(client, shortlist_id)
    assert "approuv" in client.get(response.headers["location"]).text
    assert received == []
    with db.session() as session:
        assert session.get(Shortlist, shortlist_id).status == "draft"
        assert session.scalar(select(AuditLog).where(AuditLog.action == "shortlist_send_refused")) is not None


def test_full_flow_preview_approve_send_answer(mail_client, db) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from store.models import AuditLog, Shortlist

    client, received = mail_client
    add_user(db, full_name="Camille Agent")
    offer_id, lea_id, _ = _data(db)
    login(client)
    shortlist_id = _shortlist_id(_create(client, offer_id, [lea_id]))
    preview = client.get(f"/equipe/listes/{shortlist_id}").text
    preview_part = preview.split('id="h-apercu"', 1)[1]
    assert "Léa M." in preview_part
    for private in ("+33612345678", "lea.martin@example.org", "situation familiale", "Martin"):
        assert private not in preview_part
    _approve(client, shortlist_id, name="")  # an approval needs a name
    with db.session() as session:
        assert session.get(Shortlist, shortlist_id).approved_by is None
    _approve(client, shortlist_id)
    with db.session() as session:
        shortlist = session.get(Shortlist, shortlist_id)
        assert shortlist.approved_by == "Camille Agent <agent@ohmylot.fr>"
        assert shortlist.approved_at is not None
    _send(client, shortlist_id)
    [(recipients, message)] = received
    assert recipients == ["rh@hotel-du-lot.fr"]
    assert "Cuisinier" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https://testserver/employeur/\S+", body).group(0)
    [attachment] = list(message.iter_attachments())
    pdf = attachment.get_content()
    assert attachment.get_content_type() == "application/pdf"
    assert pdf.startswith(b"%PDF")
    for private in ("+33612345678", "lea.martin@example.org"):
        assert private not in body
    with db.session() as session:
        shortlist = session.get(Shortlist, shortlist_id)
        assert shortlist.status == "sent"
        sent = session.scalar(select(AuditLog).where(AuditLog.action == "shortlist_sent"))
        assert sent.detail["recipient"] == "rh@hotel-du-lot.fr"
        assert sent.detail["approved_by"] == "Camille Agent <agent@ohmylot.fr>"
        [entry] = shortlist.entries
        entry_id = entry.id
    path = link.removeprefix("https://testserver")
    token = path.rsplit("/", 1)[1]
    from itsdangerous import URLSafeTimedSerializer

    # The link carries the shortlist id and a random nonce, nothing else.
    with db.session() as session:
        nonce = session.get(Shortlist, shortlist_id).link_nonce
    payload = URLSafeTimedSerializer(client.app.state.settings.secret_key, salt="ohmylot.employer-link.v1").loads(token)
    assert payload == [shortlist_id, nonce]
    with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as employer:
        page = employer.get(path)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert "Léa M." in page.text
        assert "+33612345678" not in page.text
        answer = employer.post(path, data={f"answer_{entry_id}": "interested",
                                           f"comment_{entry_id}": "Disponible pour un essai mardi ?"})
        assert answer.status_code == 303
    staff_view = client.get(f"/equipe/listes/{shortlist_id}").text
    assert "intéressé" in staff_view
    assert "Disponible pour un essai mardi ?" in staff_view
    with db.session() as session:
        opened = session.scalars(select(AuditLog).where(AuditLog.action == "employer_link_opened")).all()
        assert len(opened) >= 2  # the page and the answer


def _sent_shortlist(db, settings, *, offer_title="Cuisinier"):
    """A sent shortlist built through the functions (no SMTP): returns (shortlist id, token, entry id)."""
    from services.shortlists import approve_shortlist, build_shortlist, issue_link

    with db.session() as session:
        offer = add_offer(session, title=offer_title)
        candidate = add_candidate(session, "Nina", f"Test{offer.id}", email=f"nina{offer.id}@example.org")
        shortlist = build_shortlist(session, offer.id, [candidate.id], created_by="a@ohmylot.fr",
                                    recipient_email="rh@example.fr")
        approve_shortlist(session, shortlist, approver="Camille Agent")
        token = issue_link(shortlist, settings)
        shortlist.status = "sent"
        session.flush()
        return shortlist.id, token, shortlist.entries[0].id


def test_employer_link_tampered_expired_revoked_foreign(client, db, app) -> None:
    from sqlalchemy import select

    from store.models import AuditLog, Shortlist

    settings = app.state.settings
    a_id, a_token, a_entry = _sent_shortlist(db, settings)
    b_id, b_token, b_entry = _sent_shortlist(db, settings, offer_title="Serveur")
    assert client.get(f"/employeur/{a_token}").status_code == 200
    # Tampered: one character changed, or signed with another key, or another salt.
    tampered = a_token[:-2] + ("A" if a_token[-2] != "A" else "B") + a_token[-1]
    assert client.get(f"/employeur/{tampered}").status_code == 404
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("another-secret-key-of-enough-length-000", salt="ohmylot.employer-link.v1")
    with db.session() as session:
        nonce = session.get(Shortlist, a_id).link_nonce
    assert client.get(f"/employeur/{forged.dumps([a_id, nonce])}").status_code == 404
    other_salt = URLSafeTimedSerializer(settings.secret_key, salt="something-else")
    assert client.get(f"/employeur/{other_salt.dumps([a_id, nonce])}").status_code == 404
    # Token for A used to answer for B's entry: 404, and B is untouched.
    response = client.post(f"/employeur/{a_token}", data={f"answer_{b_entry}": "interested"})
    assert response.status_code == 404
    with db.session() as session:
        assert session.get(Shortlist, b_id).entries[0].answer is None
    # Expired (database expiry).
    with db.session() as session:
        session.get(Shortlist, a_id).link_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    assert client.get(f"/employeur/{a_token}").status_code == 410
    # Revoked.
    with db.session() as session:
        session.get(Shortlist, b_id).link_revoked_at = datetime.now(UTC)
    assert client.get(f"/employeur/{b_token}").status_code == 410
    assert client.post(f"/employeur/{b_token}", data={f"answer_{b_entry}": "interested"}).status_code == 410
    with db.session() as session:
        actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert "employer_link_invalid" in actions
    assert "employer_link_expired" in actions
    assert "employer_link_revoked" in actions


def test_signature_older_than_the_validity_is_gone(client, db, app) -> None:
    from itsdangerous import URLSafeTimedSerializer

    from store.models import Shortlist

    settings = app.state.settings
    a_id, _, _ = _sent_shortlist(db, settings)
    with db.session() as session:
        nonce = session.get(Shortlist, a_id).link_nonce
    old = URLSafeTimedSerializer(settings.secret_key, salt="ohmylot.employer-link.v1")
    import time as _time

    class OldSigner(old.signer):
        def get_timestamp(self) -> int:
            return int(_time.time()) - 86400 * (settings.employer_link_days + 5)

    old.signer = OldSigner
    assert client.get(f"/employeur/{old.dumps([a_id, nonce])}").status_code == 410


def test_resending_supersedes_the_old_link(client, db, app) -> None:
    from services.shortlists import issue_link
    from store.models import Shortlist

    settings = app.state.settings
    a_id, old_token, _ = _sent_shortlist(db, settings)
    with db.session() as session:
        new_token = issue_link(session.get(Shortlist, a_id), settings)
    assert client.get(f"/employeur/{old_token}").status_code == 410
    assert client.get(f"/employeur/{new_token}").status_code == 200


def test_withdrawn_consent_hides_the_prospect_from_the_employer(client, db, app) -> None:
    from store.models import Candidate, Shortlist

    a_id, token, _ = _sent_shortlist(db, app.state.settings)
    assert "Nina" in client.get(f"/employeur/{token}").text
    with db.session() as session:
        candidate_id = session.get(Shortlist, a_id).entries[0].candidate_id
        session.get(Candidate, candidate_id).consent_share = False
    assert "Nina" not in client.get(f"/employeur/{token}").text


def test_employer_account_sees_only_its_own_shortlists(client, db, app) -> None:
    from store.models import Employer, Offer, Shortlist

    a_id, _, _ = _sent_shortlist(db, app.state.settings)
    b_id, _, _ = _sent_shortlist(db, app.state.settings, offer_title="Serveur")
    with db.session() as session:
        mine = Employer(name="Hôtel du Lot", normalized_name="hotel du lot")
        other = Employer(name="Autre", normalized_name="autre")
        session.add_all([mine, other])
        session.flush()
        for shortlist_id, employer in ((a_id, mine), (b_id, other)):
            shortlist = session.get(Shortlist, shortlist_id)
            shortlist.employer_id = employer.id
            session.get(Offer, shortlist.offer_id).employer_id = employer.id
        mine_id = mine.id
    add_user(db, "patron@hotel.fr", role="employer", employer_id=mine_id)
    login(client, "patron@hotel.fr")
    assert client.get(f"/employeur/listes/{a_id}").status_code == 200
    assert client.get(f"/employeur/listes/{b_id}").status_code == 404
    assert f"/employeur/listes/{b_id}" not in client.get("/employeur/listes").text


def test_smtp_failure_is_reported_and_nothing_is_marked_sent(db) -> None:
    from services.shortlists import ShortlistError, send_shortlist
    from store.models import Shortlist
    from tests.webutil import free_port

    settings = smtp_settings(free_port()).checked()  # nobody listens there
    a_id, _, _ = _sent_shortlist(db, settings)
    with db.session() as session:
        shortlist = session.get(Shortlist, a_id)
        shortlist.status, shortlist.sent_at = "approved", None
    with db.session() as session:
        shortlist = session.get(Shortlist, a_id)
        with pytest.raises(ShortlistError, match="envoi du courriel a échoué"):
            send_shortlist(session, shortlist, settings, actor="a@ohmylot.fr")
        session.rollback()
    with db.session() as session:
        assert session.get(Shortlist, a_id).sent_at is None
