"""``ohmylot rome``: JSON lines in and out, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "jobs", "rome", *args],
        capture_output=True, text=True, input=input, timeout=120, cwd=ROOT, env=env,
    )


def test_classify_reads_one_title_per_line_and_writes_json_lines() -> None:
    result = run_cli("classify", "--top", "2", input="Aide-soignant(e) de nuit H/F\n\n  \nASH EHPAD\nboulangère\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in records] == ["Aide-soignant(e) de nuit H/F", "ASH EHPAD", "boulangère"]
    assert [r["codes"][0]["code"] for r in records] == ["J1501", "J1301", "D1102"]
    for record in records:
        assert len(record["codes"]) == 2
        assert set(record["codes"][0]) == {"code", "label", "score", "confidence", "uncertain"}
        assert record["codes"][0]["score"] >= record["codes"][1]["score"]
        assert 0 < record["codes"][1]["confidence"] <= record["codes"][0]["confidence"] <= 1
        assert record["codes"][0]["uncertain"] is False  # clear titles are asserted
    assert records[0]["codes"][0]["label"] == "Aide-soignant / Aide-soignante"
    assert "3 intitulé(s)" in result.stderr


def test_unrecognisable_title_gives_empty_codes() -> None:
    result = run_cli("classify", input="H/F CDI\n")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"title": "H/F CDI", "codes": []}


def test_json_input_with_description_and_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "titles.jsonl"
    source.write_text(
        '{"title": "Serveur H/F", "description": "Service en salle et au bar"}\n'
        "pas du json\n"
        '{"description": "sans titre"}\n',
        encoding="utf-8",
    )
    result = run_cli("classify", "--json", "--input", str(source), "--top", "1")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["codes"][0]["code"] == "G1803"
    assert "ligne 2 ignorée" in result.stderr
    assert "ligne 3 ignorée" in result.stderr


def test_explain_adds_words_and_nearest_titles() -> None:
    result = run_cli("classify", "--explain", "--top", "1", input="IDE de nuit\n")
    record = json.loads(result.stdout)
    assert record["codes"][0]["code"] == "J1506"
    assert "infirmier" in record["words"]
    assert any("soins généraux" in title for title in record["nearest_rome_titles"])


def test_bad_input_is_one_line_and_non_zero() -> None:
    missing = run_cli("classify", "--input", "/nonexistent/titles.txt")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    bad_top = run_cli("classify", "--top", "0", input="boulanger\n")
    assert bad_top.returncode == 2
    assert "Traceback" not in bad_top.stderr
    unknown = run_cli("label", "J1501", "Z0000")
    assert unknown.returncode == 1
    assert "J1501" in unknown.stdout
    assert "Aide-soignant" in unknown.stdout
    assert unknown.stderr.strip() == (
        "Erreur : code(s) ROME inconnu(s) : Z0000 (format attendu : une lettre et 4 chiffres, ex. J1501)"
    )


def test_evaluate_refuses_test_errors_and_bad_split() -> None:
    refused = run_cli("evaluate", "--errors")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Erreur : les erreurs ne s'affichent que pour --split dev")
    bad = run_cli("evaluate", "--split", "train")
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr


def test_label_prints_domains() -> None:
    result = run_cli("label", "g1803")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "G1803  Serveur / Serveuse en restauration"
    assert "domaine G18" in result.stdout
