"""Retention purge with a frozen clock, export and erasure without trace (RELIABILITY.md P3, P4)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from jobs.cmd_report import yearly_report
from services.candidate_import import import_candidates
from store.audit import audit
from store.candidates import set_status
from store.models import (
    AuditLog,
    Candidate,
    CandidateEvent,
    Match,
    MatchFeedback,
    Offer,
    Shortlist,
    ShortlistEntry,
)
from store.privacy import erase_person, export_person, purge
from tests.prospects_support import run_cli

DATA = Path(__file__).parent / "data" / "prospects"
MET = date(2025, 3, 20)  # the TAF fair: last contact of most prospects (00:00 UTC that day)
TWO_YEARS = datetime(2027, 3, 20, tzinfo=UTC)

pytestmark = pytest.mark.db


@pytest.fixture
def fair(db):  # type: ignore[no-untyped-def]
    import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", event_date=MET,
                      now=datetime(2025, 3, 21, tzinfo=UTC))
    return db


def person(session, email: str) -> Candidate:  # type: ignore[no-untyped-def]
    return session.execute(select(Candidate).where(Candidate.email == email)).scalar_one()


# ---------------------------------------------------------------------------------------------- purge (P3)


def test_purge_one_day_before_two_years_only_announces(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        report = purge(session, now=TWO_YEARS - timedelta(days=1), wet_run=True, actor="dpo@ohmylot.fr")
        assert report.due == []
        assert len(report.announced) == 6
        assert {item["purge_at"][:10] for item in report.announced} == {"2027-03-20"}
    with fair.session() as session:
        people = session.execute(select(Candidate)).scalars().all()
        assert all(c.anonymized_at is None and c.last_name for c in people)
        assert all(c.purge_notice_at is not None for c in people)


def test_purge_one_day_after_two_years_anonymises_and_keeps_statistics(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        sophie = person(session, "sophie.martin@exemple.fr")
        set_status(session, sophie, "settled", staff="anne", at=datetime(2025, 10, 1, tzinfo=UTC))
        before = yearly_report(session, 2025)
    with fair.session() as session:
        report = purge(session, now=TWO_YEARS + timedelta(days=1), wet_run=True, actor="dpo@ohmylot.fr")
        # Sophie's last contact is her settlement (October 2025): announced later, not due
        assert len(report.due) == 5
        assert report.announced == []
        assert report.name_of(report.due[0]["id"]) != ""
        assert "Martin" not in str(asdict(report))  # the scheduler's run ledger stores this
    with fair.session() as session:
        gone = session.execute(select(Candidate).where(Candidate.anonymized_at.is_not(None))).scalars().all()
        assert len(gone) == 5
        for c in gone:
            assert (c.first_name, c.last_name, c.email, c.phone, c.notes, c.skills) == (None,) * 6
            assert c.consent_contact is False
            assert c.consent_share is False
        after = yearly_report(session, 2025)
        assert after == before  # events met and paths survive anonymised
        assert session.execute(select(CandidateEvent)).scalars().all() != []
        log = session.execute(select(AuditLog).where(AuditLog.action == "privacy.purge")).scalar_one()
        assert log.actor == "dpo@ohmylot.fr"
        assert len(log.detail["anonymised"]) == 5


def test_purge_is_a_dry_run_by_default(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        report = purge(session, now=TWO_YEARS + timedelta(days=1))
        assert len(report.due) == 6
        assert report.anonymised == 0
    with fair.session() as session:
        assert session.execute(select(Candidate).where(Candidate.anonymized_at.is_not(None))).first() is None
        assert session.execute(select(AuditLog).where(AuditLog.action == "privacy.purge")).first() is None


def test_a_new_contact_restarts_the_clock(fair) -> None:  # type: ignore[no-untyped-def]
    import_candidates(fair, DATA / "forum_sante_cahors_cp1252.csv", event="Forum santé Cahors",
                      event_date=date(2026, 6, 12), now=datetime(2026, 6, 13, tzinfo=UTC))
    with fair.session() as session:
        report = purge(session, now=TWO_YEARS + timedelta(days=1), wet_run=True)
        assert "Julien Martin" not in [report.name_of(item["id"]) for item in report.due]


def test_purge_command_dry_run_then_wet_run(fair, database_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    dry = run_cli(capsys, "privacy", "purge", "--now", "2027-03-21")
    assert dry.returncode == 0, dry.stderr
    assert "6 prospect(s) à anonymiser (essai" in dry.stdout
    assert "Élodie Dubois" in dry.stdout
    wet = run_cli(capsys, "privacy", "purge", "--now", "2027-03-21", "--wet-run", "--staff", "dpo@ohmylot.fr")
    assert "6 prospect(s) anonymisé(s)" in wet.stdout
    with fair.session() as session:
        assert session.execute(select(Candidate).where(Candidate.anonymized_at.is_(None))).first() is None


def test_export_and_erase_commands(fair, database_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "export.json"
    exported = run_cli(capsys, "privacy", "export", "LUCAS.garcia@exemple.fr", "--out", str(target))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["people"][0]["profile"]["last_name"] == "Garcia"
    erased = run_cli(capsys, "privacy", "erase", "lucas.garcia@exemple.fr", "--yes", "--staff", "dpo@ohmylot.fr")
    assert erased.returncode == 0
    assert "1 fiche(s) effacée(s)" in erased.stdout
    again = run_cli(capsys, "privacy", "erase", "lucas.garcia@exemple.fr", "--yes")
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == "Erreur : aucune personne enregistrée avec « lucas.garcia@exemple.fr »"


# ---------------------------------------------------------------------------------------------- export, erase (P4)

ELODIE = ("elodie.dubois@exemple.fr", "+33761223344", "761223344", "lodie Dubois", "Dubois lodie", "Dubois")


def _with_traces(db) -> None:  # type: ignore[no-untyped-def]
    """Élodie Dubois appears in matches, feedback, a shortlist, another prospect's notes and audit details."""
    with db.session() as session:
        elodie = person(session, "elodie.dubois@exemple.fr")
        lucas = person(session, "lucas.garcia@exemple.fr")
        offer = Offer(title="Médecin généraliste (H/F) — Cahors", status="open")
        session.add(offer)
        session.flush()
        session.add(Match(candidate_id=elodie.id, offer_id=offer.id, score=0.91, reasons=["Métier recherché : médecin"]))
        session.add(MatchFeedback(candidate_id=elodie.id, offer_id=offer.id, relevant=True,
                                  reason="Élodie Dubois connaît déjà le cabinet", staff="anne"))
        shortlist = Shortlist(offer_id=offer.id, recipient_email="rh@clinique.example", created_by="anne")
        shortlist.entries.append(ShortlistEntry(candidate_id=elodie.id, comment="appeler au 07 61 22 33 44"))
        session.add(shortlist)
        lucas.notes = "Ami d'Élodie Dubois (elodie.dubois@exemple.fr), venu avec elle"
        audit(session, "web", "shortlist.sent", "shortlist", 1,
              {"candidates": ["Élodie Dubois"], "contacts": ["ELODIE.DUBOIS@exemple.fr", "+33761223344"]})
        set_status(session, elodie, "accompanied", staff="anne", note="Élodie Dubois rappelée le 2 avril")


