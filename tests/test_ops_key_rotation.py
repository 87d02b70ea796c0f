"""Rotating the secret key breaks no link already sent: the new key signs, the previous ones still verify
(``OHMYLOT_PREVIOUS_SECRET_KEYS``, services/signing.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.webutil import add_candidate, add_offer, web_settings

pytestmark = pytest.mark.db
OLD = "old-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
NEW = "new-secret-key-9876543210-zyxwvutsrqponmlkjihgfedcba"


def _client(db, key: str) -> TestClient:  # type: ignore[no-untyped-def]
    from web.app import create_app

    app = create_app(web_settings(secret_key=key), database=db)
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def _links_signed_with_old_key(db, monkeypatch) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    """An employer shortlist link and a prospect's unsubscribe link, both sent before the rotation."""
    from services.network import OutreachSettings, unsubscribe_link
    from services.shortlists import approve_shortlist, build_shortlist, issue_link

    monkeypatch.setenv("OHMYLOT_SECRET_KEY", OLD)
    monkeypatch.delenv("OHMYLOT_PREVIOUS_SECRET_KEYS", raising=False)
    with db.session() as session:
        offer = add_offer(session, title="Aide-soignant")
        candidate = add_candidate(session, "Nina", "Rotation", email="nina@example.org")
        shortlist = build_shortlist(session, offer.id, [candidate.id], created_by="a@ohmylot.fr",
                                    recipient_email="rh@example.fr")
        approve_shortlist(session, shortlist, approver="Camille Agent")
        employer_token = issue_link(shortlist, web_settings(secret_key=OLD))
        shortlist.status = "sent"
        unsubscribe = unsubscribe_link(OutreachSettings(secret_key=OLD, public_url="https://testserver"),
                                       candidate.id)
        return employer_token, unsubscribe.rsplit("/", 1)[1], candidate.id


def test_links_sent_before_a_rotation_still_work(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from services.network import sign, unsign

    employer_token, unsubscribe_token, _ = _links_signed_with_old_key(db, monkeypatch)

    # rotated without keeping the old key: every link already sent is dead (what this feature prevents)
    monkeypatch.setenv("OHMYLOT_SECRET_KEY", NEW)
    with _client(db, NEW) as client:
        assert client.get(f"/employeur/{employer_token}").status_code == 404
        assert client.get(f"/desinscription/{unsubscribe_token}").status_code == 404

    # rotated the documented way: the old key verifies, the new one signs
    monkeypatch.setenv("OHMYLOT_PREVIOUS_SECRET_KEYS", OLD)
    with _client(db, NEW) as client:
        assert client.get(f"/employeur/{employer_token}").status_code == 200
        assert client.get(f"/desinscription/{unsubscribe_token}").status_code == 200
    fresh = sign(NEW, "unsubscribe", {"c": 1})
    monkeypatch.delenv("OHMYLOT_PREVIOUS_SECRET_KEYS")
    assert unsign(NEW, "unsubscribe", fresh, max_age_days=1) == {"c": 1}  # signed with the new key alone
    assert unsign(OLD, "unsubscribe", fresh, max_age_days=1) is None


def test_a_removed_previous_key_verifies_nothing(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    employer_token, _, _ = _links_signed_with_old_key(db, monkeypatch)
    monkeypatch.setenv("OHMYLOT_PREVIOUS_SECRET_KEYS", "some-other-retired-key-0123456789-abcdefgh")
    with _client(db, NEW) as client:
        assert client.get(f"/employeur/{employer_token}").status_code == 404
