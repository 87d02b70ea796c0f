"""The welcome loop's use cases: commune summary and CLI, directory import, référents, ambassadors, steps."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.prospects_support import run_cli

pytestmark = pytest.mark.db

SECRET = "welcome-test-secret-key-0123456789"
FIGEAC, CAHORS, GRAND_FIGEAC, GRAND_CAHORS = "46102", "46042", "200067361", "200023737"

DIRECTORY_CSV = (
    "Annuaire accueil Grand-Figeac;;;;\n"  # a title row above the header
    "Nom de la structure;Catégorie;Commune;Téléphone;Courriel;Vérifié le\n"
    "Crèche Les Petits Loups;Crèche;Figeac;05 65 00 00 01;creche@example.fr;12/03/2026\n"
    "Maison de santé du Célé;Médecin généraliste;Figeac;05 65 00 00 02;;mars 2026\n"
    ";Association;Figeac;;;\n"  # no name
    "Club de rugby;Sport;Atlantis;;;\n"  # unknown commune
    "Amicale laïque;Association;Capdenac-Gare;;pas-un-mail;\n"  # bad e-mail: warning only
    "Agence Cahors Habitat;Logement;Cahors;;;01/01/2024\n"  # outside the référent's territory
)


def _session(db):  # type: ignore[no-untyped-def]
    return db.session()


def _write(tmp_path: Path, text: str, encoding: str = "cp1252") -> Path:
    path = tmp_path / "annuaire.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _candidate(session, **fields):  # type: ignore[no-untyped-def]
    from store.models import Candidate

    values = {"first_name": "Léa", "last_name": "Martin", "email": "lea@example.org", "consent_contact": True,
              "target_area": {"communes": [FIGEAC, CAHORS]}, "rome_codes": ["J1506"],
              "desired_jobs": "infirmière"}
    values.update(fields)
    candidate = Candidate(**values)
    session.add(candidate)
    session.flush()
    return candidate


# --------------------------------------------------------------------------------------------------
# Summary of a commune
# --------------------------------------------------------------------------------------------------


def test_commune_summary_lists_nearest_schools_stations_hospitals(db) -> None:  # type: ignore[no-untyped-def]
    from services.welcome import commune_summary

    with _session(db) as session:
        summary = commune_summary(session, FIGEAC).as_dict()
    assert summary["name"] == "Figeac"
    assert summary["distances"] == "à vol d'oiseau"
    levels = {level for s in summary["schools"] for level in s["levels"]}
    assert levels == {"maternelle", "elementaire", "college", "lycee"}
    for key in ("schools", "stations", "hospitals"):
        kms = [item["distance_km"] for item in summary[key]]
        assert kms == sorted(kms)
        assert kms
    assert summary["stations"][0]["name"] == "Figeac"
    assert summary["stations"][0]["class"] == "B"
    assert any("FIGEAC" in h["name"].upper() for h in summary["hospitals"])
    assert {s["public"] for s in summary["schools"]} == {True, False}  # Figeac has a private collège


def test_cli_commune_json_and_bad_code(db, capsys) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(capsys, "accueil", "commune", CAHORS, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"schools", "stations", "hospitals", "directory"}
    assert set(data["schools"][0]) >= {"name", "type", "levels", "public", "distance_km"}
    assert set(data["stations"][0]) >= {"name", "class", "distance_km"}
    assert data["stations"][0]["name"].startswith("Cahors")
    bad = run_cli(capsys, "accueil", "commune", "4604")
    assert bad.returncode == 1
    assert "code INSEE inconnu" in bad.stderr
    assert "Traceback" not in bad.stderr


# --------------------------------------------------------------------------------------------------
# Directory
# --------------------------------------------------------------------------------------------------


def test_directory_import_reports_bad_rows_and_reimport_updates(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.directory import import_directory, list_entries

    path = _write(tmp_path, DIRECTORY_CSV)
    with _session(db) as session:
        report = import_directory(session, path, territory=[GRAND_FIGEAC], today=date(2026, 6, 1))
        session.commit()
    assert (report.imported, report.updated) == (3, 0)
    reasons = {r["line"]: r["reason"] for r in report.rejected}
    assert set(reasons) == {5, 6, 8}
    assert "nom" in reasons[5]
    assert "Atlantis" in reasons[6]
    assert "territoire" in reasons[8]
    assert any("pas-un-mail" in w["reason"] for w in report.warnings)
    changed = DIRECTORY_CSV.replace("05 65 00 00 01", "05 65 99 99 99")
    with _session(db) as session:
        again = import_directory(session, _write(tmp_path, changed, "utf-8-sig"), territory=[GRAND_FIGEAC],
                                 today=date(2026, 6, 1))
        session.commit()
        entries = list_entries(session)
    assert (again.imported, again.updated, again.unchanged) == (0, 1, 2)
    assert len(entries) == 3
    creche = next(e for e in entries if e.name.startswith("Crèche"))
    assert creche.phone == "05 65 99 99 99"
    assert creche.category == "petite_enfance"


def test_directory_stale_entries_are_flagged(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.directory import import_directory, mark_checked, stale_entries

    with _session(db) as session:
        import_directory(session, _write(tmp_path, DIRECTORY_CSV), today=date(2026, 6, 1))
        stale = stale_entries(session, epcis=[GRAND_FIGEAC], today=date(2027, 4, 1))
        names = sorted(e.name for e in stale)
        assert names == ["Amicale laïque", "Crèche Les Petits Loups", "Maison de santé du Célé"]
        mark_checked(session, stale[0], actor="ref@example.org", today=date(2027, 4, 1))
        assert len(stale_entries(session, epcis=[GRAND_FIGEAC], today=date(2027, 4, 1))) == 2


def test_cli_directory_import_exit_code_and_unreadable_file(db, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(capsys, "accueil", "annuaire", "import", str(_write(tmp_path, DIRECTORY_CSV)), "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["imported"] == 4  # no territory given: Cahors is accepted
    empty = tmp_path / "vide.csv"
    empty.write_text("")
    bad = run_cli(capsys, "accueil", "annuaire", "import", str(empty))
    assert bad.returncode == 1
    assert "fichier vide" in bad.stderr


# --------------------------------------------------------------------------------------------------
# Référents
# --------------------------------------------------------------------------------------------------


def test_referent_assigned_from_target_area_and_weekly_digest(db) -> None:  # type: ignore[no-untyped-def]
    from services.referents import assign_from_target_area, reassign, send_weekly_digests
    from services.welcome import record_step
    from store.models import User

    with _session(db) as session:
        figeac = User(email="figeac@example.org", role="referent", territory=[GRAND_FIGEAC], full_name="Anne")
        cahors = User(email="cahors@example.org", role="referent", territory=[GRAND_CAHORS])
        session.add_all([figeac, cahors])
        session.flush()
        lea = _candidate(session)
        assert assign_from_target_area(session, lea) is figeac
        record_step(session, lea, "first_visit", done_on=date.today(), actor="figeac@example.org")
        sent = []
        report = send_weekly_digests(session, send=sent.append, public_url="https://ohmylot.example")
        assert report == {"figeac@example.org": 1}
        body = sent[0].get_content()
        assert "Léa Martin : Logement trouvé" in body
        assert "/prospects/" in body
        reassign(session, lea, cahors.id, actor="staff@example.org")
        assert lea.referent_id == cahors.id
        assert assign_from_target_area(session, lea) is cahors  # staff's choice is kept


# --------------------------------------------------------------------------------------------------
# Ambassadors
# --------------------------------------------------------------------------------------------------


def _ambassador(session, first, commune, **extra):  # type: ignore[no-untyped-def]
    from services.ambassadors import sign_up

    form = {"first_name": first, "last_name": "Durand", "email": f"{first.lower()}@example.net",
            "commune": commune, "availability": "2"}
    form.update(extra)
    return sign_up(session, form, consent=True)


def test_sign_up_requires_consent_and_withdrawal_erases(db) -> None:  # type: ignore[no-untyped-def]
    from services.ambassadors import (
        AmbassadorError,
        LinkGone,
        LinkNotFound,
        proposals_for,
        sign_up,
        withdraw,
        withdrawal_token,
    )

    with _session(db) as session:
        with pytest.raises(AmbassadorError, match="consentement"):
            sign_up(session, {"first_name": "Paul"}, consent=False)
        paul = _ambassador(session, "Paul", "Figeac")
        assert _ambassador(session, "Paul", "Figeac", trade="boulanger").id == paul.id  # updated, not copied
        lea = _candidate(session)
        assert [p.ambassador.id for p in proposals_for(session, lea)] == [paul.id]
        token = withdrawal_token(paul, SECRET)
        with pytest.raises(LinkNotFound):
            withdraw(session, token[:-2] + "xx", SECRET)
        withdraw(session, token, SECRET)
        assert paul.email is None
        assert paul.last_name is None
        assert paul.withdrawn_at is not None
        with pytest.raises(LinkGone):
            withdraw(session, token, SECRET)
        assert proposals_for(session, lea) == []  # never proposed again


def test_proposals_give_reasons_and_balance_load(db) -> None:  # type: ignore[no-untyped-def]
    from services.ambassadors import introduce, proposals_for

    with _session(db) as session:
        lea = _candidate(session)
        nurse = _ambassador(session, "Ines", "Figeac", sector="J", family_situation="couple")
        near = _ambassador(session, "Marc", "Capdenac-Gare")
        _ambassador(session, "Loin", "Lille")
        proposed = proposals_for(session, lea)
        assert [p.ambassador.id for p in proposed] == [nurse.id, near.id]
        reasons = " ".join(proposed[0].proposal.reasons)
        assert "Figeac" in reasons
        assert "même secteur" in reasons
        # two introductions use up Ines's availability (2 a year): she is not proposed any more
        bob = _candidate(session, email="bob@example.org", first_name="Bob")
        for household in (bob, _candidate(session, email="zoe@example.org")):
            introduce(session, household, nurse, reasons=[], actor="staff", secret_key=SECRET,
                      public_url="http://x", send=lambda m: None)
        assert [p.ambassador.id for p in proposals_for(session, lea)] == [near.id]


def test_double_opt_in_links_refuse_tampered_expired_reused(db) -> None:  # type: ignore[no-untyped-def]
    from services.ambassadors import LinkGone, LinkNotFound, answer_introduction, introduce, resolve_introduction
    from store.models import utcnow

    with _session(db) as session:
        lea = _candidate(session)
        ines = _ambassador(session, "Ines", "Figeac")
        sent = []
        intro = introduce(session, lea, ines, reasons=["habite Figeac"], actor="staff", secret_key=SECRET,
                          public_url="http://x", send=sent.append)
        links = [m.get_content().split("Répondre : ")[1].split()[0].rsplit("/", 1)[1] for m in sent]
        assert "ines@example.net" not in sent[0].get_content()  # no contact before both agree
        with pytest.raises(LinkNotFound):
            resolve_introduction(session, links[0][:-3] + "abc", SECRET)
        with pytest.raises(LinkGone):
            resolve_introduction(session, links[0], SECRET, now=utcnow() + timedelta(days=30))
        found, side = resolve_introduction(session, links[0], SECRET)
        answer_introduction(session, found, side, True, send=sent.append)
        with pytest.raises(LinkGone):  # used
            resolve_introduction(session, links[0], SECRET)
        assert intro.status == "sent"
        assert len(sent) == 2
        found, side = resolve_introduction(session, links[1], SECRET)
        assert side == "ambassador"
        answer_introduction(session, found, side, True, send=sent.append)
        assert intro.status == "accepted"
        assert intro.introduced_at is not None
        assert "ines@example.net" in sent[2].get_content()
        assert "lea@example.org" in sent[3].get_content()


# --------------------------------------------------------------------------------------------------
# Steps, plan, pack
# --------------------------------------------------------------------------------------------------


def test_steps_plan_and_pack(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.directory import import_directory, list_entries
    from services.welcome import WelcomeError, record_step, save_plan, settling_page, welcome_pack

    with _session(db) as session:
        import_directory(session, _write(tmp_path, DIRECTORY_CSV), today=date(2026, 6, 1))
        lea = _candidate(session)
        page = settling_page(session, lea)
        assert [c.insee for c in page.communes] == [FIGEAC, CAHORS]
        assert len(page.communes[0].directory) == 3
        assert page.communes[1].directory[0]["name"].startswith("Agence")
        with pytest.raises(WelcomeError):
            record_step(session, lea, "moved_in", done_on=date.today() + timedelta(days=3), actor="x")
        record_step(session, lea, "moved_in", done_on=date(2026, 5, 2), actor="anne@example.org")
        assert lea.status == "settled"
        creche = next(e for e in list_entries(session) if e.name.startswith("Crèche"))
        save_plan(session, lea, commune_insee=FIGEAC, entry_ids=[creche.id, 9999], actor="anne")
        pack = welcome_pack(session, lea)
        assert pack.commune.name == "Figeac"
        assert [e["name"] for e in pack.entries] == [creche.name]
        assert pack.steps == [{"label": "Installation", "on": "2026-05-02"}]


def test_scheduler_runs_the_weekly_welcome_digest(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from jobs import tasks
    from jobs.scheduler import job_specs
    from services import mail
    from store.models import User

    assert "welcome:referent-digest" in {spec.id for spec in job_specs(sources=[])}
    with _session(db) as session:
        session.add(User(email="figeac@example.org", role="referent", territory=[GRAND_FIGEAC]))
        session.flush()
        _candidate(session, referent_id=session.query(User).one().id)
        session.commit()
    sent = []
    monkeypatch.setattr(mail, "send", sent.append)
    assert tasks.welcome_digest(db) == {"referents": 1, "households": 1}
    assert sent[0]["To"] == "figeac@example.org"


def test_privacy_export_and_erase_cover_the_welcome_loop(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.ambassadors import introduce
    from services.directory import import_directory, list_entries
    from services.welcome import record_step, save_plan
    from store.models import Ambassador, Introduction, WelcomePlan
    from store.privacy import erase_person, export_person

    with _session(db) as session:
        import_directory(session, _write(tmp_path, DIRECTORY_CSV), today=date(2026, 6, 1))
        lea = _candidate(session)
        ines = _ambassador(session, "Ines", "Figeac", phone="06 12 34 56 78")
        introduce(session, lea, ines, reasons=["habite Figeac"], actor="staff", secret_key=SECRET,
                  public_url="http://x", send=lambda m: None)
        record_step(session, lea, "first_visit", done_on=date(2026, 4, 1), actor="anne", note="Léa Martin ravie")
        save_plan(session, lea, commune_insee=FIGEAC, entry_ids=[list_entries(session)[0].id], actor="anne")
        data = export_person(session, "lea@example.org")
        assert data["people"][0]["introductions"][0]["reasons"] == ["habite Figeac"]
        assert data["people"][0]["settling_steps"][0]["step"] == "first_visit"
        assert export_person(session, "ines@example.net")["ambassadors"][0]["first_name"] == "Ines"
        assert export_person(session, "CRECHE@example.fr")["directory_contacts"][0]["name"].startswith("Crèche")

        erase_person(session, "lea@example.org")
        intro = session.query(Introduction).one()
        assert intro.reasons == []
        assert intro.status == "declined"
        assert session.get(WelcomePlan, lea.id) is None
        report = erase_person(session, "ines@example.net")
        assert report.ambassador_ids == [ines.id]
        assert session.get(Ambassador, ines.id).email is None
        erase_person(session, "creche@example.fr")
        assert all(e.email != "creche@example.fr" for e in list_entries(session))
        session.commit()
    dump = " ".join(str(v) for table in ("ambassador", "introduction", "settling_step", "directory_entry", "audit_log")
                    for v in _rows(db, table))
    for trace in ("lea@example.org", "Léa Martin", "ines@example.net", "Ines Durand", "creche@example.fr"):
        assert trace not in dump


def _rows(db, table: str) -> list:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608 - fixed names


def test_demo_seed_is_idempotent_and_summarises_one_household(db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from services.welcome_demo import seed_welcome
    from store.models import Ambassador, DirectoryEntry, User

    with _session(db) as session:
        lea = _candidate(session)
        first = seed_welcome(session)
        second = seed_welcome(session)
        counts = [session.scalar(select(func.count()).select_from(m)) for m in (User, Ambassador, DirectoryEntry)]
    assert counts == [10, 20, 9]
    assert first["household"]["candidate_id"] == lea.id
    assert first["household"]["referent"].endswith("(CC Grand-Figeac)")
    assert first["household"]["summary"]["name"] == "Figeac"
    assert first["household"]["ambassadors"]
    assert second["household"]["summary"] == first["household"]["summary"]


def test_directory_import_reads_xlsx_with_a_title_row(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    from services.directory import import_directory, list_entries

    book = Workbook()
    sheet = book.active
    sheet.append(["Annuaire Grand-Figeac"])
    sheet.append(["Structure", "Type", "Ville", "Tél.", "Mise à jour"])
    sheet.append(["Crèche Les Petits Loups", "Crèche", "Figeac", "0565000001", date(2026, 3, 12)])
    sheet.append(["Club", "Inconnu au bataillon", "Figeac", None, None])
    path = tmp_path / "annuaire.xlsx"
    book.save(path)
    with _session(db) as session:
        report = import_directory(session, path, today=date(2026, 6, 1))
        [entry] = list_entries(session)
    assert report.imported == 1
    assert report.rejected == [{"line": 4, "reason": "catégorie inconnue « Inconnu au bataillon »"}]
    assert entry.last_checked == date(2026, 3, 12)
    assert entry.phone == "0565000001"


def test_summary_outside_occitanie_says_the_schools_are_missing(db) -> None:  # type: ignore[no-untyped-def]
    from services.welcome import commune_summary

    assert commune_summary(None, "19031").schools_note is not None  # Brive (Corrèze)
    assert commune_summary(None, FIGEAC).schools_note is None


def test_demo_welcome_data_is_not_foreign_and_is_removed_again(db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from services.sandbox import foreign_data, remove_sandbox_data
    from services.welcome_demo import seed_welcome
    from store.models import Ambassador, DirectoryEntry, User

    with _session(db) as session:
        real = User(email="anne@ohmylot.fr", role="referent", territory=[GRAND_FIGEAC])
        session.add(real)
        session.flush()
        seed_welcome(session, "Salon (démo)")
        assert foreign_data(session, [], "Salon (démo)") == ["1 compte(s)"]  # the real référent only
        remove_sandbox_data(session, [], "Salon (démo)")
        counts = [session.scalar(select(func.count()).select_from(m)) for m in (User, Ambassador, DirectoryEntry)]
    assert counts == [1, 0, 0]
