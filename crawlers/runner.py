"""Run one crawl as a ``scrapy crawl`` subprocess, with a timeout (RELIABILITY.md J3).

Twisted's reactor cannot be restarted inside one process, so every crawl — from ``ohmylot crawl``, the
scheduler or the demo — is a separate ``python -m scrapy crawl <platform> -a source=<id> -a url=<url> …``
started from the repository root, with the current ``OHMYLOT_DATABASE_URL``. The runner creates the
``CrawlRun`` row first and passes it (``-s OHMYLOT_RUN_ID=N``), so a crawl that crashes or is killed at its
timeout is still recorded, as ``failed``. The crawl's log goes to ``<data dir>/logs/``.

When a pre-loaded crawl worker listens in the data directory (``crawlers.worker``, ``ohmylot crawl-server``)
and runs the same code, the same command runs in a child forked by the worker instead (same arguments,
environment, working directory, log and process group; about 2 s of CPU less per crawl). Without one, or
with ``OHMYLOT_CRAWL_SERVER=off``, or when the worker refuses (other code), it is a subprocess as above.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawlers.managed import find_source
from crawlers.registry import SourceEntry
from store.crawls import fail_run, start_run, sync_sources
from store.db import Database, open_database
from store.leases import SourceBusy, beat, lease_timing, release
from store.models import CrawlRun
from store.postings import ensure_source
from store.settings import get_store_settings

ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger(__name__)
#: seconds between two progress polls of the run row
POLL_SECONDS = 0.5
# Alembic's migration context is process-global: threads that start crawls open the database one at a time.
_OPEN_LOCK = threading.Lock()


class CrawlSetupError(RuntimeError):
    """The crawl cannot start (unknown or inactive source, no URL); the message is for staff (French)."""


@dataclass
class CrawlOutcome:
    """What a crawl did (``status``: success | partial | failed, as recorded in ``crawl_run``)."""

    source_id: str
    returncode: int | None
    run_id: int | None
    status: str
    items_scraped: int = 0
    items_dropped: int = 0
    new: int = 0
    updated: int = 0
    closed: int = 0
    duration_s: float = 0.0
    timed_out: bool = False
    finish_reason: str | None = None
    log_path: str | None = None
    health: tuple[str, ...] = ()
    partial_reasons: tuple[str, ...] = ()


@dataclass
class CrawlProgress:
    """A snapshot of a running crawl, for progress displays."""

    source_id: str
    run_id: int
    items_scraped: int
    new: int
    updated: int
    elapsed_s: float


def graceful_timeout(timeout: float) -> int:
    """``CLOSESPIDER_TIMEOUT`` for a crawl killed after ``timeout`` s: the spider closes itself first."""
    return max(1, int(timeout * 0.9 - 5))


def _setting_value(value: object) -> str:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def build_command(
    platform: str, source_id: str, *, url: str | None, settings: Mapping[str, object], spider_args: Mapping[str, str]
) -> list[str]:
    """The ``python -m scrapy crawl`` command line of one crawl."""
    command = [sys.executable, "-m", "scrapy", "crawl", platform, "-a", f"source={source_id}"]
    if url:
        command += ["-a", f"url={url}"]
    for key, value in spider_args.items():
        if key not in ("source", "url"):
            command += ["-a", f"{key}={value}"]
    for key, value in settings.items():
        command += ["-s", f"{key}={_setting_value(value)}"]
    return command


def _log_dir(environ: Mapping[str, str]) -> Path:
    data_dir = environ.get("OHMYLOT_DATA_DIR", "").strip()
    path = (Path(data_dir).expanduser() if data_dir else get_store_settings().resolved_data_dir()) / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def crawl_data_dir(environ: Mapping[str, str]) -> Path:
    """The data directory of crawls run with ``environ`` (their logs, the crawl worker's socket)."""
    return _log_dir(environ).parent


def _kill(process: Any) -> None:
    """Stop the crawl's process group: SIGTERM, then SIGKILL after 5 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=5)


def run_crawl(
    source_id: str,
    *,
    url: str | None = None,
    spider: str | None = None,
    settings: dict[str, object] | None = None,
    spider_args: dict[str, str] | None = None,
    timeout: float = 3600,
    env: dict[str, str] | None = None,
    on_progress: Callable[[CrawlProgress], None] | None = None,
    allow_inactive: bool = False,
    cancel: threading.Event | None = None,
    lease_key: str | None = None,
    use_worker: bool | None = None,
) -> CrawlOutcome:
    """Crawl one source in a subprocess; kill it after ``timeout`` seconds. See the module docstring.

    ``source_id`` is a registry id; an id the registry does not know needs ``spider`` (the platform) and
    ``url``. ``settings`` become ``-s KEY=VALUE``, ``spider_args`` ``-a key=value`` (added to the registry's
    ``args``). Unless ``settings`` say otherwise, the spider is asked to close by itself a little before the
    timeout (``CLOSESPIDER_TIMEOUT``), so that a long crawl ends as a recorded partial run rather than a kill.
    ``on_progress`` receives snapshots while it runs; setting ``cancel`` stops it (run marked failed,
    ``cancelled``). Raises ``CrawlSetupError`` when the crawl cannot start, in particular when the source is
    being crawled already (``store.leases``: one crawl of a source at a time; the workers of one distributed
    crawl share ``lease_key``). While the crawl runs, this process gives the run's heartbeat.
    ``use_worker``: None runs the crawl in the data directory's crawl worker when a compatible one answers
    (``OHMYLOT_CRAWL_SERVER=off``: never), False always in a subprocess, True only in the worker (a setup error
    when none takes it).
    """
    full_env = {**os.environ, **(env or {})}
    target = _resolve_target(
        source_id, url=url, spider=spider, spider_args=spider_args, allow_inactive=allow_inactive,
        database_url=full_env.get("OHMYLOT_DATABASE_URL") or None,
    )
    shared = (settings or {}).get("OHMYLOT_DISTRIBUTED_KEY")  # the workers of one distributed run share a lease
    key = lease_key or (f"distributed:{shared}" if shared else secrets.token_hex(16))
    with _OPEN_LOCK:
        db = open_database(full_env.get("OHMYLOT_DATABASE_URL") or None)
    full_env["OHMYLOT_DATABASE_URL"] = db.url
    try:
        run_id = _start_run(db, target, key)
        log_path = _open_log(db, full_env, source_id, run_id)
        command = build_command(
            target.platform,
            source_id,
            url=target.start_url,
            settings={
                "CLOSESPIDER_TIMEOUT": graceful_timeout(timeout),
                **(settings or {}),
                "OHMYLOT_RUN_ID": run_id,
                "OHMYLOT_LEASE_KEY": key,
                "LOG_FILE": str(log_path),
            },
            spider_args=target.args,
        )
        _crawl_environment(full_env)
        started = time.monotonic()
        watch = _Watch(db, source_id, run_id, key, started, timeout, cancel, on_progress)
        returncode = _run_process(command, full_env, log_path, watch, _worker_wanted(use_worker, full_env))
        return _finish(db, watch, returncode, time.monotonic() - started, log_path)
    finally:
        db.engine.dispose()


@dataclass
class _Target:
    """What to crawl: the registry entry (if any), the spider, the start URL(s) and the spider arguments."""

    source_id: str
    entry: SourceEntry | None
    platform: str
    start_url: str
    args: dict[str, str]


def _resolve_target(
    source_id: str,
    *,
    url: str | None,
    spider: str | None,
    spider_args: dict[str, str] | None,
    allow_inactive: bool,
    database_url: str | None,
) -> _Target:
    entry: SourceEntry | None = find_source(source_id, database_url=database_url)
    if entry is None and not spider:
        raise CrawlSetupError(f"source inconnue : {source_id} (voir « ohmylot sources list »)")
    if entry is not None and not entry.active and not allow_inactive and url is None:
        raise CrawlSetupError(f"la source {source_id} est inactive : {entry.inactive_reason}")
    platform = spider or (entry.platform if entry else "")
    start_url = url or (entry.url if entry else None)
    if not start_url:
        raise CrawlSetupError(f"la source {source_id} n'a pas d'adresse : indiquez-en une (--url)")
    args = dict(entry.args) if entry is not None else {}
    args.update(spider_args or {})
    return _Target(source_id, entry, platform, start_url, args)


def _start_run(db: Database, target: _Target, key: str) -> int:
    """Sync the source row and create the run (taking the source's lease); returns the run's id."""
    with db.session() as session:
        if target.entry is not None:
            sync_sources(session, [target.entry], prune=False)
        else:
            ensure_source(session, target.source_id, platform=target.platform)
        try:
            return start_run(session, target.source_id, lease_key=key).id
        except SourceBusy as exc:
            raise CrawlSetupError(str(exc)) from exc


def _open_log(db: Database, env: Mapping[str, str], source_id: str, run_id: int) -> Path:
    """The crawl's log file, created; a log that cannot be written fails the run with its reason."""
    try:
        log_path = _log_dir(env) / f"crawl-{source_id}-{run_id}.log"
        log_path.touch()
    except OSError as exc:  # disk full, permission lost: the run fails with its reason, never stays running
        reason = f"journal de collecte impossible à écrire ({exc.strerror or exc}) : vérifiez OHMYLOT_DATA_DIR"
        with db.session() as session:
            fail_run(session, run_id, "setup_failed", detail=reason)
        raise CrawlSetupError(reason) from exc
    return log_path


def _crawl_environment(env: dict[str, str]) -> None:
    """The subprocess's settings module and import path (this repository first)."""
    # Installed from a wheel there is no scrapy.cfg: name the settings module so that ``scrapy crawl`` works.
    env.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])