def test_export_gives_everything_on_the_person(fair) -> None:  # type: ignore[no-untyped-def]
    _with_traces(fair)
    with fair.session() as session:
        data = export_person(session, "Elodie.Dubois@exemple.fr", actor="dpo@ohmylot.fr")
    json.dumps(data)  # JSON-ready
    [record] = data["people"]
    assert record["profile"]["last_name"] == "Dubois"
    assert record["profile"]["phone"] == "+33761223344"
    assert record["profile"]["consent_contact"] is True
    assert record["profile"]["consent_contact_at"].startswith("2025-03-20")
    assert record["consents"][1] == {"purpose": "partage du profil avec des employeurs", "given": False,
                                     "at": None, "channel": None}
    assert [e["event"] for e in record["events"]] == ["TAF Toulouse 2025"]
    assert [s["status"] for s in record["path"]] == ["met", "accompanied"]
    assert record["matches"][0]["offer_title"].startswith("Médecin généraliste")
    assert record["match_feedback"][0]["relevant"] is True
    assert record["shortlists"][0]["recipient"] == "rh@clinique.example"
    with fair.session() as session:
        log = session.execute(select(AuditLog).where(AuditLog.action == "privacy.export")).scalar_one()
        assert log.actor == "dpo@ohmylot.fr"
        assert log.detail == {}


def _all_values(db) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Every value of every column of every table of the database (reflected: other areas' tables too)."""
    metadata = MetaData()
    metadata.reflect(db.engine)
    found = []
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                    found.append((table.name, column.name, text))
    return found


def test_erase_leaves_no_trace_in_any_table(fair) -> None:  # type: ignore[no-untyped-def]
    _with_traces(fair)
    before = _all_values(fair)
    assert any("Dubois" in text for _, _, text in before)  # the search below can see her
    with fair.session() as session:
        export_person(session, "elodie.dubois@exemple.fr", actor="dpo@ohmylot.fr")
        report = erase_person(session, "elodie.dubois@exemple.fr", actor="dpo@ohmylot.fr")
        assert len(report.candidate_ids) == 1
    leftovers = [
        (table, column, text) for table, column, text in _all_values(fair)
        for term in ELODIE if term.lower() in text.lower() or "07 61 22 33 44" in text
    ]
    assert leftovers == []
    with fair.session() as session:
        assert session.execute(select(Match)).first() is None
        assert session.execute(select(MatchFeedback)).first() is None
        assert session.execute(select(ShortlistEntry)).first() is None
        lucas = person(session, "lucas.garcia@exemple.fr")
        assert lucas.notes == "Ami d'[effacé] ([effacé]), venu avec elle"  # the rest of the note stays
        erased = session.get(Candidate, report.candidate_ids[0])
        assert erased.anonymized_at is not None
        assert erased.status == "accompanied"
        actions = [a.action for a in session.execute(select(AuditLog).order_by(AuditLog.id)).scalars()]
        assert actions[-2:] == ["privacy.export", "privacy.erase"]
        # erased people are no longer found, so a second request says so
        assert export_person(session, "elodie.dubois@exemple.fr")["people"] == []


def test_erase_does_not_touch_other_people_of_the_same_name(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        erase_person(session, "sophie.martin@exemple.fr")
    with fair.session() as session:
        julien = person(session, "j.martin@exemple.fr")
        assert (julien.first_name, julien.last_name) == ("Julien", "Martin")
        assert session.execute(select(Candidate).where(Candidate.last_name == "Martin")).scalars().all() == [julien]


def test_erase_by_phone_number(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        report = erase_person(session, "06 55 44 33 22")  # Inès Bernard has no valid e-mail
        assert len(report.candidate_ids) == 1
        assert session.get(Candidate, report.candidate_ids[0]).last_name is None
