"""Every process checks what it needs at start (docs/reliability.md R6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from services.startup import StartupError, check_data_dir, check_database, check_sources
from tests.webutil import SECRET

ROOT = Path(__file__).resolve().parent.parent


def _unwritable(tmp_path: Path) -> Path:
    """A data directory nobody can create or write, even root: its parent is a regular file."""
    blocker = tmp_path / "pas-un-dossier"
    blocker.write_text("x", encoding="utf-8")
    return blocker / "data"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400", **env}
    return subprocess.run([sys.executable, "-m", "jobs", *args], env=full, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def _one_french_line(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and "Base de données" not in line]
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


@pytest.mark.db
@pytest.mark.parametrize(
    "args",
    [["serve", "--port", "8999"], ["scheduler"], ["crawl", "--all"]],
)
def test_an_unwritable_data_directory_is_refused_at_start(database_url, tmp_path, args) -> None:
    env = {"OHMYLOT_DATA_DIR": str(_unwritable(tmp_path)), "OHMYLOT_DATABASE_URL": database_url,
           "OHMYLOT_SECRET_KEY": SECRET}
    _one_french_line(_run(args, env), "démarrage refusé", "n'est pas accessible en écriture", "OHMYLOT_DATA_DIR")


def test_an_unreachable_database_is_refused_at_start(tmp_path) -> None:
    env = {"OHMYLOT_DATA_DIR": str(tmp_path), "OHMYLOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/ohmylot",
           "OHMYLOT_SECRET_KEY": SECRET}
    _one_french_line(_run(["scheduler"], env), "démarrage refusé", "injoignable", "OHMYLOT_DATABASE_URL")


def test_serving_without_a_secret_key_is_refused(tmp_path) -> None:
    env = {"OHMYLOT_DATA_DIR": str(tmp_path), "OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "OHMYLOT_SECRET_KEY": "", "OHMYLOT_ENV": "production"}
    _one_french_line(_run(["serve", "--port", "8999"], env), "démarrage refusé", "OHMYLOT_SECRET_KEY")


def test_an_unreadable_source_registry_is_refused(tmp_path, monkeypatch) -> None:
    broken = tmp_path / "sources.toml"
    broken.write_text("[[source]\nid = ", encoding="utf-8")
    monkeypatch.setenv("OHMYLOT_SOURCES", str(broken))
    with pytest.raises(StartupError, match="registre des sources illisible"):
        check_sources()
    env = {"OHMYLOT_DATA_DIR": str(tmp_path), "OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "OHMYLOT_SOURCES": str(broken)}
    _one_french_line(_run(["scheduler"], env), "démarrage refusé", "OHMYLOT_SOURCES")


@pytest.mark.db
def test_a_database_behind_the_code_is_named_with_its_fix(database_url, db) -> None:
    from sqlalchemy import text

    check_database(database_url, upgrade=False)  # the fixture's database is at head
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'web_02'"))
    with pytest.raises(StartupError, match="ohmylot db upgrade"):
        check_database(database_url, upgrade=False)


def test_the_data_directory_check_writes_a_file(tmp_path) -> None:
    assert check_data_dir(tmp_path / "neuf") == tmp_path / "neuf"
    with pytest.raises(StartupError, match="OHMYLOT_DATA_DIR"):
        check_data_dir(_unwritable(tmp_path))


@pytest.mark.db
def test_a_crawl_whose_log_cannot_be_written_fails_with_its_reason_never_running(db, tmp_path) -> None:
    from crawlers.runner import CrawlSetupError, run_crawl
    from store.models import CrawlRun

    with pytest.raises(CrawlSetupError, match="journal de collecte impossible"):
        run_crawl("site-local", spider="jsonld", url="http://127.0.0.1:9/offres", timeout=30,
                  env={"OHMYLOT_DATABASE_URL": db.url, "OHMYLOT_DATA_DIR": str(_unwritable(tmp_path))})
    with db.session() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.status == "failed"
        assert "journal de collecte impossible" in run.stats["failure"]
