"""Documentation covers what exists: every command in the README, every spider in the registry docs."""

from __future__ import annotations

from pathlib import Path

import typer.main

from jobs.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    found: list[str] = []

    def walk(command, path):  # type: ignore[no-untyped-def]
        subcommands = getattr(command, "commands", {})
        if path and not subcommands:
            found.append(" ".join(path))
        for name, sub in subcommands.items():
            walk(sub, [*path, name])

    walk(group, [])
    return found


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = []
    for path in _commands():
        words = path.split()
        # "ohmylot scheduler list / run / history" documents the subcommands of a group on one line
        if f"ohmylot {path}" in readme:
            continue
        if len(words) > 1 and f"ohmylot {' '.join(words[:-1])}" in readme and f"`{words[-1]}" in readme:
            continue
        missing.append(path)
    assert missing == [], f"commands missing from README.md: {missing}"


def test_the_quick_start_has_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["python3 run.py demo", "python3 run.py test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 run.py test" in ci
