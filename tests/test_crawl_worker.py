"""The pre-loaded crawl worker (``crawlers.worker``): a crawl run in its forked child stores exactly what a
``scrapy crawl`` subprocess stores; timeouts still kill it; a crashed child, a refused request or other code
never take the worker down nor leave a zombie; the socket is the owner's only."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
#: what differs between two crawls of one feed by two sources (ids, times, runs), not what was stored
VOLATILE = {"id", "source_id", "offer_id", "first_seen_at", "last_seen_at", "last_run_id", "closed_at"}


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ohmylot-w-"))  # short: a Unix socket path has at most 107 bytes
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _start_worker(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(  # noqa: S603
        [sys.executable, *args] if args else [sys.executable, "-m", "crawlers.worker", str(data_dir)],
        cwd=ROOT, env=env, stderr=open(data_dir / "worker.log", "ab"), start_new_session=True,  # noqa: SIM115
    )  # fmt: skip


def _until(condition, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def worker(data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    from crawlers.worker import ping

    process = _start_worker(data_dir)
    _until(lambda: ping(data_dir) is not None or process.poll() is not None)
    assert process.poll() is None, (data_dir / "worker.log").read_text()
    yield process
    process.terminate()
    assert process.wait(timeout=60) == 0
    assert not (data_dir / "crawl-server.sock").exists()


def _children_states(pid: int) -> list[str]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] for child in children]


def _postings(db, source_id: str) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    from store.models import Posting

    columns = [c.name for c in Posting.__table__.columns if c.name not in VOLATILE]
    with db.session() as session:
        rows = session.scalars(select(Posting).where(Posting.source_id == source_id)).all()
        found = {row.source_ref: {name: getattr(row, name) for name in columns} for row in rows}
    for posting in found.values():  # the raw item names its source
        assert posting["raw"].pop("source") == source_id  # type: ignore[union-attr]
    return found


@pytest.mark.db
def test_a_feed_crawled_in_the_worker_stores_what_a_subprocess_stores(  # type: ignore[no-untyped-def]
    db, worker, data_dir: Path, feeds_dir: Path
) -> None:
    from crawlers.runner import run_crawl
    from store.models import CrawlRun

    env = {"OHMYLOT_DATA_DIR": str(data_dir)}
    url = (feeds_dir / "hellowork.xml").as_uri()
    forked = run_crawl("hw-worker", spider="hellowork", url=url, env=env, use_worker=True, timeout=300)
    plain = run_crawl("hw-subprocess", spider="hellowork", url=url, env=env, use_worker=False, timeout=300)
    assert (forked.status, forked.returncode) == (plain.status, plain.returncode) == ("success", 0)
    assert forked.new == plain.new > 0
    stored = _postings(db, "hw-worker")
    assert stored == _postings(db, "hw-subprocess")
    assert all(p["title"] and p["status"] == "open" for p in stored.values())
    with db.session() as session:
        runs = {run.source_id: run for run in session.scalars(select(CrawlRun))}
        for field in ("status", "finish_reason", "items_scraped", "items_dropped", "items_new", "field_coverage"):
            assert getattr(runs["hw-worker"], field) == getattr(runs["hw-subprocess"], field), field
    # the log the runner reads: the forked child's pid, not the worker's, and Scrapy's closing stats
    log = Path(forked.log_path or "").read_text(encoding="utf-8")
    assert f'"pid": {worker.pid},' not in log
    assert "Dumping Scrapy stats" in log
    assert "'item_scraped_count': " in log
    _until(lambda: "Z" not in _children_states(worker.pid), timeout=10)


@pytest.mark.db
def test_a_timeout_kills_the_forked_crawl_and_the_worker_goes_on(db, worker, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from crawlers.runner import run_crawl
    from crawlers.worker import ping

    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers: the crawl hangs
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/offres.xml"
        env = {"OHMYLOT_DATA_DIR": str(data_dir)}
        outcome = run_crawl(
            "hw-hang", spider="hellowork", url=url, env=env, use_worker=True, timeout=3,
            settings={"CLOSESPIDER_TIMEOUT": 0},
        )  # fmt: skip
    finally:
        silent.close()
    assert outcome.timed_out
    assert (outcome.status, outcome.finish_reason) == ("failed", "timeout")
    assert outcome.returncode is not None
    assert outcome.returncode != 0
    assert ping(data_dir) is not None
    assert worker.poll() is None
    _until(lambda: _children_states(worker.pid) == [], timeout=10)  # reaped: no zombie


def test_a_crashed_child_is_reaped_and_the_worker_serves_on(worker, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from crawlers.worker import ping, start_crawl

    with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as out, open(data_dir / "crash.log", "wb") as log:
        crawl = start_crawl(
            data_dir, ["crawl", "no-such-spider"], {**os.environ, "PYTHONPATH": str(ROOT)}, ROOT,
            (stdin.fileno(), out.fileno(), log.fileno()),
        )  # fmt: skip
        assert crawl.wait(timeout=60) != 0
    assert "no-such-spider" in (data_dir / "crash.log").read_text(encoding="utf-8")
    # a child killed by a signal: its code says so, the worker is untouched
    with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as out:
        crawl = start_crawl(
            data_dir, ["crawl", "hellowork", "-a", "source=x", "-a", "url=http://127.0.0.1:9/"],
            {**os.environ, "PYTHONPATH": str(ROOT), "OHMYLOT_STORE_ENABLED": "0"}, ROOT,
            (stdin.fileno(), out.fileno(), out.fileno()),
        )  # fmt: skip
        os.killpg(crawl.pid, signal.SIGKILL)
        assert crawl.wait(timeout=30) == -signal.SIGKILL
    answer = ping(data_dir)
    assert answer is not None
    assert answer["ok"]
    assert answer["pid"] == worker.pid
    _until(lambda: _children_states(worker.pid) == [], timeout=10)


def test_the_socket_is_the_owners_only_and_other_code_is_refused(worker, data_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from crawlers import worker_client as module

    assert stat.S_IMODE((data_dir / "crawl-server.sock").stat().st_mode) == 0o600
    monkeypatch.setattr(module, "code_version", lambda: "0" * 32)  # this side runs other code
    with open(os.devnull, "wb") as out, pytest.raises(module.WorkerUnavailable, match="le code a changé"):
        module.start_crawl(data_dir, ["crawl", "hellowork"], {}, ROOT, (out.fileno(),) * 3)
    assert worker.poll() is None  # its own code did not change: it serves on


def test_a_worker_whose_code_changed_refuses_and_stops(tmp_path: Path) -> None:
    from crawlers.worker import EXIT_CODE_CHANGED, code_version, ping, start_crawl

    data_dir = Path(tempfile.mkdtemp(prefix="ohmylot-w-"))
    try:  # a worker that started on other code (no preload: it is refused before any fork)
        script = f"from pathlib import Path; from crawlers.worker import CrawlWorker; import sys; " \
                 f"sys.exit(CrawlWorker(Path({str(data_dir)!r}), code='old').serve())"  # fmt: skip
        process = _start_worker(data_dir, "-c", script)
        _until(lambda: ping(data_dir) is not None, timeout=60)
        assert ping(data_dir)["code"] == "old"  # type: ignore[index]
        with open(os.devnull, "wb") as out, pytest.raises(Exception, match="le code a changé"):
            start_crawl(data_dir, ["crawl", "hellowork"], {}, ROOT, (out.fileno(),) * 3)
        assert process.wait(timeout=30) == EXIT_CODE_CHANGED
        assert not (data_dir / "crawl-server.sock").exists()
        assert code_version() != "old"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_the_command_line_starts_and_stops_the_server_and_refuses_a_second_one(data_dir: Path) -> None:
    from crawlers.worker_client import ping, start_crawl

    directory = Path(tempfile.mkdtemp(prefix="ohmylot-c-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OHMYLOT_DATA_DIR": str(directory)}
    command = [sys.executable, "-m", "jobs", "crawl-server"]
    try:
        helped = subprocess.run([*command, "--help"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert helped.returncode == 0
        assert "serveur de collecte préchargé" in helped.stdout
        server = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)  # noqa: S603
        _until(lambda: ping(directory) is not None or server.poll() is not None)
        second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert second.stderr.strip().splitlines()[-1].startswith("Erreur : un serveur de collecte tourne déjà")
        assert "Traceback" not in second.stderr
        silent = socket.socket()  # a crawl that hangs on its first request while the server is stopped
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"url=http://127.0.0.1:{silent.getsockname()[1]}/offres.xml"
        with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as out:
            crawl = start_crawl(
                directory, ["crawl", "hellowork", "-a", "source=x", "-a", url, "-s", "OHMYLOT_STORE_ENABLED=False",
                 "-s", "DOWNLOAD_TIMEOUT=3"],
                {**env, "SCRAPY_SETTINGS_MODULE": "crawlers.settings"}, ROOT, (stdin.fileno(), out.fileno(), out.fileno()),
            )  # fmt: skip
        time.sleep(1)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=90) == 0
        assert crawl.wait(timeout=5) is not None  # the running crawl was stopped and its end reported
        silent.close()
        assert "Serveur de collecte arrêté." in (server.stderr.read() if server.stderr else "")
        assert not (directory / "crawl-server.sock").exists()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
