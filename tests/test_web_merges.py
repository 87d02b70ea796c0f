"""The prospect page lists the sources of a merged prospect; staff split a wrong merge after a confirmation
(issue 18 item 5); the command line does the same (``ohmylot candidates sources`` / ``separer``)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from services.candidate_import import import_candidates
from store.models import AuditLog, Candidate, CandidateSource
from tests.prospects_support import run_cli
from tests.webutil import add_user, csrf_of, login

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db

HEADER = "Nom;Prénom;Courriel;Téléphone;Métier recherché;Consentement contact\n"


def _merged(db, tmp_path) -> int:  # type: ignore[no-untyped-def]
    for name, row, event, day in (
        ("salon.csv", "Martin;Sophie;famille.martin@exemple.fr;06 11 22 33 44;Infirmière;oui\n", "Salon", 20),
        ("forum.csv", "Martin;Julien;famille.martin@exemple.fr;06 55 66 77 88;Menuisier;oui\n", "Forum", 21),
    ):
        path = tmp_path / name
        path.write_text(HEADER + row, encoding="utf-8")
        import_candidates(db, path, event=event, now=datetime(2025, 5, day, tzinfo=UTC))
    with db.session() as session:
        return session.scalars(select(Candidate.id)).one()


def test_staff_see_the_sources_and_split_a_wrong_merge_after_confirming(client, db, tmp_path) -> None:
    add_user(db)
    person_id = _merged(db, tmp_path)
    login(client)
    page = client.get(f"/equipe/prospects/{person_id}")
    assert "Sources de la fiche" in page.text
    assert "salon.csv, ligne 2" in page.text
    assert "forum.csv, ligne 2" in page.text
    with db.session() as session:
        forum_id = session.scalars(select(CandidateSource.id).where(CandidateSource.file_name == "forum.csv")).one()
    link = f"/equipe/prospects/{person_id}/sources/{forum_id}/separer"
    assert link in page.text
    confirm = client.get(link)
    assert confirm.status_code == 200
    assert "Confirmer la séparation" in confirm.text
    assert "Menuisier" in confirm.text
    # nothing happens without the form's token
    refused = client.post(link, data={}, follow_redirects=False)
    assert refused.status_code in (400, 403)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1
    done = client.post(link, data={"csrf_token": csrf_of(client, link)}, follow_redirects=False)
    assert done.status_code == 303
    new_id = int(re.search(r"/equipe/prospects/(\d+)", done.headers["location"])[1])
    assert new_id != person_id
    shown = client.get(done.headers["location"])
    assert "Fiche séparée" in shown.text
    assert "Julien" in shown.text
    with db.session() as session:
        assert session.get(Candidate, person_id).first_name == "Sophie"
        assert session.get(Candidate, new_id).desired_jobs == "Menuisier"
        assert session.scalars(select(AuditLog.actor).where(AuditLog.action == "candidates.split")).one() \
            == "agent@ohmylot.fr"
    # a single source left: no split offered any more
    assert "Séparer…" not in client.get(f"/equipe/prospects/{person_id}").text
    assert client.get(link.replace(str(person_id), str(new_id))).status_code == 404


def test_the_command_line_lists_the_sources_and_splits_one(db, tmp_path, capsys, monkeypatch) -> None:
    person_id = _merged(db, tmp_path)
    listed = run_cli(capsys, "candidates", "sources", str(person_id))
    assert listed.returncode == 0, listed.stderr
    numbers = [int(n) for n in re.findall(r"source n° (\d+)", listed.stdout)]
    assert len(numbers) == 2
    assert "forum.csv ligne 2" in listed.stdout
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    declined = run_cli(capsys, "candidates", "separer", str(numbers[1]))
    assert declined.returncode != 0
    assert "rien n'a été modifié" in declined.stdout + declined.stderr
    split = run_cli(capsys, "candidates", "separer", str(numbers[1]), "--oui", "--par", "anne@ohmylot.fr")
    assert split.returncode == 0, split.stderr
    assert "est devenue la fiche n°" in split.stdout
    again = run_cli(capsys, "candidates", "separer", str(numbers[1]), "--oui")
    assert again.returncode != 0
    assert "qu'une source" in again.stderr
    assert "Traceback" not in again.stderr
    with db.session() as session:
        assert sorted(session.scalars(select(Candidate.first_name))) == ["Julien", "Sophie"]
