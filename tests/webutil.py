"""Fixtures and builders shared by the web tests (imported by ``tests/test_web_*.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery staple"


def web_settings(**overrides):
    from services.settings import WebSettings

    # No background warm-up in tests: it builds the ROME classifier (seconds of CPU) for every app made. No
    # public page cache either: tests change the database between two visits (tests/test_web_public_cache.py
    # covers the cache).
    values = {"env": "production", "secret_key": SECRET, "public_url": "https://testserver", "warm_up": False,
              "public_cache_seconds": 0}
    values.update(overrides)
    return WebSettings(**values)


@pytest.fixture
def app(db):
    from web.app import create_app

    return create_app(web_settings(), database=db)


@pytest.fixture
def client(app) -> Iterator[object]:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def add_user(db, email="agent@ohmylot.fr", role="staff", **kwargs):
    from services.auth import create_user

    with db.session() as session:
        user = create_user(session, email, role=role, password=PASSWORD, **kwargs)
        return user.id


def login(client, email="agent@ohmylot.fr", password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


def csrf_of(client, path="/equipe/offres") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def add_source(session, source_id="cdg46", name="Centre de gestion du Lot"):
    from store.models import Source

    source = session.get(Source, source_id)
    if source is None:
        source = Source(id=source_id, platform="jsonld", name=name, url=f"https://{source_id}.example.fr/")
        session.add(source)
        session.flush()
    return source


def add_offer(session, *, title="Cuisinier / Cuisinière", source_id="cdg46", ref=None, **fields):
    """An offer with one posting from ``source_id`` (fields go to both)."""
    from store.models import Offer, Posting

    add_source(session, source_id)
    values = {
        "title": title,
        "employer_name": "Hôtel du Lot",
        "commune_name": "Cahors",
        "commune_insee": "46042",
        "postal_code": "46000",
        "departement": "46",
        "epci": "200023737",
        "lat": 44.4475,
        "lon": 1.4406,
        "contract_type": "CDI",
        "working_time": "full_time",
        "description_html": "<p>Cuisine traditionnelle, <strong>produits locaux</strong>.</p>",
        "description_text": "Cuisine traditionnelle, produits locaux.",
        "rome_code": "G1602",
        "rome_label": "Personnel de cuisine",
        "published_at": datetime.now(UTC) - timedelta(days=2),
        "salary_min": 1900.0,
        "salary_max": 2100.0,
        "salary_period": "month",
    }
    values.update(fields)
    offer_fields = {k: v for k, v in values.items() if k not in {"url"}}
    offer = Offer(**offer_fields)
    session.add(offer)
    session.flush()
    posting = Posting(
        source_id=source_id,
        source_ref=ref or f"ref-{offer.id}",
        url=values.get("url") or f"https://{source_id}.example.fr/offres/{offer.id}",
        offer_id=offer.id,
        **{k: v for k, v in offer_fields.items() if k not in {"status", "published"}},
    )
    session.add(posting)
    session.flush()
    offer.best_posting_id = posting.id
    return offer


def add_candidate(session, first="Léa", last="Martin", **fields):
    from store.models import Candidate

    values = {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@example.org",
        "desired_jobs": "cuisinière",
        "commune_insee": "46042",
        "current_place": "Cahors",
        "consent_contact": True,
        "consent_share": True,
        "consent_share_at": datetime.now(UTC),
        "consent_share_channel": "salon",
    }
    values.update(fields)
    candidate = Candidate(**values)
    session.add(candidate)
    session.flush()
    return candidate


def add_match(session, candidate, offer, score=0.8, reasons=None):
    from store.models import Match

    match = Match(candidate_id=candidate.id, offer_id=offer.id, score=score, rank=1,
                  reasons=reasons or ["Métier recherché : cuisinière", "À 0 km de Cahors"])
    session.add(match)
    session.flush()
    return match


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) on 127.0.0.1; yields (port, received messages)."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()


def smtp_settings(port: int, **overrides):
    return web_settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, **overrides)