@dataclass
class _Watch:
    """What the runner watches while the subprocess runs, and how it ended (timed out, cancelled)."""

    db: Database
    source_id: str
    run_id: int
    key: str
    started: float
    timeout: float
    cancel: threading.Event | None
    on_progress: Callable[[CrawlProgress], None] | None
    timed_out: bool = False
    cancelled: bool = False


def _worker_wanted(use_worker: bool | None, env: Mapping[str, str]) -> bool | None:
    """None: the worker if one answers; True: the worker only; False: a subprocess."""
    if use_worker is not None:
        return use_worker
    if env.get("OHMYLOT_CRAWL_SERVER", "").strip().lower() in ("off", "0", "no", "non"):
        return False
    # a run asked to build its indexes (no cache) is not served from the worker's preloaded ones
    return False if env.get("OHMYLOT_CACHE_DIR", "").strip().lower() in ("off", "0", "none") else None


def _run_process(
    command: list[str], env: dict[str, str], log_path: Path, watch: _Watch, use_worker: bool | None = None
) -> int | None:
    """Start the crawl (in the worker or a subprocess) and wait for it (progress, heartbeat, timeout, cancel)."""
    with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as devnull, open(log_path, "ab") as log:
        process: Any = None
        if use_worker is not False:
            process = _start_in_worker(command, env, (stdin.fileno(), devnull.fileno(), log.fileno()), watch)
            if process is None and use_worker:
                with watch.db.session() as session:
                    fail_run(session, watch.run_id, "setup_failed", detail="aucun serveur de collecte compatible")
                raise CrawlSetupError(f"collecte de {watch.source_id} : aucun serveur de collecte compatible")
        if process is None:
            try:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    command, cwd=ROOT, env=env, stdout=devnull, stderr=log, start_new_session=True
                )
            except OSError as exc:  # out of memory or processes: the run fails with its reason
                with watch.db.session() as session:
                    fail_run(session, watch.run_id, "setup_failed", detail=f"lancement impossible : {exc}")
                raise CrawlSetupError(f"collecte de {watch.source_id} impossible à lancer : {exc}") from exc
        try:
            _wait(process, watch)
        except BaseException:
            _kill(process)
            raise
    return process.returncode  # type: ignore[no-any-return]


