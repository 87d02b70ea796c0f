"""The crawl server (``ohmylot crawl-server``): a pre-loaded worker ("zygote") that forks one child per crawl.

A ``scrapy crawl`` subprocess spends about 2 s of CPU before its first request: Scrapy and Twisted imports,
``store.models`` and SQLAlchemy, numpy, and loading the ROME classifier and the gazetteer. The worker does all
of that once (``preload``) — without installing Twisted's reactor, opening a database or starting a thread —
then listens on a Unix socket of the data directory (``<data dir>/crawl-server.sock``, mode 0600, peers of
the same uid only). For each request it forks a child that runs exactly what ``python -m scrapy crawl …``
runs (``scrapy.cmdline.execute`` with the same arguments, environment and working directory; the file
descriptors of its standard input, output and error are passed by the runner), in a session and process
group of its own, so the runner stops it with ``killpg`` as it stops a subprocess (RELIABILITY.md J3). The
worker answers the child's pid, reaps it when it ends (never a zombie) and sends its exit code, with
``subprocess``'s convention (``-N``: killed by signal N).

A worker serves only requests of its own code: both sides compute ``code_version()`` (the content of
``crawlers/``, ``store/`` and ``matching/`` with their data, the Python and library versions); a request from
other code, or a worker whose files changed on disk since it started, is refused (the worker then stops
accepting and exits once its running crawls end, with ``EXIT_CODE_CHANGED``; ``ohmylot crawl-server``
starts again on the new code). The runner (``crawlers.runner.run_crawl``) falls back to a subprocess whenever
no compatible worker answers. SIGTERM or SIGINT: stop accepting, forward SIGTERM to the running crawls (they
close as recorded runs), wait for them (SIGKILL after ``STOP_GRACE_S``), exit 0.

Protocol (one JSON line each way per message): ``{"op": "ping"}`` → ``{"ok": true, "code": …, "pid": …}``;
``{"op": "crawl", "code": …, "argv": [...], "env": {...}, "cwd": …}`` with three file descriptors →
``{"pid": N}`` then ``{"exit": code}``, or ``{"error": reason, "message": French text}``.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from crawlers.worker_client import (
    WorkerCrawl,
    WorkerUnavailable,
    _close_fds,
    _Lines,
    _send,
    code_version,
    peer_uid,
    ping,
    socket_path,
    start_crawl,
)

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 30.0
#: the worker's exit code when it stopped because the code on disk changed (start it again)
EXIT_CODE_CHANGED = 75

log = logging.getLogger("ohmylot.crawl_worker")
_DOTTED = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+")
__all__ = ["CrawlWorker", "WorkerCrawl", "WorkerUnavailable", "code_version", "ping", "run_worker", "start_crawl"]


class WorkerError(RuntimeError):
    """The worker cannot start or serve (message in French, for the IT person)."""


# --------------------------------------------------------------------------------------------- preload


def preload() -> None:
    """Import what every crawl imports and load the prebuilt indexes, once; no reactor, database or thread."""
    import numpy  # noqa: F401, PLC0415
    import scrapy.cmdline  # noqa: F401, PLC0415
    import scrapy.crawler  # noqa: F401, PLC0415
    from scrapy.utils import misc  # noqa: PLC0415

    import crawlers.distributed  # noqa: F401, PLC0415
    import crawlers.extensions  # noqa: F401, PLC0415
    import crawlers.jsonlogs  # noqa: F401, PLC0415
    import crawlers.pipelines  # noqa: F401, PLC0415
    import crawlers.ratelimit  # noqa: F401, PLC0415
    import crawlers.robots  # noqa: F401, PLC0415
    import crawlers.settings  # noqa: F401, PLC0415
    import store.models  # noqa: F401, PLC0415
    from matching.geo import get_gazetteer  # noqa: PLC0415
    from matching.rome import get_classifier  # noqa: PLC0415

    walk = getattr(misc, "walk_modules_iter", None)
    for package in ("crawlers.spiders", "scrapy.commands"):  # the spiders, and the commands ``execute`` lists
        list(walk(package)) if walk else misc.walk_modules(package)
    _preload_components()
    from sqlalchemy.orm import configure_mappers  # noqa: PLC0415

    configure_mappers()  # the models' mappers, set up once (in memory: no database is touched)
    get_classifier()
    get_gazetteer()
    if "twisted.internet.reactor" in sys.modules:  # a reactor installed here would be shared by every child
        raise WorkerError("le réacteur Twisted a été installé au préchargement : serveur inutilisable")
    gc.collect()
    gc.freeze()  # the preloaded objects stay shared with the children (copy-on-write), never scanned again


def _preload_components() -> None:
    """Import every component the settings name (download handlers, middlewares, extensions, pipelines,
    scheduler…): a crawl would import them in its engine's set-up (the TLS context factory alone ≈ 0.5 s)."""
    from scrapy.settings import Settings  # noqa: PLC0415
    from scrapy.utils.misc import load_object  # noqa: PLC0415

    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    paths: set[str] = set()
    for name in settings.attributes:
        value = settings.get(name)
        candidates = list(value) if isinstance(value, dict | list | tuple) else [value]
        if hasattr(value, "keys"):
            candidates = list(value.keys())
        paths.update(c for c in candidates if isinstance(c, str) and _DOTTED.fullmatch(c))
    for path in sorted(paths):
        with suppress(Exception):  # an optional component whose library is absent: the crawl says so itself
            load_object(path)


