"""``ohmylot match``: the offline contract on JSON Lines files, and the database commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.cmd_match import match_files
from tests.rank_samples import CAHORS, NOW, OFFERS, candidate


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def write_jsonl(path: Path, rows: list[object], extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    offers = write_jsonl(tmp_path / "offers.jsonl", OFFERS, ("{not json", '["a list"]', '{"id": "no-title"}'))
    people = [
        candidate("c1", "aide soignante", contract_types=["CDI"], contract_required=True, radius_km=0),
        candidate("c2", "infirmière H/F", target_area={"communes": [CAHORS]}, radius_km=15),
        candidate("c3", "astronaute"),
    ]
    candidates = write_jsonl(tmp_path / "candidates.jsonl", people, ('{"desired_jobs": "sans id"}',))
    return offers, candidates


def test_offline_matching_writes_one_line_per_candidate(files: tuple[Path, Path], tmp_path: Path) -> None:
    offers, candidates = files
    output = tmp_path / "matches.jsonl"
    report = match_files(offers, candidates, output, top=3, now=NOW)
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["candidate_id"] for line in lines] == ["c1", "c2", "c3"]
    first = lines[0]["matches"]
    assert 1 <= len(first) <= 3
    assert set(first[0]) == {"offer_id", "score", "reasons"}
    assert first[0]["offer_id"] == "as-cahors"
    assert all(m["offer_id"] != "as-figeac-cdd" for m in first)  # CDD, and a CDI is required
    assert lines[1]["matches"][0]["offer_id"] == "ide-cahors"
    assert lines[2]["matches"] == []
    scores = [m["score"] for m in first]
    assert scores == sorted(scores, reverse=True)
    assert report.offers == len(OFFERS)
    assert report.candidates == 3
    reasons = sorted((r["file"], r["line"]) for r in report.rejected)
    n = len(OFFERS)
    assert reasons == [
        ("candidates.jsonl", 4),
        ("offers.jsonl", n + 1),
        ("offers.jsonl", n + 2),
        ("offers.jsonl", n + 3),
    ]


def test_cli_offline_contract_and_errors(files: tuple[Path, Path], tmp_path: Path) -> None:
    offers, candidates = files
    output = tmp_path / "out.jsonl"
    result = run_cli(
        "match", "--offers", str(offers), "--candidates", str(candidates), "--top", "10", "--output", str(output)
    )
    assert result.returncode == 0, result.stderr
    assert "ligne ignorée : offers.jsonl" in result.stderr
    assert "3 candidats" in result.stderr
    assert len(output.read_text(encoding="utf-8").splitlines()) == 3

    missing = run_cli("match", "--offers", str(tmp_path / "nope.jsonl"), "--candidates", str(candidates))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [f"Erreur : fichier introuvable : {tmp_path / 'nope.jsonl'}"]
    half = run_cli("match", "--offers", str(offers))
    assert half.returncode == 1
    assert "Traceback" not in half.stderr


@pytest.mark.db
def test_cli_reranks_the_database_and_shows_matches(database_url: str) -> None:
    from store.db import open_database
    from store.models import Candidate, Offer

    db = open_database(database_url, auto_upgrade=False)
    with db.session() as session:
        session.add(
            Offer(
                title="Infirmier diplômé d'État H/F",
                commune_insee=CAHORS,
                departement="46",
                lat=44.45,
                lon=1.44,
                contract_type="CDI",
                description_text="Centre hospitalier de Cahors",
            )
        )
        session.add(Offer(title="Cuisinier", commune_insee=CAHORS, departement="46", lat=44.45, lon=1.44))
        session.add(Candidate(desired_jobs="infirmière", target_area={"departements": ["46"]}, radius_km=20))
    db.engine.dispose()
    result = run_cli("match")
    assert result.returncode == 0, result.stderr
    assert "1 prospects × 2 offres ouvertes : 1 propositions" in result.stdout
    shown = run_cli("match", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "Infirmier diplômé d'État H/F" in shown.stdout
    assert "• Termes communs" in shown.stdout
    unknown = run_cli("match", "show", "999")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "Erreur : prospect 999 inconnu"
    for_offer = run_cli("match", "offer", "1")
    assert for_offer.returncode == 0, for_offer.stderr
    assert "1. prospect 1 — infirmière" in for_offer.stdout
    marked = run_cli("match", "feedback", "1", "2", "--non-pertinent", "--raison", "autre métier", "--par", "a@b.fr")
    assert marked.returncode == 0, marked.stderr
    assert "non pertinent" in marked.stdout
    bad = run_cli("match", "feedback", "1", "99", "--pertinent", "--par", "a@b.fr")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Erreur : offre 99 inconnue"
    evaluated = run_cli("match", "evaluate")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "1 avis (0 pertinents) sur 1 prospects." in evaluated.stdout
    no_household = run_cli("match", "household", "7")
    assert no_household.returncode == 1
    assert no_household.stderr.strip() == "Erreur : foyer 7 inconnu"