def _start_in_worker(command: list[str], env: dict[str, str], fds: tuple[int, int, int], watch: _Watch) -> Any:
    """The crawl handed to the data directory's worker (``crawlers.worker``), or None when none takes it."""
    from crawlers.worker_client import WorkerUnavailable, socket_path, start_crawl  # noqa: PLC0415

    data_dir = crawl_data_dir(env)
    if command[1:3] != ["-m", "scrapy"] or not socket_path(data_dir).exists():
        return None
    try:
        return start_crawl(data_dir, command[3:], env, ROOT, fds)
    except WorkerUnavailable as exc:
        logger.info("collecte de %s hors serveur de collecte : %s", watch.source_id, exc)
        return None


def _wait(process: Any, watch: _Watch) -> None:
    last_beat = watch.started
    while True:
        remaining = watch.timeout - (time.monotonic() - watch.started)
        if watch.cancel is not None and watch.cancel.is_set():
            watch.cancelled = True
            _kill(process)
            return
        if remaining <= 0:
            watch.timed_out = True
            _kill(process)
            return
        try:
            process.wait(timeout=min(POLL_SECONDS, remaining))
            return
        except subprocess.TimeoutExpired:
            if watch.on_progress is not None:
                _report(watch.db, watch.source_id, watch.run_id, watch.started, watch.on_progress)
            last_beat = _beat(watch.db, watch.run_id, watch.key, last_beat)