# --------------------------------------------------------------------------------------------- the child


def _child(request: Mapping[str, Any], fds: list[int], keep_closed: list[socket.socket], ready: int) -> None:
    """In the forked child: become a new session, take the runner's descriptors, run ``scrapy crawl``."""
    code = 70
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        for sock in keep_closed:
            sock.close()
        os.setsid()
        os.write(ready, b"1")  # its process group exists: the runner may now signal it
        os.close(ready)
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        sys.argv = ["scrapy", *request["argv"]]  # the preloaded objects stay frozen: the child's GC skips them
        code = _run_scrapy(sys.argv)
    except BaseException:  # noqa: BLE001 - anything: the child ends here, never back in the worker's loop
        import traceback  # noqa: PLC0415

        with suppress(Exception):
            traceback.print_exc()
    finally:
        with suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _run_scrapy(argv: list[str]) -> int:
    from scrapy.cmdline import execute  # noqa: PLC0415

    try:
        execute(argv)
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    return 0


# --------------------------------------------------------------------------------------------- the server


class CrawlWorker:
    """The server: ``serve()`` until SIGTERM/SIGINT (or the code changed); one forked child per crawl."""

    def __init__(self, data_dir: Path, *, code: str | None = None) -> None:
        self.path = socket_path(data_dir)
        if len(os.fsencode(self.path)) >= 107:
            raise WorkerError(f"chemin de socket trop long ({self.path}) : raccourcissez OHMYLOT_DATA_DIR")
        self.code = code or code_version()
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.readers: dict[socket.socket, _Lines] = {}
        self.children: dict[int, socket.socket] = {}
        self.stopping = False
        self.stop_requested = False
        self.signals: list[int] = []
        self.stop_deadline: float | None = None
        self.exit_code = 0
        self._wake_r, self._wake_w = socket.socketpair()

    # -- set-up

    def bind(self) -> None:
        """Listen on the socket (0600); refuse when another worker answers there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if ping(self.path.parent, timeout=1.0) is not None:
            raise WorkerError(f"un serveur de collecte tourne déjà ({self.path})")
        with suppress(FileNotFoundError):
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        except OSError as exc:
            listener.close()
            raise WorkerError(f"socket {self.path} impossible à créer : {exc.strerror or exc}") from exc
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        listener.listen(64)
        listener.setblocking(False)
        self.listener = listener
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, "wake")

    def _install_signals(self) -> None:
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop through the wake-up fd

    def _on_stop(self, signum: int, _frame: object) -> None:
        """The signal handler only records the signal: the loop acts on it (``_handle_signals``)."""
        self.signals.append(signum)

    def _handle_signals(self) -> None:
        while self.signals:
            signum = self.signals.pop(0)
            if self.stopping and self.stop_requested:  # a second signal: no more grace
                self._signal_children(signal.SIGKILL)
                continue
            log.info("arrêt demandé (signal %d) : fin des collectes en cours", signum)
            self.stop_requested = True
            self.begin_stop()
            self._signal_children(signal.SIGTERM)

    # -- loop

    def serve(self) -> int:
        """Serve until stopped; returns the exit code (0, or ``EXIT_CODE_CHANGED``)."""
        if self.listener is None:
            self.bind()
        self._install_signals()
        log.info("serveur de collecte prêt : %s (pid %d)", self.path, os.getpid())
        try:
            while not (self.stopping and not self.children):
                timeout = 1.0
                if self.stop_deadline is not None:
                    if time.monotonic() > self.stop_deadline:
                        self._signal_children(signal.SIGKILL)
                        self.stop_deadline = time.monotonic() + 5
                for key, _events in self.selector.select(timeout):
                    self._dispatch(key)
                    self._handle_signals()
                self._handle_signals()
                self._reap()
        finally:
            self._close()
        return self.exit_code

    def _dispatch(self, key: selectors.SelectorKey) -> None:
        if key.data == "wake":
            with suppress(BlockingIOError):
                while self._wake_r.recv(4096):
                    pass
        elif key.data == "accept":
            self._accept()
        else:
            self._read(key.fileobj)  # type: ignore[arg-type]

    def _accept(self) -> None:
        if self.stopping or self.listener is None:  # closed by a stop handled earlier in this round
            return
        try:
            conn, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        if peer_uid(conn) != os.getuid():
            log.warning("connexion refusée : autre utilisateur")
            conn.close()
            return
        conn.setblocking(True)
        conn.settimeout(5)
        self.readers[conn] = _Lines(conn)
        self.selector.register(conn, selectors.EVENT_READ, "conn")

    def _read(self, conn: socket.socket) -> None:
        lines = self.readers[conn]
        try:
            lines.feed()
        except OSError:
            lines.closed = True
        message = lines.pop()
        if message is not None:
            self.selector.unregister(conn)
            del self.readers[conn]
            self._answer(conn, message, lines.fds)
        elif lines.closed:
            self.selector.unregister(conn)
            del self.readers[conn]
            _close_fds(lines.fds)
            conn.close()

    def _answer(self, conn: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        try:
            if message.get("op") == "ping":
                _send(conn, {"ok": not self.stopping, "code": self.code, "pid": os.getpid()})
            elif message.get("op") == "crawl":
                if self._start_crawl(conn, message, fds):
                    return  # the connection stays open until the child ends
            else:
                _send(conn, {"error": "bad_request", "message": "requête inconnue"})
        except OSError:
            pass
        finally:
            _close_fds(fds)
        conn.close()

    def _refusal(self, message: Mapping[str, Any], fds: list[int]) -> dict[str, str] | None:
        if self.stopping:
            return {"error": "stopping", "message": "le serveur de collecte s'arrête"}
        if message.get("code") != self.code or code_version() != self.code:
            if code_version() != self.code:
                log.warning("le code a changé depuis le démarrage : arrêt du serveur (à relancer)")
                self.exit_code = EXIT_CODE_CHANGED
                self.begin_stop()
            return {"error": "code_changed", "message": "le code a changé : serveur de collecte à redémarrer"}
        argv, env, cwd = message.get("argv"), message.get("env"), message.get("cwd")
        if not (isinstance(argv, list) and argv[:1] == ["crawl"] and isinstance(env, dict) and isinstance(cwd, str)):
            return {"error": "bad_request", "message": "requête de collecte invalide"}
        if len(fds) != 3:
            return {"error": "bad_request", "message": "descripteurs de sortie manquants"}
        return None

    def _start_crawl(self, conn: socket.socket, message: dict[str, Any], fds: list[int]) -> bool:
        refusal = self._refusal(message, fds)
        if refusal is not None:
            _send(conn, refusal)
            return False
        assert self.listener is not None
        if threading.active_count() != 1:  # never fork with a thread running (its locks would stay held)
            _send(conn, {"error": "threads", "message": "serveur de collecte dans un état inattendu (threads)"})
            return False
        sys.stdout.flush()
        sys.stderr.flush()
        ready_r, ready_w = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(ready_r)
            os.close(ready_w)
            _send(conn, {"error": "fork", "message": f"lancement impossible : {exc.strerror or exc}"})
            return False
        if pid == 0:
            others = [self.listener, self._wake_r, self._wake_w, conn, *self.readers, *self.children.values()]
            os.close(ready_r)
            _child(message, fds, others, ready_w)
        os.close(ready_w)
        with suppress(OSError):
            os.read(ready_r, 1)  # until the child has its own session (or has died)
        os.close(ready_r)
        self.children[pid] = conn
        try:
            _send(conn, {"pid": pid})
        except OSError:  # the runner gave up waiting (it may run the crawl itself): never two crawls of one run
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        log.info("collecte lancée (pid %d) : %s", pid, " ".join(message["argv"][:2]))
        return True

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            code = os.waitstatus_to_exitcode(status)
            log.info("collecte terminée (pid %d) : code %d", pid, code)
            if conn is not None:
                with suppress(OSError):
                    conn.settimeout(2)
                    _send(conn, {"exit": code})
                conn.close()

    # -- stop

    def begin_stop(self) -> None:
        """Stop accepting (the socket disappears); ``serve`` returns when the running crawls have ended."""
        if self.stopping:
            return
        self.stopping = True
        self.stop_deadline = time.monotonic() + STOP_GRACE_S
        if self.listener is not None:
            with suppress(KeyError, ValueError):
                self.selector.unregister(self.listener)
            self.listener.close()
            with suppress(FileNotFoundError):
                self.path.unlink()

    def _signal_children(self, signum: int) -> None:
        for pid in list(self.children):
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signum)

    def _close(self) -> None:
        self.begin_stop()
        for conn in list(self.readers):
            conn.close()
        self.readers.clear()
        with suppress(Exception):
            signal.set_wakeup_fd(-1)
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()




# --------------------------------------------------------------------------------------------- running it


def run_worker(data_dir: Path) -> int:
    """Preload, listen in ``data_dir`` and serve until stopped; the exit code (see ``CrawlWorker.serve``)."""
    code = code_version()  # the code as it is before the imports: a change during them is caught at once
    worker = CrawlWorker(data_dir, code=code)
    if ping(data_dir, timeout=1.0) is not None:
        raise WorkerError(f"un serveur de collecte tourne déjà ({socket_path(data_dir)})")
    started = time.process_time()
    preload()
    log.info("préchargement : %.2f s de CPU", time.process_time() - started)
    worker.bind()
    return worker.serve()


def configure_worker_logging() -> None:
    """The worker's own lines on its standard error (a crawl's log goes to the crawl's file)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s crawl-server %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage : python -m crawlers.worker DOSSIER_DE_DONNEES\n")
        return 2
    configure_worker_logging()
    try:
        return run_worker(Path(argv[0]))
    except WorkerError as exc:
        sys.stderr.write(f"Erreur : {exc}\n")
        return 1



if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
