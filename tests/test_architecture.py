"""The import rules of DESIGN.md, as import-linter contracts in pyproject.toml (``lint-imports`` runs them too).

matching < store < crawlers < services < jobs | web < bench < tests: a package imports only the ones below it,
``jobs`` and ``web`` never import each other, ``matching`` uses no database, crawler or web library, and
nothing below the entry points uses a web framework or a command-line library.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["matching", "store", "crawlers", "services", "jobs", "web", "bench", "tests"]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LINT],
        cwd=cwd,
        env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def test_the_code_keeps_every_import_contract() -> None:
    result = _lint(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert result.stdout.count(" KEPT") == len(_config()["contracts"])


def test_the_layers_are_the_ones_of_the_design() -> None:
    layers = next(c for c in _config()["contracts"] if c["type"] == "layers")["layers"]
    assert layers == ["tests", "bench", "jobs | web", "services", "crawlers", "store", "matching"]
    assert sorted(_config()["root_packages"]) == sorted(PACKAGES)


@pytest.mark.parametrize(
    ("module", "source", "message"),
    [
        ("matching/bad.py", "import store\n", "matching is not allowed to import store"),
        ("services/bad.py", "from web import app\n", "services is not allowed to import web"),
        ("jobs/bad.py", "import web.app\n", "jobs is not allowed to import web"),
        ("web/bad.py", "from jobs import cli\n", "web is not allowed to import jobs"),
        ("store/bad.py", "def f():\n    import bench\n", "store is not allowed to import bench"),
        ("matching/io.py", "import sqlalchemy\n", "matching is not allowed to import sqlalchemy"),
        ("services/http.py", "from fastapi import Request\n", "services is not allowed to import fastapi"),
    ],
)
def test_a_wrong_arrow_breaks_the_contracts(tmp_path: Path, module: str, source: str, message: str) -> None:
    # The project's own contracts, run on a miniature tree holding one forbidden import.
    (tmp_path / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    for name in ("app", "cli"):
        (tmp_path / ("web" if name == "app" else "jobs") / f"{name}.py").write_text("", encoding="utf-8")
    (tmp_path / module).write_text(source, encoding="utf-8")
    result = _lint(tmp_path, tmp_path)
    assert result.returncode != 0
    assert message in " ".join(result.stdout.split()), result.stdout + result.stderr
