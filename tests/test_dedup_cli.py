"""``ohmylot dedupe``: the file contract, bad input, the database mode and staff corrections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "dedup" / "postings.jsonl"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a child process (what a user types)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "jobs", *args], capture_output=True, text=True, env=full_env,
                          timeout=120, cwd=ROOT)


def run_here(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same entry point in this process (starting Python once per call is slow with every area loaded)."""
    from jobs.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, int(exit_info.value.code or 0), captured.out, captured.err)


def _postings(n: int) -> list[dict]:
    with LABELS.open(encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(n), handle, strict=False)]


def test_file_contract_one_line_per_posting_and_duplicates_share_an_offer(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    postings = _postings(60)
    source = tmp_path / "postings.jsonl"
    lines = [json.dumps(p, ensure_ascii=False) for p in postings]
    lines.insert(3, "{not json")
    lines.insert(5, json.dumps({"title": "Sans identifiant"}))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "clusters.jsonl"
    result = run_here(capsys, "dedupe", "--input", str(source), "--output", str(target))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [p["id"] for p in postings]
    assert all(set(r) == {"id", "offer_id"} for r in rows)
    offer = {r["id"]: r["offer_id"] for r in rows}
    by_vacancy: dict[int, set[int]] = {}
    for p in postings:
        by_vacancy.setdefault(p["vacancy"], set()).add(offer[p["id"]])
    assert sum(len(v) == 1 for v in by_vacancy.values()) >= 0.9 * len(by_vacancy)
    assert "ligne 4 : JSON invalide" in result.stderr
    assert "ligne 6 : champ « id » manquant" in result.stderr
    assert "annonces →" in result.stdout
    assert "Taux de doublons par source" in result.stdout


def test_bad_input_is_one_line_and_non_zero(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("dedupe", "--input", str(tmp_path / "absent.jsonl"), "--output", str(tmp_path / "o.jsonl"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"Erreur : fichier introuvable : {tmp_path / 'absent.jsonl'}"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    result = run_here(capsys, "dedupe", "--input", str(empty))
    assert result.returncode == 1
    assert "--output est obligatoire" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.db
def test_database_mode_and_corrections(database_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from store.db import open_database
    from store.models import Posting
    from tests.dedup_helpers import add_sources, posting

    db = open_database(database_url, auto_upgrade=False)
    with db.session() as session:
        add_sources(session)
        session.add_all([posting("ch-cahors", "A"), posting("hellowork", "B", title="Infirmier diplômé d'État H/F")])
    db.engine.dispose()
    first = run_here(capsys, "dedupe")
    assert first.returncode == 0, first.stderr
    assert "2 annonces → 1 offres (1 doublons fusionnés)" in first.stdout
    again = run_here(capsys, "dedupe", "--full")
    assert "2 annonces → 1 offres (1 doublons fusionnés)" in again.stdout
    db = open_database(database_url, auto_upgrade=False)
    with db.session() as session:
        hw = session.query(Posting).filter_by(source_ref="B").one().id
    db.engine.dispose()
    split = run_here(capsys, "dedupe-split", str(hw), "--staff", "agent@ohmylot.fr", "--reason", "autre poste")
    assert split.returncode == 0, split.stderr
    rebuilt = run_here(capsys, "dedupe", "--full")
    assert "2 annonces → 2 offres (0 doublons fusionnés)" in rebuilt.stdout
    wrong = run_here(capsys, "dedupe-merge", "1", "999", "--staff", "agent@ohmylot.fr")
    assert wrong.returncode == 1
    assert "offre 999 introuvable" in wrong.stderr
