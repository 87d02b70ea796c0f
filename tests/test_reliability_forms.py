"""Public forms resist abuse (docs/reliability.md R7): rate limits, honeypot, fill time, refusals for staff."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.abuse import POLICIES, form_stamp
from store.models import NetworkMember
from tests.network_support import JOIN_FORM, mailbox  # noqa: F401 - mailbox is a fixture
from tests.webutil import SECRET, add_user, app, login  # noqa: F401 - app is a fixture

pytestmark = pytest.mark.db


def _member(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/reseau/adherer", data=JOIN_FORM).status_code == 303
    with db.session() as session:
        session.scalars(select(NetworkMember)).one().status = "member"


def test_fifty_sign_in_link_requests_send_at_most_three_emails(app, db, mailbox) -> None:  # noqa: F811
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        _member(client, db)
        answers = {client.post("/membre/lien", data={"email": "Jeanne@Ferme-Causses.fr"}).headers["location"]
                   for _ in range(50)}
    assert answers == {"/membre/lien?sent=1"}  # the same answer every time: nothing to learn
    assert 1 <= len(mailbox) <= POLICIES["member_link"].per_email == 3


def test_one_address_cannot_request_links_for_many_mailboxes(app, db, mailbox) -> None:  # noqa: F811
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        for index in range(30):
            client.post("/membre/lien", data={"email": f"x{index}@exemple.fr"})
    from store.models import FormEvent

    with db.session() as session:
        refused = session.scalar(select(func.count()).select_from(FormEvent).where(FormEvent.refused == "rate_ip"))
        assert refused == 30 - POLICIES["member_link"].per_ip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"site_web": "http://spam.example"}, "champ piège"),
        ({"form_stamp": "à l'instant"}, "trop vite"),
        ({"form_stamp": "forgé"}, "horodatage"),
    ],
)
def test_spam_bots_on_the_join_form_are_refused_and_counted_for_staff(app, db, mailbox, change, reason) -> None:  # noqa: F811
    add_user(db)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        if change.get("form_stamp") == "à l'instant":
            change = {"form_stamp": form_stamp(SECRET)}  # shown just now, sent at once: a robot
        response = client.post("/reseau/adherer", data={**JOIN_FORM, **change})
        assert response.headers["location"] == "/reseau/merci"
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(NetworkMember)) == 0
        login(client)
        page = client.get("/equipe/securite")
        assert page.status_code == 200
        assert reason in page.text


def test_a_person_joining_is_accepted_and_the_join_form_is_rate_limited(app, db, mailbox) -> None:  # noqa: F811
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        shown = client.get("/reseau/adherer")
        assert 'name="site_web"' in shown.text
        assert 'name="form_stamp"' in shown.text
        assert client.post("/reseau/adherer", data=JOIN_FORM).headers["location"] == "/reseau/merci"
        statuses = [client.post("/reseau/adherer", data=dict(JOIN_FORM, siret="55210055400013")).status_code
                    for _ in range(POLICIES["network_join"].per_ip + 1)]
        assert statuses[-1] == 429
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(NetworkMember)) >= 1
