"""One migration at a time: ``ohmylot db upgrade`` holds a database lock; others wait or refuse clearly."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import text

from store.db import make_engine, migration_lock, script_heads
from tests.ops_support import cli_command, empty_database, pg_admin_url, run_cli

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not pg_admin_url(), reason="no PostgreSQL"))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_upgrading_at_once_both_end_well(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with empty_database(backend, tmp_path) as url:
        env = {**os.environ, "OHMYLOT_DATABASE_URL": url, "OHMYLOT_DATA_DIR": str(tmp_path / "data")}
        processes = [
            subprocess.Popen(cli_command("db", "upgrade"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for _ in range(2)
        ]
        results = [(p.wait(timeout=240), *p.communicate()) for p in processes]
        for code, stdout, stderr in results:
            assert code == 0, stderr
            assert "Traceback" not in stderr
            assert "Base à jour" in stdout
        # exactly one of them migrated; the other waited for the lock and found nothing to do
        assert sum("migrée en" in stdout for _, stdout, _ in results) == 1
        assert sum("aucune migration en attente" in stdout for _, stdout, _ in results) == 1
        engine = make_engine(url)
        with engine.connect() as conn:
            versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        engine.dispose()
        assert versions == script_heads(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_process_that_cannot_wait_refuses_with_a_clear_message(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with empty_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            with migration_lock(engine, wait=5):  # another "process" is migrating
                result = run_cli("db", "upgrade", env={"OHMYLOT_DATABASE_URL": url,
                                                       "OHMYLOT_MIGRATION_WAIT_SECONDS": "1"})
        finally:
            engine.dispose()
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "schéma en cours de mise à jour" in result.stderr
        assert "injoignable" not in result.stderr
        # once the lock is released, the same command succeeds
        again = run_cli("db", "upgrade", env={"OHMYLOT_DATABASE_URL": url})
        assert again.returncode == 0, again.stderr
        assert "migrée en" in again.stdout
