"""Login throttling that does not lock the real user out (docs/reliability.md R4, ASVS 5.0 V6.1.1, V6.3.1)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.auth import LoginThrottled, authenticate, throttle_delay
from tests.webutil import PASSWORD, add_user, app  # noqa: F401 - app is a fixture

pytestmark = pytest.mark.db

ATTACKER = ("203.0.113.66", 40000)
STAFF_OFFICE = ("198.51.100.7", 50000)


def _client(app, address):  # type: ignore[no-untyped-def]  # noqa: F811
    return TestClient(app, base_url="https://testserver", follow_redirects=False, client=address)


def test_thirty_wrong_passwords_from_one_address_then_the_right_one_from_another_succeeds(app, db) -> None:  # noqa: F811
    add_user(db)
    statuses = []
    with _client(app, ATTACKER) as attacker:
        for _ in range(30):
            statuses.append(attacker.post("/login", data={"email": "agent@ohmylot.fr", "password": "devine"})
                            .status_code)
        # the attacker is slowed down, with growing delays
        assert statuses[:5] == [401] * 5
        assert set(statuses[5:]) == {429}
        refused = attacker.post("/login", data={"email": "agent@ohmylot.fr", "password": PASSWORD})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 30
        assert "Trop de tentatives depuis votre adresse" in refused.text
    with _client(app, STAFF_OFFICE) as staff:
        signed_in = staff.post("/login", data={"email": "agent@ohmylot.fr", "password": PASSWORD})
        assert signed_in.status_code == 303
        page = staff.get(signed_in.headers["location"])
        assert page.status_code == 200
        # the owner is told of the failed attempts on their account
        assert "31 tentatives de connexion échouées sur votre compte" in page.text
        assert "depuis 1 adresse(s)" in page.text
        # … until they say they read it: the warning goes away for the rest of the session, on every page.
        form = re.search(r'<form method="post" action="(/login/avis)">.*?name="csrf_token" value="([^"]+)"'
                         r'.*?name="next" value="([^"]+)".*?<button[^>]*>([^<]+)</button>', page.text, re.S)
        assert form is not None, page.text
        assert form.group(4) == "J'ai lu, masquer cet avertissement"
        assert staff.post(form.group(1), data={"next": form.group(3)}).status_code == 403  # no CSRF token
        dismissed = staff.post(form.group(1), data={"csrf_token": form.group(2), "next": "//evil.example/"})
        assert dismissed.status_code == 303
        assert dismissed.headers["location"] == "/equipe/offres"
        for path in ("/equipe/offres", "/equipe/prospects"):
            assert "tentatives de connexion échouées" not in staff.get(path).text


def test_delays_grow_and_the_pair_waits_but_not_the_account(db) -> None:
    add_user(db)
    assert [throttle_delay(n, 5).total_seconds() for n in (4, 5, 6, 7, 8, 20)] == [0, 30, 60, 120, 240, 900]
    from store.models import utcnow

    now = utcnow()
    with db.session() as session:
        for _ in range(5):
            assert authenticate(session, "agent@ohmylot.fr", "non", ip="203.0.113.66", max_failures=5, now=now) is None
        with pytest.raises(LoginThrottled) as caught:
            authenticate(session, "agent@ohmylot.fr", PASSWORD, ip="203.0.113.66", max_failures=5, now=now)
        assert caught.value.wait == timedelta(seconds=30)
        # the refused attempt counted too (6 failures: 1 min); a minute later the right password works
        later = now + timedelta(seconds=61)
        assert authenticate(session, "agent@ohmylot.fr", PASSWORD, ip="203.0.113.66", max_failures=5, now=later)
        # another address is never slowed by this one
        assert authenticate(session, "agent@ohmylot.fr", PASSWORD, ip="198.51.100.7", max_failures=5, now=now)


def test_one_address_trying_many_accounts_is_slowed_down(db) -> None:
    from store.models import utcnow

    now = utcnow()
    with db.session() as session:
        for index in range(20):
            authenticate(session, f"compte{index}@example.fr", "non", ip="203.0.113.66", max_failures=5, now=now)
        with pytest.raises(LoginThrottled):
            authenticate(session, "autre@example.fr", "non", ip="203.0.113.66", max_failures=5, now=now)
