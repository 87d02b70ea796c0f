"""Every command answers bad input with one line and a non-zero exit (RELIABILITY.md I3)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args], capture_output=True, text=True, env=full_env, input=input, timeout=120
    )


def test_unknown_option_is_one_line_and_exit_2() -> None:
    result = run_cli("--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--no-such-option" in result.stderr


def test_unreachable_database_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("db", "upgrade", env={"OHMYLOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Erreur : base de données injoignable")


def test_read_only_data_directory_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    env = {"OHMYLOT_DATA_DIR": str(ro / "inner"), "OHMYLOT_DATABASE_URL": ""}
    result = run_cli("db", "upgrade", env=env)
    ro.chmod(0o700)
    if os.geteuid() == 0:
        # root ignores permission bits: use a path under a file instead, which nobody can create.
        blocker = tmp_path / "file"
        blocker.write_text("x")
        result = run_cli("db", "upgrade", env={"OHMYLOT_DATA_DIR": str(blocker / "inner"), "OHMYLOT_DATABASE_URL": ""})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "OHMYLOT_DATA_DIR" in result.stderr


@pytest.mark.db
def test_db_upgrade_on_the_configured_database(database_url: str) -> None:
    result = run_cli("db", "upgrade", env={"OHMYLOT_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert "Base à jour" in result.stdout


def test_every_command_has_help() -> None:
    import typer.main

    from jobs.cli import app, main

    group = typer.main.get_command(app)

    def walk(command, path):  # type: ignore[no-untyped-def]
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path, command in walk(group, []):
        if path:
            assert (command.help or command.short_help), f"command {' '.join(path)} has no help"
            with pytest.raises(SystemExit) as exit_info:
                main([*path, "--help"])
            assert exit_info.value.code == 0, path
