#!/usr/bin/env python3
"""Quick start: one command for the demo, one for the tests, on a machine with only Python 3.11+ and git.

    python3 run.py demo [DEMO OPTIONS]   # creates .venv, installs the project, runs `ohmylot demo`
    python3 run.py test [PYTEST OPTIONS] # same set-up, then the whole suite on SQLite and on PostgreSQL
    python3 run.py lock [--upgrade]      # rewrite the locks after a pyproject.toml change (--upgrade: newest
                                         # versions within pyproject.toml's ranges)

The virtual environment is installed from requirements-dev.lock (every package pinned, hash-checked, the
project itself without re-resolving) and rebuilt from scratch when the lock changes. PostgreSQL tests use
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


LOCK = ROOT / "requirements-dev.lock"
RUNTIME_LOCK = ROOT / "requirements.lock"
BUILD_IN = ROOT / "requirements" / "build.in"
LOCK_TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]


def dependencies_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A digest of the dependency ranges of pyproject.toml (and of the build requirements): the lock files
    record it, and a test fails when the ranges change without the lock being regenerated."""
    import tomllib

    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    wanted = {
        "dependencies": sorted(project.get("dependencies", [])),
        "optional": {k: sorted(v) for k, v in sorted(project.get("optional-dependencies", {}).items())},
        "build": sorted(data.get("build-system", {}).get("requires", [])),
        "build.in": [line.strip() for line in BUILD_IN.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#")],
    }
    import json

    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def ensure_venv() -> None:
    """Create .venv and install exactly the locked versions (hash-checked), then the project itself without
    resolving anything. The venv is rebuilt from scratch when the lock changes; when only pyproject.toml
    changes (entry points, package data), the project alone is reinstalled."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py is what tells an old Python to go away
        sys.exit("Erreur : Python 3.11 ou plus récent est nécessaire (python3 --version)")
    if not LOCK.exists():
        sys.exit("Erreur : requirements-dev.lock est absent ; lancez « python3 run.py lock »")
    lock_digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    project_digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    recorded = STAMP.read_text().split() if PY.exists() and STAMP.exists() else []
    if recorded == [lock_digest, project_digest]:
        return
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if not recorded or recorded[0] != lock_digest:
        say("création de l'environnement virtuel .venv (depuis requirements-dev.lock)")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        say("installation des versions verrouillées, vérifiées par empreinte (une seule fois)")
        pip_install(["--require-hashes", "--no-deps", "-r", str(LOCK)], env)
    else:
        say("pyproject.toml a changé : réinstallation du projet seul")
    pip_install(["--no-deps", "--no-build-isolation", "-e", str(ROOT)], env)
    STAMP.write_text(f"{lock_digest} {project_digest}\n")


def pip_install(args: list[str], env: dict[str, str]) -> None:
    """pip install, quiet; the machine's notices about absent local package folders are left out."""
    result = subprocess.run([str(PY), "-m", "pip", "install", "-q", *args], env=env, capture_output=True, text=True)
    noise = ("is ignored: it is neither a file nor a directory",)
    for line in (result.stdout + result.stderr).splitlines():
        if line.strip() and not any(n in line for n in noise):
            print(line, flush=True)
    if result.returncode != 0:
        sys.exit(f"Erreur : l'installation a échoué (pip, code {result.returncode}) ; voir ci-dessus")


def lock(upgrade: bool = False) -> int:
    """Rewrite both lock files (with hashes) after a change of pyproject.toml, keeping every pin that still
    fits; with ``upgrade``, re-resolve the newest versions that pyproject.toml's ranges allow."""
    uv = BIN / "uv"
    if not uv.exists():
        ensure_venv()
    digest = dependencies_digest()
    for target, extras in ((LOCK, ["--extra", "dev"]), (RUNTIME_LOCK, [])):
        say(f"résolution de {target.name}")
        result = subprocess.run(
            [str(uv), "pip", "compile", "pyproject.toml", "requirements/build.in", *extras, "--generate-hashes",
             *(["--upgrade"] if upgrade else []), "--no-header", "--quiet", *LOCK_TARGET, "-o", str(target)], cwd=ROOT)
        if result.returncode != 0:
            return result.returncode
        body = target.read_text(encoding="utf-8")
        header = (f"# Generated by `python3 run.py lock` (uv pip compile --generate-hashes) for Python 3.11 on Linux\n"
                  f"# x86-64. Do not edit by hand.\n# pyproject-dependencies-sha256: {digest}\n")
        target.write_text(header + body, encoding="utf-8")
    say("verrou réécrit : relisez le diff, puis « python3 run.py test » avant de le committer")
    return 0


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
    # One test at a time to whichever worker is free, longest modules first (tests/conftest.py LONG_MODULES):
    # the two workers end together instead of one finishing a long test alone.
    workers = ["-n", "2", "--maxschedchunk", "1"] if (os.cpu_count() or 1) > 1 else []

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
    if not argv or argv[0] not in {"demo", "test", "lock"}:
        print(__doc__)
        return 2
    if argv[0] == "lock":
        return lock(upgrade="--upgrade" in argv[1:])
    ensure_venv()
    if argv[0] == "demo":
        return subprocess.run([str(BIN / "ohmylot"), "demo", *argv[1:]], cwd=ROOT).returncode
    return run_tests(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
