"""A crawl worker (``crawlers.worker``) for the time of a batch of crawls: the demo, the scheduler.

``crawl_worker(env)`` is a context manager: when a worker of the same code already answers in the crawls'
data directory it is used as it is; otherwise one is started (``python -m crawlers.worker DATA_DIR``, its
own lines in ``<data dir>/logs/crawl-server.log``), awaited until it answers (its preload takes about the
start-up of one crawl), and stopped (SIGTERM, then SIGKILL) when the block ends. ``OHMYLOT_CRAWL_SERVER=off``
starts nothing. It yields an ``OwnedWorker``: ``ready`` says whether a worker answered (without one the
crawls run as subprocesses), ``ensure()`` starts the owned worker again when it stopped (it stops by itself
when the code on disk changed) — the scheduler calls it at each heartbeat.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from crawlers.runner import ROOT, crawl_data_dir
from crawlers.worker import STOP_GRACE_S
from crawlers.worker_client import code_version, ping

READY_TIMEOUT_S = 120.0


def worker_disabled(env: Mapping[str, str]) -> bool:
    """``OHMYLOT_CRAWL_SERVER=off`` (crawls always in a subprocess)."""
    return env.get("OHMYLOT_CRAWL_SERVER", "").strip().lower() in ("off", "0", "no", "non")


class OwnedWorker:
    """The worker of one data directory, as seen by who started it (or found it running)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.data_dir = crawl_data_dir(self.env)
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = False

    def start(self, *, wait: bool = True, ready_timeout: float = READY_TIMEOUT_S) -> bool:
        """Use the running worker of this code, or start one (and wait for it unless ``wait`` is False)."""
        answer = ping(self.data_dir)
        if answer is not None:  # someone's worker: used if it runs this code (an old one refuses and stops)
            self.ready = bool(answer.get("ok")) and answer.get("code") == code_version()
            return self.ready
        self.process = _spawn(self.data_dir, self.env)
        self.ready = _await_ready(self.process, self.data_dir, ready_timeout) if wait else False
        return self.ready

    def ensure(self) -> None:
        """Start the owned worker again if it has stopped (e.g. after a code upgrade); does not wait."""
        if self.process is not None and self.process.poll() is not None:
            self.process = None
            self.start(wait=False)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None


@contextmanager
def crawl_worker(
    env: Mapping[str, str] | None = None, *, ready_timeout: float = READY_TIMEOUT_S
) -> Iterator[OwnedWorker]:
    """A compatible crawl worker while the block runs (see module)."""
    owned = OwnedWorker({**os.environ, **(env or {})})
    if worker_disabled(owned.env):
        yield owned
        return
    owned.start(ready_timeout=ready_timeout)
    try:
        yield owned
    finally:
        owned.stop()


def _spawn(data_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    paths = [str(ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env = {**env, "PYTHONPATH": os.pathsep.join(paths)}
    with open(os.devnull, "rb") as stdin, open(logs / "crawl-server.log", "ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "crawlers.worker", str(data_dir)],
            cwd=ROOT, env=env, stdin=stdin, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip


def _await_ready(process: subprocess.Popen[bytes], data_dir: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # it could not start (another one, a path too long): crawls run as subprocesses
        answer = ping(data_dir, timeout=1.0)
        if answer is not None:
            return bool(answer.get("ok"))
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_S + 10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
