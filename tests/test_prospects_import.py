"""Importing prospects from messy job-fair spreadsheets (issue 7; RELIABILITY.md I1, I2, P2)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matching.types import Place
from services.candidate_import import (
    ImportFileError,
    field_for_header,
    import_candidates,
    parse_column_mapping,
    parse_french_date,
    read_table,
    validate_prospect,
)
from store.models import AuditLog, Candidate, CandidateEvent, Event, Household, User

DATA = Path(__file__).parent / "data" / "prospects"
NOW = datetime(2025, 10, 16, 9, 30, tzinfo=UTC)


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def by_email(session, email: str) -> Candidate:  # type: ignore[no-untyped-def]
    return session.execute(select(Candidate).where(Candidate.email == email)).scalar_one()


# ---------------------------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("salon_taf_toulouse_2025.csv", "utf-8-sig", ";"),
        ("forum_sante_cahors_cp1252.csv", "cp1252", ","),
        ("congres_internes_tab.txt", "utf-8", "\t"),
        ("utf16_excel_unicode.txt", "utf-16", "\t"),
        ("soiree_accueil.xlsx", None, None),
    ],
)
def test_each_encoding_and_separator_is_read(name: str, encoding: str | None, delimiter: str | None) -> None:
    table = read_table(DATA / name)
    assert table.encoding == encoding
    assert table.delimiter == delimiter
    assert "last_name" in table.columns.values()
    first_line, first_cells = next(table.rows)  # rows are a stream (bounded memory)
    # accents survive every encoding
    headers_and_cells = " ".join(map(str, table.headers)) + " ".join(str(c) for c in first_cells)
    assert "é" in headers_and_cells.lower()
    assert first_line == table.header_line + 1


def test_title_rows_above_the_header_are_skipped_and_lines_count_from_the_file_top() -> None:
    table = read_table(DATA / "congres_internes_tab.txt")
    assert table.header_line == 3  # a title line and a blank line above the header
    assert [line for line, _ in table.rows] == [4, 5, 6]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Nom", "last_name"),
        ("PRÉNOM", "first_name"),
        ("Courriel", "email"),
        ("E-mail", "email"),
        ("Email", "email"),
        ("Tél.", "phone"),
        ("Téléphone portable", "phone"),
        ("Métier recherché", "desired_jobs"),
        ("Rayon de mobilité (km)", "radius_km"),
        ("Conjoint(e)", "partner"),
        ("Nom du conjoint", "partner"),
        ("Expérience (années)", "experience_years"),
        ("Consentement contact", "consent_contact"),
        ("Consentement partage employeurs", "consent_share"),
        ("Couleur préférée", None),
    ],
)
def test_french_headers_are_mapped_by_name(header: str, expected: str | None) -> None:
    assert field_for_header(header) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("does-not-exist.csv", "fichier introuvable"),
        ("empty.csv", "fichier vide"),
        ("photo.csv", "pas un tableur"),
    ],
)
def test_unreadable_files_raise_one_french_line(name: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message) as info:
        read_table(DATA / name)
    assert "\n" not in str(info.value)


def test_a_file_without_known_headers_asks_for_a_mapping_then_reads_with_it() -> None:
    with pytest.raises(ImportFileError, match="--column"):
        read_table(DATA / "portable_headers.csv")
    mapping = parse_column_mapping(["Identité=full_name", "Portable=phone", "Adresse perso=email", "OK contact=consent_contact"])
    table = read_table(DATA / "portable_headers.csv", mapping)
    first = next(table.rows)[1]
    row = {field: first[i] for i, field in table.columns.items()}
    check = validate_prospect(row)
    assert check.ok, check.errors
    assert (check.values["first_name"], check.values["last_name"]) == ("Chloé", "Marchand")
    assert check.values["phone"] == "+33621212121"


def test_mapping_file_and_bad_mappings(tmp_path: Path) -> None:
    path = tmp_path / "colonnes.txt"
    path.write_text("# en-têtes du salon de Brive\nPortable = phone\nAdresse perso=email\n", encoding="utf-8")
    assert parse_column_mapping(path=path) == {"Portable": "phone", "Adresse perso": "email"}
    with pytest.raises(ValueError, match="champ inconnu"):
        parse_column_mapping(["Portable=telephone"])
    with pytest.raises(ValueError, match="En-tête=champ"):
        parse_column_mapping(["Portable"])


# ---------------------------------------------------------------------------------------------- checking


def test_validate_prospect_accepts_french_headers_and_normalises_contacts() -> None:
    check = validate_prospect(
        {
            "Nom": " Martin ",
            "Prénom": "Sophie",
            "Courriel": "Sophie.Martin@Exemple.FR",
            "Téléphone": "06.12.34.56.78",
            "Contrat souhaité": "CDI ou CDD",
            "Rayon de mobilité (km)": "50 km",
            "Permis": "B",
            "Disponibilité": "15 mars 2026",
            "Consentement contact": "x",
            "Consentement partage employeurs": "non",
        }
    )
    assert check.ok
    assert check.warnings == []
    values = check.values
    assert values["email"] == "sophie.martin@exemple.fr"
    assert values["phone"] == "+33612345678"
    assert values["contract_types"] == ["CDI", "CDD"]
    assert values["radius_km"] == 50.0
    assert values["driving_licence"] is True
    assert values["available_from"] == date(2026, 3, 15)
    assert (values["consent_contact"], values["consent_share"]) == (True, False)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"Courriel": "a@exemple.fr", "Consentement contact": "oui"}, "nom manquant"),
        ({"Nom": "Leroy", "Courriel": "leroy@", "Téléphone": "06 98 76", "Consentement contact": "oui"}, "ni courriel ni téléphone"),
        ({"Nom": "Petit", "Téléphone": "0645454545", "Consentement contact": "non"}, "consentement"),
        ({"Nom": "Petit", "Téléphone": "0645454545"}, "consentement"),
    ],
)
def test_rows_without_name_contact_or_consent_are_rejected(fields: dict[str, str], error: str) -> None:
    check = validate_prospect(fields)
    assert not check.ok
    assert any(error in e for e in check.errors)


def test_one_bad_contact_is_a_warning_when_the_other_is_valid() -> None:
    check = validate_prospect({"Nom": "Bernard", "Courriel": "ines@exemple", "Tél": "+33 6 55 44 33 22", "Consentement contact": "Oui"})
    assert check.ok
    assert check.values["email"] is None
    assert check.values["phone"] == "+33655443322"
    assert check.warnings == ["courriel invalide ignoré : ines@exemple"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/03/2025", date(2025, 3, 15)),
        ("15-03-25", date(2025, 3, 15)),
        ("2025-03-15", date(2025, 3, 15)),
        ("15 mars 2025", date(2025, 3, 15)),
        ("1er novembre 2026", date(2026, 11, 1)),
        ("septembre 2025", date(2025, 9, 1)),
        ("Immédiate", date(2025, 10, 16)),
    ],
)
def test_french_dates(text: str, expected: date) -> None:
    assert parse_french_date(text, date(2025, 10, 16)) == expected


def test_unknown_commune_warns_and_keeps_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    cahors = Place("46042", "Cahors", "46000", "46", "200023737", 44.4475, 1.4406)

    class FakeGazetteer:
        def resolve(self, text, **_):  # type: ignore[no-untyped-def]
            return cahors if text.strip().lower() == "cahors" else None

        def in_territory(self, place) -> bool:  # type: ignore[no-untyped-def]
            return place.departement == "46"

    import services.prospect_check as module

    monkeypatch.setattr(module, "_gazetteer", lambda: FakeGazetteer())
    check = validate_prospect({"Nom": "Moreau", "Tél": "0600000001", "Commune actuelle": "Atlantis-sur-Mer",
                               "Zone souhaitée": "Cahors, Atlantide", "Consentement contact": "oui"})
    assert check.ok
    assert check.values["current_place"] == "Atlantis-sur-Mer"
    assert "commune inconnue : « Atlantis-sur-Mer »" in check.warnings
    assert "zone souhaitée non reconnue : Atlantide" in check.warnings
    assert check.values["target_area"]["communes"] == ["46042"]
    assert check.values["target_epcis"] == ["200023737"]


# ---------------------------------------------------------------------------------------------- importing



@pytest.mark.db
def test_import_reports_rejections_with_spreadsheet_lines_and_imports_the_rest(db) -> None:  # type: ignore[no-untyped-def]
    report = import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025",
                               event_date=date(2025, 3, 20), now=NOW)
    assert report.rejected == [
        {"line": 5, "reason": "nom manquant"},
        {"line": 6, "reason": "ni courriel ni téléphone valable"},
        {"line": 7, "reason": "pas de consentement à être contacté"},
    ]
    # 7 valid rows, one of them (line 9) the same person as line 4 with a lower-case address
    assert (report.imported, report.updated, report.unchanged) == (6, 1, 0)
    assert {"line": 9, "reason": "même personne qu'à la ligne 4"} in report.warnings
    assert {"line": 4, "reason": "rayon de mobilité illisible : « trente »"} in report.warnings
    assert report.exit_code == 2
    with db.session() as session:
        assert count(session, Candidate) == 6
        elodie = by_email(session, "elodie.dubois@exemple.fr")
        assert elodie.first_name == "Élodie"  # the repeated row only filled gaps
        assert elodie.phone == "+33761223344"
        assert "Repassée au stand" in elodie.notes
        sophie = by_email(session, "sophie.martin@exemple.fr")
        assert sophie.consent_contact
        assert sophie.consent_share
        assert sophie.consent_contact_at.date() == date(2025, 3, 20)
        assert sophie.consent_contact_channel == "import salon_taf_toulouse_2025.csv"
        assert sophie.contract_types == ["CDI"]
        assert sophie.radius_km == 50
        # partner given by e-mail: one household for Sophie and Julien
        julien = by_email(session, "j.martin@exemple.fr")
        assert sophie.household_id is not None
        assert sophie.household_id == julien.household_id
        assert julien.partner_hint is None
        assert sophie.partner_hint is None
        assert [s.status for s in sophie.path] == ["met"]
        event = session.execute(select(Event)).scalar_one()
        assert (event.name, event.date) == ("TAF Toulouse 2025", date(2025, 3, 20))
        assert count(session, CandidateEvent) == 6
        log = session.execute(select(AuditLog).where(AuditLog.action == "candidates.import")).scalar_one()
        assert log.detail["imported"] == 6
        assert "Martin" not in str(log.detail)


@pytest.mark.db
def test_importing_the_same_file_twice_creates_nothing(db) -> None:  # type: ignore[no-untyped-def]
    first = import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", now=NOW)
    later = NOW.replace(day=17)
    second = import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", now=later)
    assert first.imported == 6
    assert (second.imported, second.updated, second.unchanged) == (0, 0, 7)
    assert second.rejected == first.rejected
    with db.session() as session:
        assert count(session, Candidate) == 6
        assert count(session, CandidateEvent) == 6
        assert count(session, Household) == 1
        assert count(session, Event) == 1


@pytest.mark.db
def test_a_known_prospect_met_again_is_updated_and_linked_to_the_new_event(db) -> None:  # type: ignore[no-untyped-def]
    import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", event_date=date(2025, 3, 20), now=NOW)
    report = import_candidates(db, DATA / "forum_sante_cahors_cp1252.csv", event="Forum santé Cahors",
                               event_date=date(2025, 6, 12), now=NOW)
    # Julien Martin comes back with the same phone written +33 …, no e-mail
    assert (report.imported, report.updated) == (2, 1)
    assert report.rejected == [{"line": 5, "reason": "pas de consentement à être contacté"}]
    with db.session() as session:
        julien = by_email(session, "j.martin@exemple.fr")
        assert julien.desired_jobs == "Menuisier agenceur"
        assert julien.radius_km == 60
        events = session.execute(
            select(Event.name).join(CandidateEvent).where(CandidateEvent.candidate_id == julien.id).order_by(Event.date)
        ).scalars().all()
        assert events == ["TAF Toulouse 2025", "Forum santé Cahors"]
        assert julien.last_contact_at.date() == date(2025, 6, 12)
        # Windows-1252 accents, and the partner named by full name ("Rémi Faure") formed a household
        helene = by_email(session, "helene.faure@exemple.fr")
        remi = by_email(session, "remi.faure@exemple.fr")
        assert helene.first_name == "Hélène"
        assert "« urgences »" in helene.notes
        assert helene.household_id == remi.household_id is not None
        assert helene.consent_share is False
        assert remi.consent_share is True


@pytest.mark.db
def test_an_older_file_imported_later_does_not_undo_newer_data(db) -> None:  # type: ignore[no-untyped-def]
    import_candidates(db, DATA / "forum_sante_cahors_cp1252.csv", event="Forum santé Cahors", event_date=date(2025, 6, 12), now=NOW)
    import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", event_date=date(2025, 3, 20), now=NOW)
    with db.session() as session:
        julien = session.execute(select(Candidate).where(Candidate.phone == "+33623456789")).scalar_one()
        assert julien.desired_jobs == "Menuisier agenceur"  # June data kept
        assert julien.email == "j.martin@exemple.fr"  # the gap was filled from March
        assert julien.last_contact_at.date() == date(2025, 6, 12)


@pytest.mark.db
def test_xlsx_with_numbers_dates_and_booleans(db) -> None:  # type: ignore[no-untyped-def]
    report = import_candidates(db, DATA / "soiree_accueil.xlsx", event="Soirée d'accueil", now=NOW)
    assert (report.imported, report.rejected) == (2, [{"line": 5, "reason": "pas de consentement à être contacté"}])
    with db.session() as session:
        marc = by_email(session, "marc.blanc@exemple.fr")
        assert marc.phone == "+33645671234"  # the spreadsheet had dropped the leading 0
        assert marc.available_from == date(2026, 1, 5)
        assert marc.experience_years == 15
        lea = session.execute(select(Candidate).where(Candidate.first_name == "Léa")).scalar_one()
        assert lea.consent_share is True
        assert lea.available_from == date(2026, 1, 1)


@pytest.mark.db
def test_dry_run_reports_the_same_and_writes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    report = import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", dry_run=True, now=NOW)
    assert report.imported == 6
    assert report.dry_run
    with db.session() as session:
        assert count(session, Candidate) == 0
        assert count(session, Event) == 0
        assert count(session, AuditLog) == 0


@pytest.mark.db
def test_dry_run_inside_a_callers_session_keeps_the_callers_work(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        session.add(Event(name="Salon déjà saisi"))
        session.flush()
        report = import_candidates(session, DATA / "congres_internes_tab.txt", event="Congrès", dry_run=True, now=NOW)
        assert report.imported == 2
    with db.session() as session:
        assert count(session, Candidate) == 0
        assert session.execute(select(Event.name)).scalars().all() == ["Salon déjà saisi"]


@pytest.mark.db
def test_referent_is_assigned_from_the_target_epci(db, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    cahors = Place("46042", "Cahors", "46000", "46", "200023737", 44.4475, 1.4406)

    class FakeGazetteer:
        def resolve(self, text, **_):  # type: ignore[no-untyped-def]
            return cahors if "cahors" in text.lower() else None

        def in_territory(self, place) -> bool:  # type: ignore[no-untyped-def]
            return True

    import services.prospect_check as module

    monkeypatch.setattr(module, "_gazetteer", lambda: FakeGazetteer())
    with db.session() as session:
        session.add(User(email="figeac@exemple.fr", role="referent", territory=["200067361"]))
        session.add(User(email="cahors@exemple.fr", role="referent", territory=["200023737"]))
    import_candidates(db, DATA / "congres_internes_tab.txt", event="Congrès des internes", now=NOW)
    with db.session() as session:
        anais = by_email(session, "anais.roux@exemple.fr")
        paul = by_email(session, "paul.nguyen@exemple.fr")
        assert session.get(User, anais.referent_id).email == "cahors@exemple.fr"
        assert paul.referent_id is None  # no target zone, lives in Lyon


@pytest.mark.db
def test_partner_imported_in_a_later_file_forms_the_household(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "a.csv"
    first.write_text("Nom;Prénom;Tél;Conjoint(e);Consentement contact\nRoche;Nadia;06 71 71 71 71;Yann Roche;oui\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("Nom;Prénom;Tél;Consentement contact\nROCHE;Yann;06 72 72 72 72;oui\n", encoding="utf-8")
    report = import_candidates(db, first, event="Salon A", now=NOW)
    assert report.warnings == [{"line": 2, "reason": "conjoint pas encore connu : le foyer sera formé quand il sera enregistré"}]
    report = import_candidates(db, second, event="Salon B", now=NOW)
    assert report.households == 1
    with db.session() as session:
        members = session.execute(select(Candidate).order_by(Candidate.id)).scalars().all()
        assert members[0].household_id == members[1].household_id is not None
        assert members[0].partner_hint is None


@pytest.mark.db
def test_booth_form_entry_is_saved_like_an_import_row(db) -> None:  # type: ignore[no-untyped-def]
    from services.candidate_import import save_prospect
    from store.candidates import get_or_create_event

    import_candidates(db, DATA / "salon_taf_toulouse_2025.csv", event="TAF Toulouse 2025", event_date=date(2025, 3, 20), now=NOW)
    form = {"last_name": "Martin", "first_name": "Sophie", "email": "", "phone": "06 12 34 56 78",
            "desired_jobs": "Infirmière de bloc", "consent_contact": "on", "consent_share": ""}
    check = validate_prospect(form)
    assert check.ok, check.errors
    with db.session() as session:
        event, _ = get_or_create_event(session, "Forum santé Cahors", day=date(2025, 6, 12))
        result = save_prospect(session, check, event=event, channel="formulaire stand", actor="anne@ohmylot.fr",
                               audit_action="candidates.form", now=NOW)
        assert result.outcome == "updated"
        assert result.candidate.email == "sophie.martin@exemple.fr"  # found by phone, e-mail kept
        assert result.candidate.desired_jobs == "Infirmière de bloc"
        with pytest.raises(ValueError, match="consentement"):
            save_prospect(session, validate_prospect({"last_name": "X", "phone": "0645454545"}), event=event,
                          channel="formulaire stand")
    with db.session() as session:
        assert count(session, Candidate) == 6
        log = session.execute(select(AuditLog).where(AuditLog.action == "candidates.form")).scalar_one()
        assert log.actor == "anne@ohmylot.fr"
        assert log.detail["outcome"] == "updated"


def test_a_commune_name_inside_another_word_is_not_taken_for_it() -> None:
    class SubstringGazetteer:
        """Answers like the real one on offer texts: finds "Mer" inside "Atlantis-sur-Mer"."""

        def resolve(self, text, **_):  # type: ignore[no-untyped-def]
            if "mer" in text.lower():
                return Place("41136", "Mer", "41500", "41", "200055481", 47.7, 1.5)
            if "cahors" in text.lower():
                return Place("46042", "Cahors", "46000", "46", "200023737", 44.4475, 1.4406)
            return None

    from services.prospect_check import _resolve_place

    gazetteer = SubstringGazetteer()
    assert _resolve_place(gazetteer, "Atlantis-sur-Mer") is None
    assert _resolve_place(gazetteer, "Mer (41)").name == "Mer"
    assert _resolve_place(gazetteer, "46000 CAHORS").name == "Cahors"


def test_cells_with_two_contacts_keep_the_first_valid_one() -> None:
    check = validate_prospect({"Nom": "Faure", "Courriel": "pas d'adresse / helene@exemple.fr; h.faure@exemple.fr",
                               "Téléphone": "05 65 12 34 56 / 06 44 33 22 11", "Conjoint": "oui",
                               "Consentement contact": "oui"})
    assert check.ok
    assert (check.values["email"], check.values["phone"]) == ("helene@exemple.fr", "+33565123456")
    assert check.values["partner"] is None
    assert check.warnings == []


@pytest.mark.db
def test_excel_sep_line_and_multiline_cells_keep_spreadsheet_line_numbers(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "sep=,\r\nNom,Prénom,Tél,Notes,Consentement contact\r\n"
        'Roche,Nadia,06 71 71 71 71,"deux lignes\r\nde notes",oui\r\n'
        "Sans,Contact,,,oui\r\n".encode("cp1252")
    )
    report = import_candidates(db, path, event="Salon", now=NOW)
    assert report.imported == 1
    # the header is line 1 as Excel shows it (the sep= line is hidden); a cell on two lines is one row
    assert report.rejected == [{"line": 3, "reason": "ni courriel ni téléphone valable"}]


@pytest.mark.db
def test_forbidden_columns_are_never_read_even_when_mapped(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fiche.csv"
    path.write_text("Nom;Prénom;Tél;Date de naissance;Situation de handicap;Nationalité;Consentement contact\n"
                    "Roche;Nadia;06 71 71 71 71;12/05/1990;RQTH;française;oui\n", encoding="utf-8")
    report = import_candidates(db, path, event="Salon", now=NOW, columns={"Date de naissance": "notes"})
    assert report.imported == 1
    assert [w["reason"].split(" : ")[0] for w in report.warnings] == [
        "colonne « Date de naissance » ignorée", "colonne « Situation de handicap » ignorée",
        "colonne « Nationalité » ignorée"]
    with db.session() as session:
        nadia = session.execute(select(Candidate)).scalar_one()
        assert nadia.notes is None
        assert "1990" not in str([getattr(nadia, c.key) for c in Candidate.__table__.columns])


def test_no_known_header_is_taken_for_a_forbidden_one() -> None:
    from services.candidate_import import HEADER_ALIASES, TEMPLATE_HEADERS, is_forbidden_header

    headers = TEMPLATE_HEADERS + [a for aliases in HEADER_ALIASES.values() for a in aliases]
    headers += ["Secteur santé souhaité", "Commune d'origine", "Stage"]
    assert [h for h in headers if is_forbidden_header(h)] == []
    assert all(is_forbidden_header(h) for h in ("Âge", "Né(e) le", "N° de sécurité sociale", "Photo", "RQTH"))


@pytest.mark.parametrize(("text", "years"), [("5", 5.0), ("3,5 ans", 3.5), ("18 mois", 1.5), ("2 années", 2.0)])
def test_experience_in_years_or_months(text: str, years: float) -> None:
    check = validate_prospect({"Nom": "X", "Tél": "0612345678", "Consentement contact": "oui", "Expérience (années)": text})
    assert check.values["experience_years"] == years
    assert check.warnings == []


@pytest.mark.db
def test_email_of_one_prospect_and_phone_of_another_is_flagged_not_merged(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "a.csv"
    first.write_text("Nom;Courriel;Tél;Consentement contact\nAdam;adam@exemple.fr;;oui\nBruno;;06 80 80 80 80;oui\n",
                     encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("Nom;Courriel;Tél;Consentement contact\nAdam;adam@exemple.fr;06 80 80 80 80;oui\n", encoding="utf-8")
    import_candidates(db, first, event="A", now=NOW)
    report = import_candidates(db, second, event="B", now=NOW)
    assert report.updated == 1
    assert report.warnings[0]["line"] == 2
    assert "fiches différentes" in report.warnings[0]["reason"]
    with db.session() as session:
        assert count(session, Candidate) == 2
        bruno = session.execute(select(Candidate).where(Candidate.last_name == "Bruno")).scalar_one()
        assert bruno.phone == "+33680808080"
        adam = session.execute(select(Candidate).where(Candidate.last_name == "Adam")).scalar_one()
        assert adam.phone is None  # not copied onto a second person


def test_other_zip_spreadsheets_get_advice(tmp_path: Path) -> None:
    import zipfile

    ods = tmp_path / "salon.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(ImportFileError, match="OpenDocument"):
        read_table(ods)
    broken = tmp_path / "salon.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ImportFileError, match="XLSX illisible"):
        read_table(broken)
