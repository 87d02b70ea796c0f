"""Fixtures and helpers of the employers' network tests (``tests/test_network_*.py``)."""

from __future__ import annotations

import re
import socket
import time

import pytest

from services.abuse import form_stamp
from tests.webutil import SECRET

# Valid SIRETs (Luhn): Hôtel du Lot-like examples built for the tests, and La Poste's head office.
SIRET_OK = "73282932000074"
SIRET_OK_2 = "55210055400013"
SIRET_LA_POSTE_HQ = "35600000000048"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox(monkeypatch, tmp_path):
    """A local SMTP server (aiosmtpd) on 127.0.0.1 wired into ``services.mail`` through the environment;
    yields the list of received ``(recipients, EmailMessage)``. Also points the data directory (kit files)
    at a temporary folder and names a staff address for notifications."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("OHMYLOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OHMYLOT_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("OHMYLOT_SMTP_STARTTLS", "0")
    monkeypatch.setenv("OHMYLOT_STAFF_EMAILS", "equipe@ohmylot.fr")
    monkeypatch.setenv("OHMYLOT_DATA_DIR", str(tmp_path / "data"))
    try:
        yield received
    finally:
        controller.stop()


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, path: str) -> str:
    found = re.search(rf"https?://[^\s]+{re.escape(path)}[^\s]*", body(message))
    assert found, body(message)
    return found.group(0)


JOIN_FORM = {
    # the form as a person sends it: shown a minute ago (services/abuse.py refuses forms filled in < 3 s)
    "form_stamp": form_stamp(SECRET, shown_at=time.time() - 60),
    "company": "Ferme des Causses",
    "siret": "732 829 320 00074",
    "naf": "01",
    "commune": "Gramat",
    "contact_name": "Jeanne Causse",
    "contact_role": "Gérante",
    "email": "jeanne@ferme-causses.fr",
    "phone": "05 65 38 00 00",
    "consent": "oui",
    "digests": "oui",
}

OFFER_FORM = {
    "title": "Ouvrier agricole H/F",
    "place": "Gramat",
    "contract": "CDD",
    "duration_months": "6",
    "working_time": "temps plein",
    "salary": "1 900 € brut par mois",
    "start": "",
    "end": "",
    "description": "Travaux des champs et soin des brebis sur une exploitation du causse de Gramat. Débutant accepté.",
    "apply": "jeanne@ferme-causses.fr",
}


def crawl_posting(session, source_id: str, ref: str, *, trust: float = 0.6, **raw_fields):
    """Store a posting the way a crawl does (normalise → upsert → dedupe); returns its offer id."""
    from sqlalchemy import select

    from matching.normalize import normalize_posting
    from matching.types import RawPosting
    from store.dedup import dedupe_database
    from store.models import Posting
    from store.postings import PostingInput, ensure_source, upsert_postings

    source = ensure_source(session, source_id, platform="hellowork", name=source_id)
    source.trust = trust
    raw = RawPosting(source=source_id, source_id=ref, url=f"https://{source_id}.example.fr/{ref}", **raw_fields)
    upsert_postings(session, source_id, [PostingInput(normalize_posting(raw), raw)])
    dedupe_database(session)
    return session.scalar(select(Posting.offer_id).where(Posting.source_id == source_id, Posting.source_ref == ref))


CRAWLED_OFFER = {
    "title": "Ouvrier agricole H/F",
    "employer": "Ferme des Causses",
    "location": "Gramat (46500)",
    "contract": "CDD - 6 mois",
    "description": "<p>Travaux des champs et soin des brebis sur une exploitation du causse de Gramat. "
    "Débutant accepté.</p>",
    "published_at": "2026-11-20",
}
