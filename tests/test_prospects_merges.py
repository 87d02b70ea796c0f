"""Reversible merges (issue 18 item 5): a merged prospect keeps what each import said; staff split a wrong
merge back into two people; the sources are exported, erased and purged with the person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, String, Text, func, select

from services.candidate_import import import_candidates
from services.prospect_merges import MergeError, split_source
from store.models import AuditLog, Base, Candidate, CandidateEvent, CandidateSource, Event
from store.privacy import erase_person, export_person, purge
from store.prospect_sources import sources_of

pytestmark = pytest.mark.db

HEADER = "Nom;Prénom;Courriel;Téléphone;Métier recherché;Commune actuelle;Notes;Consentement contact;" \
         "Consentement partage employeurs\n"
# Two different people who gave the same family e-mail at two fairs: the second import merges them.
SALON = "Martin;Sophie;famille.martin@exemple.fr;06 11 22 33 44;Infirmière;Cahors;Cherche un poste de nuit;oui;oui\n"
FORUM = "Martin;Julien;famille.martin@exemple.fr;06 55 66 77 88;Menuisier;Figeac;Permis poids lourd;oui;non\n"
MAY = datetime(2025, 5, 20, 10, tzinfo=UTC)
JUNE = datetime(2025, 6, 12, 10, tzinfo=UTC)


def _import(db, tmp_path, name: str, rows: str, event: str, now: datetime):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return import_candidates(db, path, event=event, now=now)


def _merged(db, tmp_path):  # type: ignore[no-untyped-def]
    first = _import(db, tmp_path, "salon.csv", SALON, "Salon infirmier", MAY)
    second = _import(db, tmp_path, "forum.csv", FORUM, "Forum bois", JUNE)
    return first, second


def test_a_merged_prospect_keeps_each_import_and_the_report_still_counts_new_and_merged(db, tmp_path) -> None:
    first, second = _merged(db, tmp_path)
    assert (first.imported, first.updated) == (1, 0)
    assert (second.imported, second.updated) == (0, 1)  # the report says merged, as before
    with db.session() as session:
        person = session.scalars(select(Candidate)).one()
        assert person.first_name == "Julien"  # the newer import won
        sources = sources_of(session, person.id)
        assert [(s.file_name, s.line, s.outcome) for s in sources] == [("salon.csv", 2, "imported"),
                                                                        ("forum.csv", 2, "updated")]
        assert sources[0].fields["first_name"] == "Sophie"
        assert sources[0].fields["phone"] == "+33611223344"
        assert sources[1].fields["desired_jobs"] == "Menuisier"
    # importing a file again adds no source: the same row is the same source
    _import(db, tmp_path, "forum.csv", FORUM, "Forum bois", JUNE)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CandidateSource)) == 2


def test_two_imports_merged_then_split_give_back_the_two_people_with_their_own_fields(db, tmp_path) -> None:
    _merged(db, tmp_path)
    with db.session() as session:
        person = session.scalars(select(Candidate)).one()
        forum = [s for s in sources_of(session, person.id) if s.file_name == "forum.csv"][0]
        result = split_source(session, forum.id, staff="equipe@ohmylot.fr")
        kept_id, created_id = result.kept.id, result.created.id
        assert "first_name" in result.restored
        assert "phone" in result.restored
    with db.session() as session:
        sophie, julien = session.get(Candidate, kept_id), session.get(Candidate, created_id)
        assert (sophie.first_name, sophie.phone, sophie.desired_jobs) == ("Sophie", "+33611223344", "Infirmière")
        assert sophie.current_place == "Cahors"
        assert sophie.notes == "Cherche un poste de nuit"
        assert (julien.first_name, julien.phone, julien.desired_jobs) == ("Julien", "+33655667788", "Menuisier")
        assert julien.current_place == "Figeac"
        assert julien.notes == "Permis poids lourd"
        # consents as each gave them, with their own date and channel
        assert sophie.consent_share is True
        assert sophie.consent_share_channel == "import salon.csv"
        assert julien.consent_share is False
        assert julien.consent_contact is True
        assert julien.consent_contact_channel == "import forum.csv"
        # each met at their own event
        events = {cid: set(session.scalars(select(Event.name).join(CandidateEvent).where(
            CandidateEvent.candidate_id == cid))) for cid in (kept_id, created_id)}
        assert events == {kept_id: {"Salon infirmier"}, created_id: {"Forum bois"}}
        assert [s.file_name for s in sources_of(session, created_id)] == ["forum.csv"]
        row = session.scalars(select(AuditLog).where(AuditLog.action == "candidates.split")).one()
        assert row.actor == "equipe@ohmylot.fr"
        assert row.detail["new_candidate"] == created_id
    # the fair file imported again goes back to the person it was split into, not merged again
    again = _import(db, tmp_path, "forum.csv", FORUM, "Forum bois", JUNE)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 1)
    with db.session() as session:
        assert session.get(Candidate, kept_id).first_name == "Sophie"
        assert session.scalar(select(func.count()).select_from(Candidate)) == 2
        # a prospect with a single source has nothing to split
        only = sources_of(session, created_id)[0]
        with pytest.raises(MergeError, match="qu'une source"):
            split_source(session, only.id, staff=None)


def test_a_field_staff_changed_after_the_merge_is_kept_by_the_split(db, tmp_path) -> None:
    _merged(db, tmp_path)
    with db.session() as session:
        person = session.scalars(select(Candidate)).one()
        person.desired_jobs = "Charpentier (corrigé par l'équipe)"
        forum = sources_of(session, person.id)[1]
        result = split_source(session, forum.id, staff="equipe@ohmylot.fr")
        assert result.kept.desired_jobs == "Charpentier (corrigé par l'équipe)"
        assert result.kept.first_name == "Sophie"


def _all_text(db) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    found = []
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text, JSON)):
                    for value in session.execute(select(column).where(column.is_not(None))).scalars():
                        found.append((table.name, column.name, str(value)))
    return found


def test_erasing_a_merged_prospect_erases_every_source_and_leaves_no_trace(db, tmp_path) -> None:
    _merged(db, tmp_path)
    with db.session() as session:
        exported = export_person(session, "famille.martin@exemple.fr", actor="dpo@ohmylot.fr")
        sources = exported["people"][0]["sources"]
        assert [(s["event"], s["file"], s["fields"]["first_name"]) for s in sources] == [
            ("Salon infirmier", "salon.csv", "Sophie"), ("Forum bois", "forum.csv", "Julien")]
        assert any("Infirmière" in text for _, _, text in _all_text(db))
        erase_person(session, "famille.martin@exemple.fr", actor="dpo@ohmylot.fr")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CandidateSource)) == 0
    traces = ["Sophie", "Julien", "famille.martin", "611223344", "655667788", "Infirmière", "Menuisier",
              "poste de nuit", "poids lourd"]
    leftovers = [(t, c, v) for t, c, v in _all_text(db) for term in traces if term.lower() in v.lower()]
    assert leftovers == []


def test_the_retention_purge_deletes_sources_older_than_two_years(db, tmp_path) -> None:
    _merged(db, tmp_path)
    with db.session() as session:
        # the person came back since: the prospect stays, but the two-year-old rows go
        person = session.scalars(select(Candidate)).one()
        person.last_contact_at = datetime(2027, 6, 1, tzinfo=UTC)
        trial = purge(session, now=datetime(2027, 6, 13, tzinfo=UTC))
        assert trial.old_sources == 2
        assert session.scalar(select(func.count()).select_from(CandidateSource)) == 2
        wet = purge(session, now=datetime(2027, 6, 13, tzinfo=UTC), wet_run=True)
        assert wet.old_sources == 2
        assert wet.anonymised == 0
        assert session.scalar(select(func.count()).select_from(CandidateSource)) == 0
        assert session.get(Candidate, person.id).first_name == "Julien"
