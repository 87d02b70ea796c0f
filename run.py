#!/usr/bin/env python3
"""Quick start: one command for the demo, one for the tests, on a machine with only Python 3.11+ and git.

    python3 run.py demo [DEMO OPTIONS]   # creates .venv, installs the project, runs `ohmylot demo`
    python3 run.py test [PYTEST OPTIONS] # same set-up, then the whole suite on SQLite and on PostgreSQL

The virtual environment is (re)installed when pyproject.toml changes. PostgreSQL tests use
OHMYLOT_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test); they are skipped with a
visible message when no server answers, except under CI (CI=true), where they are required.
Browser tests use Debian's chromium (/usr/bin/chromium); as root, the test set-up installs it with apt-get.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".ohmylot-installed"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def say(message: str) -> None:
    print(f"[run.py] {message}", flush=True)


def ensure_venv() -> None:
    """Create .venv and install the project with its test dependencies (again when pyproject changes)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py is what tells an old Python to go away
        sys.exit("Erreur : Python 3.11 ou plus récent est nécessaire (python3 --version)")
    if not PY.exists():
        say("création de l'environnement virtuel .venv")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    say("installation du projet et de ses dépendances (une seule fois)")
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def postgres_reachable(url: str) -> tuple[bool, str]:
    code = (
        "import sys, psycopg\n"
        "try:\n    psycopg.connect(sys.argv[1], connect_timeout=3).close()\n"
        "except Exception as e:\n    print(str(e).splitlines()[0] if str(e) else type(e).__name__); sys.exit(1)\n"
    )
    result = subprocess.run([str(PY), "-c", code, url], capture_output=True, text=True)
    return result.returncode == 0, result.stdout.strip()


def ensure_chromium() -> bool:
    """Debian's chromium for the browser tests; installed with apt-get when we are root and it is missing."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return True
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installation de chromium (paquet Debian) pour les tests navigateur")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "fonts-dejavu-core"], env=env, check=False,
                       stdout=subprocess.DEVNULL)
    return Path("/usr/bin/chromium").exists()


def run_tests(extra: list[str]) -> int:
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    env = {**os.environ}
    env.pop("OHMYLOT_DATABASE_URL", None)
    if not ensure_chromium():
        if in_ci:
            say("chromium est introuvable : les tests navigateur échoueront")
        else:
            say("chromium introuvable : tests navigateur sautés (apt-get install chromium)")
            env["OHMYLOT_SKIP_BROWSER"] = "1"
    workers = ["-n", "2"] if (os.cpu_count() or 1) > 1 else []

    say("tests sur SQLite")
    sqlite_env = {**env, "OHMYLOT_TEST_DATABASE_URL": ""}
    first = subprocess.run([str(PY), "-m", "pytest", *workers, *extra], cwd=ROOT, env=sqlite_env).returncode

    pg_url = os.environ.get("OHMYLOT_TEST_DATABASE_URL") or DEFAULT_PG
    ok, why = postgres_reachable(pg_url)
    if not ok:
        if in_ci:
            say(f"PostgreSQL injoignable ({why}) : requis en CI")
            return 1
        say(f"*** PostgreSQL injoignable ({why}) : tests PostgreSQL SAUTÉS ***")
        return first
    say("tests de base de données sur PostgreSQL")
    pg_env = {**env, "OHMYLOT_TEST_DATABASE_URL": pg_url, "OHMYLOT_TEST_REQUIRE_POSTGRES": "1" if in_ci else "0"}
    second = subprocess.run([str(PY), "-m", "pytest", *workers, "-m", "db", *extra], cwd=ROOT, env=pg_env).returncode
    if second == 5:  # no test selected: nothing ran on PostgreSQL, which is a failure of the suite
        say("aucun test de base de données n'a tourné sur PostgreSQL")
    return first or second


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    ensure_venv()
    if argv[0] == "demo":
        return subprocess.run([str(BIN / "ohmylot"), "demo", *argv[1:]], cwd=ROOT).returncode
    return run_tests(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
