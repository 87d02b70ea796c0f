"""Helpers of the prospect and privacy tests: run ``ohmylot`` in-process (fast) and capture what it prints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "prospects"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run ``ohmylot ARGS`` through ``jobs.cli.main`` (exit status, stdout and stderr as a user sees them)."""
    from jobs.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
