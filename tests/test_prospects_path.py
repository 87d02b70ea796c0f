"""Paths of prospects, the yearly report and the prospect commands (issue 7; RELIABILITY.md I3)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.cmd_report import yearly_report
from services.candidate_import import import_candidates
from store.candidates import list_candidates, parse_status, set_status
from store.models import AuditLog, Candidate
from tests.prospects_support import run_cli

DATA = Path(__file__).parent / "data" / "prospects"

pytestmark = pytest.mark.db


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=UTC)


def person(session, email: str) -> Candidate:  # type: ignore[no-untyped-def]
    return session.execute(select(Candidate).where(Candidate.email == email)).scalar_one()


@pytest.fixture
def fair(db):  # type: ignore[no-untyped-def]
    """Two 2025 events and one 2024 event, with prospects imported."""
    import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", event_date=date(2025, 3, 20), now=at(2025, 3, 21))
    import_candidates(db, DATA / "forum_sante_cahors_cp1252.csv", event="Forum santé Cahors", event_date=date(2025, 6, 12), now=at(2025, 6, 13))
    import_candidates(db, DATA / "congres_internes_tab.txt", event="Congrès des internes 2024", event_date=date(2024, 11, 8), now=at(2024, 11, 9))
    return db


def test_status_steps_keep_date_staff_and_restart_retention(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        sophie = person(session, "sophie.martin@exemple.fr")
        set_status(session, sophie, "accompanied", staff="anne@ohmylot.fr", note="premier appel", at=at(2025, 4, 2))
        set_status(session, sophie, "hired", staff="anne@ohmylot.fr", sector="Santé", at=at(2025, 9, 1))
    with fair.session() as session:
        sophie = person(session, "sophie.martin@exemple.fr")
        assert [(s.status, s.staff) for s in sophie.path] == [
            ("met", None), ("accompanied", "anne@ohmylot.fr"), ("hired", "anne@ohmylot.fr")]
        assert sophie.status == "hired"
        assert sophie.last_contact_at.date() == date(2025, 9, 1)
        logs = session.execute(select(AuditLog).where(AuditLog.action == "candidates.status")).scalars().all()
        assert [(log.actor, log.object_id, log.detail["status"]) for log in logs] == [
            ("anne@ohmylot.fr", str(sophie.id), "accompanied"), ("anne@ohmylot.fr", str(sophie.id), "hired")]
        with pytest.raises(ValueError, match="unknown status"):
            set_status(session, sophie, "married", staff=None)


@pytest.mark.parametrize(("text", "code"), [("accompagné", "accompanied"), ("Installé", "settled"),
                                             ("gave-up", "gave_up"), ("abandon", "gave_up"), ("marié", None)])
def test_status_names_in_french(text: str, code: str | None) -> None:
    assert parse_status(text) == code


def test_yearly_report_counts_the_year_only(fair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        sophie = person(session, "sophie.martin@exemple.fr")
        julien = person(session, "j.martin@exemple.fr")
        helene = person(session, "helene.faure@exemple.fr")
        remi = person(session, "remi.faure@exemple.fr")
        anais = person(session, "anais.roux@exemple.fr")
        for p in (sophie, julien, helene):
            set_status(session, p, "accompanied", staff="anne", at=at(2025, 7, 1))
        set_status(session, sophie, "hired", staff="anne", sector="Santé", at=at(2025, 9, 1))
        set_status(session, julien, "hired", staff="anne", sector="Bâtiment", at=at(2025, 10, 1))
        set_status(session, helene, "hired", staff="anne", sector="Santé", at=at(2025, 10, 5))
        # the Martin household settles (both members marked), the Faure one too; Anaïs settled in 2024
        for p in (sophie, julien, helene, remi):
            set_status(session, p, "settled", staff="anne", at=at(2025, 11, 15))
        set_status(session, anais, "settled", staff="anne", at=at(2024, 12, 20))
        report = yearly_report(session, 2025)
    assert [(e["name"], e["met"]) for e in report.events] == [("TAF Toulouse 2025", 6), ("Forum santé Cahors", 3)]
    assert report.prospects_met == 8  # Julien was met twice
    assert report.accompanied == 4  # Rémi only settled, which counts as accompanied
    assert report.hired == 3
    assert report.households_settled == 2
    assert report.hires_by_sector == {"Santé": 2, "Bâtiment": 1}
    with fair.session() as session:
        assert yearly_report(session, 2024).households_settled == 1


def test_import_command_exit_statuses_and_json_report(database_url: str, tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "report.json"
    result = run_cli(capsys, "candidates", "import", str(DATA / "salon_taf_toulouse_2025.csv"), "--event", "TAF Toulouse 2025",
                     "--event-date", "20/03/2025", "--report", str(report_path))
    assert result.returncode == 2, result.stderr
    assert "rejetée ligne 5 : nom manquant" in result.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert (report["imported"], report["updated"], report["unchanged"]) == (6, 1, 0)
    assert report["rejected"][0] == {"line": 5, "reason": "nom manquant"}
    result = run_cli(capsys, "candidates", "import", str(DATA / "congres_internes_tab.txt"), "--event", "Congrès")
    assert result.returncode == 0, result.stderr
    for bad in ("photo.csv", "empty.csv", "missing.csv"):
        result = run_cli(capsys, "candidates", "import", str(DATA / bad), "--event", "X")
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) <= 2
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("Erreur : ")
    result = run_cli(capsys, "candidates", "import", str(DATA / "congres_internes_tab.txt"), "--event", "X", "--dry-run")
    assert result.returncode == 0
    assert "essai" in result.stdout


def test_commands_list_show_status_events_report(database_url: str, tmp_path: Path, capsys) -> None:
    run_cli(capsys, "candidates", "import", str(DATA / "salon_taf_toulouse_2025.csv"), "--event", "TAF Toulouse 2025",
            "--event-date", "2025-03-20")
    listed = run_cli(capsys, "candidates", "list", "--search", "martin", "--json")
    assert listed.returncode == 0, listed.stderr
    people = json.loads(listed.stdout)
    assert sorted(p["name"] for p in people) == ["Julien Martin", "Sophie Martin"]
    sophie = next(p for p in people if p["name"] == "Sophie Martin")
    shown = run_cli(capsys, "candidates", "show", str(sophie["id"]))
    assert "Foyer : n°" in shown.stdout
    assert "Julien Martin" in shown.stdout
    assert "TAF Toulouse 2025 (2025-03-20)" in shown.stdout
    changed = run_cli(capsys, "candidates", "status", str(sophie["id"]), "embauché", "--sector", "Santé", "--date", "2025-09-01",
                      "--staff", "anne@ohmylot.fr", "--note", "CDI à l'hôpital de Cahors")
    assert changed.returncode == 0, changed.stderr
    assert run_cli(capsys, "candidates", "list", "--status", "hired", "--json").stdout.count('"Sophie Martin"') == 1
    csv_path = tmp_path / "bilan.csv"
    report = run_cli(capsys, "report", "--year", "2025", "--csv", str(csv_path))
    assert report.returncode == 0, report.stderr
    assert "TAF Toulouse 2025" in report.stdout
    rows = list(csv.reader(csv_path.open(encoding="utf-8-sig"), delimiter=";"))
    assert rows[0] == ["rubrique", "libellé", "valeur"]
    assert ["embauches par secteur", "Santé", "1"] in rows
    added = run_cli(capsys, "events", "add", "Soirée d'accueil Figeac", "--date", "12 juin 2025", "--place", "Figeac")
    assert added.returncode == 0
    assert "créé" in added.stdout
    events = run_cli(capsys, "events", "list", "--year", "2025")
    assert "2025-06-12  Soirée d'accueil Figeac — Figeac : 0 prospect(s)" in events.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("candidates", "show", "999"),
        ("candidates", "status", "1", "marié"),
        ("candidates", "list", "--status", "perdu"),
        ("candidates", "import", "x.csv", "--event", "X", "--column", "Portable"),
        ("candidates", "import", "x.csv", "--event", "X", "--event-date", "bientôt"),
        ("report", "--year", "1850"),
        ("privacy", "export", "personne@exemple.fr"),
        ("privacy", "purge", "--now", "demain"),
    ],
)
def test_bad_arguments_give_one_french_line(database_url: str, args: tuple[str, ...], capsys) -> None:
    result = run_cli(capsys, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Erreur : ")


def test_list_filters(fair) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        names = [c.last_name for c in list_candidates(session, event="Forum santé Cahors")]
        assert sorted(names) == ["Faure", "Faure", "Martin"]
        assert [c.email for c in list_candidates(session, search="ROUX")] == ["anais.roux@exemple.fr"]
        shareable = {c.email for c in list_candidates(session, consent_share=True)}
        assert "helene.faure@exemple.fr" not in shareable
        assert "remi.faure@exemple.fr" in shareable


def test_template_is_read_back_with_every_column_known(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from services.candidate_import import read_table

    target = tmp_path / "modele.csv"
    assert run_cli(capsys, "candidates", "template", str(target)).returncode == 0
    target.write_text(target.read_text(encoding="utf-8-sig") + "Roux;Anaïs;;0612121212" + ";" * 14 + "oui;non\n",
                      encoding="utf-8-sig")
    table = read_table(target)
    assert table.warnings == []  # every header of the template is recognised
    assert len(set(table.columns.values())) == 19
    again = run_cli(capsys, "candidates", "template", str(target))
    assert again.returncode == 1
    assert "existe déjà" in again.stderr


def test_benchmark_quick_run_keeps_its_promises() -> None:
    from bench.prospects import run

    figures = run(quick=True)
    assert figures["imported"] == 57
    assert figures["rejected"] == 3
    assert figures["reimport_created"] == 0
    assert figures["households"] == 3  # 6 partners named, 3 of them rejected for lack of consent


def test_consent_withdrawn_by_phone_is_dated_and_audited(fair, capsys) -> None:  # type: ignore[no-untyped-def]
    with fair.session() as session:
        sophie_id = person(session, "sophie.martin@exemple.fr").id
    result = run_cli(capsys, "candidates", "consent", str(sophie_id), "--contact", "non", "--channel", "appel téléphonique",
                     "--staff", "anne@ohmylot.fr")
    assert result.returncode == 0, result.stderr
    assert "consentement contact retiré" in result.stdout
    with fair.session() as session:
        sophie = person(session, "sophie.martin@exemple.fr")
        assert (sophie.consent_contact, sophie.consent_share) == (False, False)
        assert sophie.consent_contact_channel == "appel téléphonique"
        assert sophie.unsubscribed_at is not None
        log = session.execute(select(AuditLog).where(AuditLog.action == "candidates.consent")).scalar_one()
        assert log.actor == "anne@ohmylot.fr"
        assert log.detail["changed"] == ["consent_contact", "consent_share"]
    again = run_cli(capsys, "candidates", "consent", str(sophie_id), "--contact", "peut-être", "--channel", "x")
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1].startswith("Erreur : réponse illisible")