def _finish(db: Database, watch: _Watch, returncode: int | None, duration: float, log_path: Path) -> CrawlOutcome:
    """Release the lease, fail the run if the subprocess did not record its end, and describe the outcome."""
    with db.session() as session:
        release(session, watch.source_id, watch.key)
        if watch.cancelled:
            fail_run(session, watch.run_id, "cancelled", detail="interrompue")
        elif watch.timed_out:
            fail_run(session, watch.run_id, "timeout", detail=f"arrêtée après {watch.timeout:g} s")
        elif returncode != 0:
            fail_run(session, watch.run_id, "crashed", detail=f"code de sortie {returncode}")
        else:
            fail_run(session, watch.run_id, "not_recorded", detail="la collecte n'a pas enregistré son résultat")
        run = session.get(CrawlRun, watch.run_id)
        stats = dict(run.stats or {}) if run else {}
        return CrawlOutcome(
            source_id=watch.source_id,
            returncode=returncode,
            run_id=watch.run_id,
            status=run.status if run else "failed",
            items_scraped=run.items_scraped if run else 0,
            items_dropped=run.items_dropped if run else 0,
            new=run.items_new if run else 0,
            updated=run.items_updated if run else 0,
            closed=run.items_closed if run else 0,
            duration_s=round(duration, 3),
            timed_out=watch.timed_out,
            finish_reason=run.finish_reason if run else None,
            log_path=str(log_path),
            health=tuple(issue.get("message", "") for issue in stats.get("health", []) if isinstance(issue, dict)),
            partial_reasons=tuple(stats.get("partial_reasons", [])),
        )


def _beat(db: object, run_id: int, key: str, last: float) -> float:
    """Give the run's heartbeat when it is due; returns when it was last given."""
    if time.monotonic() - last < lease_timing().heartbeat_s:
        return last
    try:
        with db.session() as session:  # type: ignore[attr-defined]
            beat(session, run_id, key=key)
    except Exception:  # noqa: BLE001 - a busy database delays one beat; the next one comes soon
        return last
    return time.monotonic()


def _report(
    db: object, source_id: str, run_id: int, started: float, on_progress: Callable[[CrawlProgress], None]
) -> None:
    try:
        with db.session() as session:  # type: ignore[attr-defined]
            run = session.get(CrawlRun, run_id)
            if run is None:
                return
            progress = CrawlProgress(
                source_id, run_id, run.items_scraped, run.items_new, run.items_updated, time.monotonic() - started
            )
    except Exception:  # noqa: BLE001 - progress is best effort (the database may be busy)
        return
    on_progress(progress)
