"""The main job: ``ohmylot demo --json`` end to end on the sandbox, twice on one database (issue 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.db, pytest.mark.slow]

KEYS = ("sources", "postings", "offers", "duplicates_merged", "candidates", "matches")


def _demo(database_url: str, data_dir: str) -> dict:
    env = {**os.environ, "OHMYLOT_DATABASE_URL": database_url, "OHMYLOT_DATA_DIR": data_dir}
    result = subprocess.run([sys.executable, "-m", "jobs", "demo", "--json", "--today", "2026-11-25"],
                            capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_demo_twice_gives_identical_counts_and_explained_matches(database_url, tmp_path) -> None:
    first = _demo(database_url, str(tmp_path))
    for key in KEYS:
        assert key in first
    platforms = {s["platform"] for s in first["sources"]}
    assert {"jsonld", "hellowork", "francetravail"} <= platforms
    assert len([s for s in first["sources"] if s["platform"] == "jsonld"]) >= 3
    assert all(s["postings"] > 0 for s in first["sources"])
    assert 330 <= first["postings"] <= 420
    assert first["offers"] < first["postings"]
    assert first["duplicates_merged"] == first["postings"] - first["offers"]
    assert 250 <= first["offers"] <= 320  # 300 real vacancies in the sandbox
    assert first["candidates"] == 40
    assert first["matches"] > 0
    assert first["offers_with_commune"] >= 0.98
    assert first["offers_with_rome"] >= 0.98
    assert len(first["prospects"]) == 3
    shown = [p for p in first["prospects"] if p["matches"]]
    assert shown, "no prospect got any offer"
    for prospect in shown:
        assert len(prospect["matches"]) <= 5
        assert all(m["reasons"] for m in prospect["matches"])
    assert first["household"] is not None
    welcome = first["welcome"]
    assert (welcome["referents"], welcome["ambassadors"]) == (10, 20)
    settling = welcome["household"]["summary"]
    assert settling["schools"]
    assert settling["stations"]
    assert settling["hospitals"]

    second = _demo(database_url, str(tmp_path))
    for key in ("postings", "offers", "duplicates_merged", "candidates", "matches"):
        assert second[key] == first[key], key
    assert [s["postings"] for s in second["sources"]] == [s["postings"] for s in first["sources"]]
    assert second["import"]["imported"] == 0
    assert second["welcome"]["household"]["summary"] == first["welcome"]["household"]["summary"]
