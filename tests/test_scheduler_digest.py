"""The référents' daily digest of new good matches, sent over SMTP once (issue 9 point 1)."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from jobs.tasks import crawl_health_report, send_referent_digests
from store.models import Candidate, CrawlRun, Match, Offer, Source, User

pytestmark = pytest.mark.db


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("OHMYLOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OHMYLOT_SMTP_PORT", str(port))
    monkeypatch.setenv("OHMYLOT_SMTP_STARTTLS", "0")
    yield inbox
    controller.stop()


def test_each_referent_gets_one_digest_of_new_good_matches(db, smtp) -> None:
    with db.session() as session:
        referent = User(email="referente.figeac@lot.example", full_name="Anne Référente", role="referent")
        session.add(referent)
        session.flush()
        nurse = Candidate(first_name="Camille", last_name="Martin", email="camille@exemple.fr", referent_id=referent.id,
                          consent_contact=True)
        other = Candidate(first_name="Hugo", last_name="Petit", email="hugo@exemple.fr", consent_contact=True)
        offer = Offer(title="Infirmier de nuit H/F", employer_name="Centre hospitalier de Figeac", commune_name="Figeac")
        weak = Offer(title="Agent d'accueil", commune_name="Cahors")
        session.add_all([nurse, other, offer, weak])
        session.flush()
        session.add_all([
            Match(candidate_id=nurse.id, offer_id=offer.id, score=0.82, reasons=[]),
            Match(candidate_id=nurse.id, offer_id=weak.id, score=0.2, reasons=[]),
            Match(candidate_id=other.id, offer_id=offer.id, score=0.9, reasons=[]),
        ])
    first = send_referent_digests(db)
    assert first["sent"] == 1
    assert len(smtp.messages) == 1
    recipients, body = smtp.messages[0]
    assert recipients == ["referente.figeac@lot.example"]
    assert "Infirmier de nuit" in body
    assert "Agent d'accueil" not in body
    second = send_referent_digests(db)
    assert second["sent"] == 0
    assert len(smtp.messages) == 1
    with db.session() as session:
        notified = session.scalars(select(Match).where(Match.notified_at.is_not(None))).all()
        assert len(notified) == 1


def test_weekly_crawl_health_report_goes_to_staff(db, smtp, monkeypatch) -> None:
    monkeypatch.setenv("OHMYLOT_STAFF_EMAILS", "equipe@lot.example")
    with db.session() as session:
        session.add(Source(id="site-a", platform="jsonld", name="A"))
        session.flush()
        session.add_all([CrawlRun(source_id="site-a", status="success", items_scraped=40),
                         CrawlRun(source_id="site-a", status="failed", items_scraped=0)])
    result = crawl_health_report(db)
    assert result["sent"] is True
    assert result["sources_with_failures"] == 1
    assert "site-a : 2 collecte(s), 1 en échec" in smtp.messages[0][1]
