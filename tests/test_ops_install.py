"""The wheel ships everything it runs (issue 22): build it, install it alone in a clean virtual environment
(its dependencies come from the project's environment through a ``.pth`` line, so that the test works
offline), then, away from the repository: ``ohmylot sources list``, ``ohmylot db upgrade``, a crawl with a
registry kept outside the package (``OHMYLOT_SOURCES``), and ``ohmylot serve`` + ``ohmylot scheduler``
answering ``GET /readyz``, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.crawl_servers import career_site, fix_sitemap, sample_postings, site_server
from tests.ops_support import empty_database, pg_admin_url

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SECRET = "install-test-secret-0123456789-abcdefghijklmnop"


def _sources(root: Path) -> list[str]:
    """The files of the work tree that git would ship (tracked or new, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    return [name for name in listed if (root / name).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding only the ohmylot wheel (dependencies reached through a .pth line)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "src"
    for name in _sources(ROOT):  # a clean copy: no build/ leftovers, no file git would not ship
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(source)], check=True, capture_output=True, text=True)
    wheel = next(wheels.glob("ohmylot-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, text=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "ohmylot-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("OHMYLOT_") and k != "PYTHONPATH"}
    return {**keep, "OHMYLOT_DATA_DIR": str(tmp_path / "data"), "OHMYLOT_SECRET_KEY": SECRET,
            "OHMYLOT_LOG_FORMAT": "json", "COLUMNS": "200", **extra}


def _ohmylot(venv: Path, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "ohmylot"), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=240)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_for(url: str, status: int, deadline: float) -> dict:
    last: object = None
    while time.monotonic() < deadline:
        try:
            code, body = _get(url)
            if code == status:
                return body
            last = (code, body)
        except (urllib.error.URLError, ConnectionError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered {status}: {last}")


def test_the_wheel_runs_from_an_empty_venv(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import jobs, crawlers; print(jobs.__file__)"],
                           capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, check=True)
    assert where.stdout.startswith(str(installed)), where.stdout  # the wheel, not the work tree

    listing = _ohmylot(installed, "sources", "list", env=_env(tmp_path), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "francetravail-lot" in listing.stdout
    assert "illisible" not in listing.stderr


def test_production_sources_live_outside_the_package_and_crawl(installed: Path, tmp_path: Path) -> None:
    registry = tmp_path / "etc" / "sources.toml"
    registry.parent.mkdir()
    registry.write_text('[[source]]\nid = "ch-cahors"\nplatform = "jsonld"\nname = "CH de Cahors"\n'
                        'url = "{env:CAREER_SITE}/sites/ch-cahors/offres"\nrequires = ["CAREER_SITE"]\n',
                        encoding="utf-8")
    routes = career_site(sample_postings(3), prefix="/sites/ch-cahors")
    with site_server(routes) as server:
        fix_sitemap(routes, server.url)
        env = _env(tmp_path, OHMYLOT_SOURCES=str(registry), CAREER_SITE=server.url)
        listing = _ohmylot(installed, "sources", "list", env=env, cwd=tmp_path)
        assert listing.returncode == 0, listing.stderr
        assert "ch-cahors" in listing.stdout
        assert "francetravail-lot" not in listing.stdout
        crawl = _ohmylot(installed, "crawl", "ch-cahors", "--set", "DOWNLOAD_DELAY=0", env=env, cwd=tmp_path)
    assert crawl.returncode == 0, crawl.stderr
    assert "réussie" in crawl.stdout


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not pg_admin_url(), reason="no PostgreSQL"))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_serve_and_readyz(installed: Path, tmp_path: Path, backend: str) -> None:
    with empty_database(backend, tmp_path) as url:
        env = _env(tmp_path, OHMYLOT_DATABASE_URL=url)
        upgrade = _ohmylot(installed, "db", "upgrade", env=env, cwd=tmp_path)
        assert upgrade.returncode == 0, upgrade.stderr
        assert "migrée en" in upgrade.stdout

        port = _free_port()
        logs = tmp_path / "web.log"
        processes: list[subprocess.Popen[bytes]] = []
        try:
            with open(logs, "wb") as web_log, open(tmp_path / "scheduler.log", "wb") as sched_log:
                processes.append(subprocess.Popen([str(installed / "bin" / "ohmylot"), "serve", "--port", str(port)],
                                                  env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=web_log))
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 120
                # no scheduler yet: the web app is up but not ready, and says why
                waiting = _wait_for(f"{base}/readyz", 503, deadline)
                assert waiting["checks"]["database"]["ok"] is True
                assert waiting["checks"]["schema"]["ok"] is True
                assert waiting["checks"]["scheduler"]["ok"] is False
                processes.append(subprocess.Popen([str(installed / "bin" / "ohmylot"), "scheduler"], env=env,
                                                  cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sched_log))
                ready = _wait_for(f"{base}/readyz", 200, deadline)
                assert ready["ready"] is True
                assert _get(f"{base}/healthz") == (200, {"status": "ok"})
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
        lines = [json.loads(line) for line in logs.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
        access = [line for line in lines if line.get("logger") == "ohmylot.web.access"]
        assert access, logs.read_text(encoding="utf-8")[-2000:]
        assert {"time", "level", "process", "request_id"} <= set(access[-1])
        # a clean stop on SIGTERM (uvicorn re-raises the signal once shut down; systemd counts that as clean)
        assert [p.returncode in (0, -15) for p in processes] == [True, True], [p.returncode for p in processes]
