"""``ohmylot geo resolve`` and ``ohmylot geo distance`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run_cli(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "jobs", *args], capture_output=True, input=input,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_resolve_reads_stdin_and_writes_one_json_line_per_input_line() -> None:
    lines = ["46 - CAHORS", "", "St Céré (46400)", "Lot (46)", "Bridgwater", "Labastide-Murat", "Paris 15e"]
    result = run_cli("geo", "resolve", input=("\n".join(lines) + "\n").encode())
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o["query"] for o in out] == lines
    assert out[0] == {"query": "46 - CAHORS", "insee": "46042", "name": "Cahors", "postal_code": "46000",
                      "departement": "46", "epci": "200023737", "lat": 44.45072, "lon": 1.44062, "level": "commune"}
    assert out[1] == {"query": "", "error": "ligne vide"}
    assert out[2]["insee"] == "46251"
    assert out[3]["level"] == "departement"
    assert out[3]["insee"] is None
    assert out[3]["departement"] == "46"
    assert set(out[4]) == {"query", "error"}
    assert "introuvable" in out[4]["error"]
    assert out[5]["name"] == "Cœur de Causse"
    assert out[6]["postal_code"] == "75015"
    assert "5 lieu(x) résolu(s) sur 7" in result.stderr.decode()


def test_resolve_survives_binary_input_and_takes_arguments() -> None:
    result = run_cli("geo", "resolve", input=b"\xff\xfe\x00garbage\nFigeac\r\n")
    assert result.returncode == 0
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert "error" in out[0]
    assert out[1]["insee"] == "46102"
    result = run_cli("geo", "resolve", "Gramat", "Souillac")
    assert [json.loads(line)["insee"] for line in result.stdout.decode().splitlines()] == ["46128", "46309"]


def test_territory_option_changes_homonym_choice() -> None:
    lot = json.loads(run_cli("geo", "resolve", "Sainte-Colombe").stdout)
    gironde = json.loads(run_cli("geo", "resolve", "--territoire", "33", "Sainte-Colombe").stdout)
    assert lot["departement"] == "46"
    assert gironde["departement"] == "33"
    bad = run_cli("geo", "resolve", "--territoire", ",", "Cahors")
    assert bad.returncode == 1
    assert bad.stderr.decode().startswith("Erreur : --territoire")


def test_distance() -> None:
    result = run_cli("geo", "distance", "Cahors", "Figeac")
    assert result.returncode == 0
    assert result.stdout.decode().strip() == "Cahors (46042) → Figeac (46102) : 49,4 km"
    data = json.loads(run_cli("geo", "distance", "--json", "Cahors", "Figeac").stdout)
    assert data["km"] == 49.4
    assert data["a"]["insee"] == "46042"
    unknown = run_cli("geo", "distance", "Cahors", "Bridgwater")
    assert unknown.returncode == 1
    assert unknown.stderr.decode().strip() == "Erreur : lieu introuvable : 'Bridgwater'"
