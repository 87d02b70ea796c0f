"""A pre-loaded crawl worker ("zygote"): one long-lived process that forks one child per crawl.

A ``scrapy crawl`` subprocess spends about 2 s of CPU before its first request: Scrapy and Twisted imports,
``store.models`` and SQLAlchemy, numpy, and loading the ROME classifier and the gazetteer. The worker does all
of that once (``preload``) — without installing Twisted's reactor, opening a database or starting a thread —
then listens on a Unix socket of the data directory (``<data dir>/crawl-worker.sock``, mode 0600, peers of
the same uid only). For each request it forks a child that runs exactly what ``python -m scrapy crawl …``
runs (``scrapy.cmdline.execute`` with the same arguments, environment and working directory; the file
descriptors of its standard input, output and error are passed by the runner), in a session and process
group of its own, so the runner stops it with ``killpg`` as it stops a subprocess (RELIABILITY.md J3). The
worker answers the child's pid, reaps it when it ends (never a zombie) and sends its exit code, with
``subprocess``'s convention (``-N``: killed by signal N).

A worker serves only requests of its own code: both sides compute ``code_version()`` (the content of
``crawlers/``, ``store/`` and ``matching/`` with their data, the Python and library versions); a request from
other code, or a worker whose files changed on disk since it started, is refused (the worker then stops
accepting and exits once its running crawls end, with ``EXIT_CODE_CHANGED``; ``ohmylot crawl-worker``
starts again on the new code). The runner (``crawlers.runner.run_crawl``) falls back to a subprocess whenever
no compatible worker answers. SIGTERM or SIGINT: stop accepting, forward SIGTERM to the running crawls (they
close as recorded runs), wait for them (SIGKILL after ``STOP_GRACE_S``), exit 0.

Protocol (one JSON line each way per message): ``{"op": "ping"}`` → ``{"ok": true, "code": …, "pid": …}``;
``{"op": "crawl", "code": …, "argv": [...], "env": {...}, "cwd": …}`` with three file descriptors →
``{"pid": N}`` then ``{"exit": code}``, or ``{"error": reason, "message": French text}``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOCKET_NAME = "crawl-worker.sock"
PROTOCOL = 1
#: the packages whose code a crawl child runs (their content is the worker's version)
CODE_PACKAGES = ("crawlers", "store", "matching")
STOP_GRACE_S = 30.0
#: the worker's exit code when it stopped because the code on disk changed (start it again)
EXIT_CODE_CHANGED = 75
_LIBRARIES = ("scrapy", "twisted", "sqlalchemy", "numpy", "scipy", "lxml", "rapidfuzz")
_MAX_MESSAGE = 4 * 1024 * 1024

log = logging.getLogger("ohmylot.crawl_worker")


class WorkerError(RuntimeError):
    """The worker cannot start or serve (message in French, for the IT person)."""


# --------------------------------------------------------------------------------------------- version


_file_digests: dict[Path, tuple[tuple[int, int, int], bytes]] = {}
_library_versions: str | None = None


def _code_files() -> Iterator[Path]:
    for package in CODE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                yield path


def _file_digest(path: Path) -> bytes:
    """The file's digest, recomputed only when its size, mtime or inode changed."""
    info = path.stat()
    key = (info.st_size, info.st_mtime_ns, info.st_ino)
    known = _file_digests.get(path)
    if known is not None and known[0] == key:
        return known[1]
    digest = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    _file_digests[path] = (key, digest)
    return digest


def _libraries() -> str:
    global _library_versions
    if _library_versions is None:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - only when hashing

        found = []
        for name in _LIBRARIES:
            try:
                found.append(f"{name}={version(name)}")
            except PackageNotFoundError:
                found.append(f"{name}=-")
        _library_versions = ",".join(found)
    return _library_versions


def code_version() -> str:
    """Hash of the code a crawl runs: ``crawlers/``, ``store/``, ``matching/`` (with data), Python, libraries."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{PROTOCOL}|{sys.executable}|{sys.version}|{_libraries()}".encode())
    for path in _code_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        with suppress(OSError):
            digest.update(_file_digest(path))
    return digest.hexdigest()


def socket_path(data_dir: Path) -> Path:
    """The worker's socket in ``data_dir``."""
    return data_dir / SOCKET_NAME


# --------------------------------------------------------------------------------------------- messages


def _send(sock: socket.socket, message: Mapping[str, Any], fds: list[int] | None = None) -> None:
    data = (json.dumps(message, ensure_ascii=False) + "\n").encode()
    if fds:
        sent = socket.send_fds(sock, [data], fds)
        data = data[sent:]
    if data:
        sock.sendall(data)


class _Lines:
    """JSON lines read from a socket (with the file descriptors that came with them)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.fds: list[int] = []
        self.closed = False

    def feed(self) -> None:
        """Read what is there (the socket is readable); ``closed`` at end of stream."""
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 8)
        except (ConnectionResetError, BrokenPipeError):
            data, fds = b"", []
        self.fds.extend(fds)
        if not data:
            self.closed = True
        self.buffer += data
        if len(self.buffer) > _MAX_MESSAGE:
            self.closed = True

    def pop(self) -> dict[str, Any] | None:
        line, found, rest = self.buffer.partition(b"\n")
        if not found:
            return None
        self.buffer = rest
        try:
            message = json.loads(line)
        except ValueError:
            return {}
        return message if isinstance(message, dict) else {}


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (``SO_PEERCRED``)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


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
    list(walk("crawlers.spiders")) if walk else misc.walk_modules("crawlers.spiders")
    get_classifier()
    get_gazetteer()
    if "twisted.internet.reactor" in sys.modules:  # a reactor installed here would be shared by every child
        raise WorkerError("le réacteur Twisted a été installé au préchargement : worker inutilisable")
    gc.collect()
    gc.freeze()  # the preloaded objects stay shared with the children (copy-on-write), never scanned again


# --------------------------------------------------------------------------------------------- the child


def _child(request: Mapping[str, Any], fds: list[int], keep_closed: list[socket.socket]) -> None:
    """In the forked child: become a new session, take the runner's descriptors, run ``scrapy crawl``."""
    code = 70
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        for sock in keep_closed:
            sock.close()
        os.setsid()
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
        sys.argv = ["scrapy", *request["argv"]]
        gc.unfreeze()
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
        self.code = code or code_version()
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.readers: dict[socket.socket, _Lines] = {}
        self.children: dict[int, socket.socket] = {}
        self.stopping = False
        self.stop_deadline: float | None = None
        self.exit_code = 0
        self._wake_r, self._wake_w = socket.socketpair()

    # -- set-up

    def bind(self) -> None:
        """Listen on the socket (0600); refuse when another worker answers there."""
        if len(os.fsencode(self.path)) >= 107:
            raise WorkerError(f"chemin de socket trop long ({self.path}) : raccourcissez OHMYLOT_DATA_DIR")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if ping(self.path.parent, timeout=1.0) is not None:
            raise WorkerError(f"un worker de collecte tourne déjà ({self.path})")
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
        if self.stopping:  # a second signal: no more grace
            self._signal_children(signal.SIGKILL)
            return
        log.info("arrêt demandé (signal %d) : fin des collectes en cours", signum)
        self.begin_stop()
        self._signal_children(signal.SIGTERM)

    # -- loop

    def serve(self) -> int:
        """Serve until stopped; returns the exit code (0, or ``EXIT_CODE_CHANGED``)."""
        if self.listener is None:
            self.bind()
        self._install_signals()
        log.info("worker de collecte prêt : %s (pid %d)", self.path, os.getpid())
        try:
            while not (self.stopping and not self.children):
                timeout = 1.0
                if self.stop_deadline is not None:
                    if time.monotonic() > self.stop_deadline:
                        self._signal_children(signal.SIGKILL)
                        self.stop_deadline = time.monotonic() + 5
                for key, _events in self.selector.select(timeout):
                    self._dispatch(key)
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
        assert self.listener is not None
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
            return {"error": "stopping", "message": "le worker de collecte s'arrête"}
        if message.get("code") != self.code or code_version() != self.code:
            if code_version() != self.code:
                log.warning("le code a changé depuis le démarrage : arrêt du worker (à relancer)")
                self.exit_code = EXIT_CODE_CHANGED
                self.begin_stop()
            return {"error": "code_changed", "message": "le code a changé : worker de collecte à redémarrer"}
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
            _send(conn, {"error": "threads", "message": "worker de collecte dans un état inattendu (threads)"})
            return False
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:
            _send(conn, {"error": "fork", "message": f"lancement impossible : {exc.strerror or exc}"})
            return False
        if pid == 0:
            others = [self.listener, self._wake_r, self._wake_w, conn, *self.readers, *self.children.values()]
            _child(message, fds, others)
        self.children[pid] = conn
        try:
            _send(conn, {"pid": pid})
        except OSError:
            pass  # the runner went away: the crawl goes on (as a subprocess would), reaped when it ends
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


def _close_fds(fds: list[int]) -> None:
    for fd in fds:
        with suppress(OSError):
            os.close(fd)


# --------------------------------------------------------------------------------------------- the client


def _connect(data_dir: Path, timeout: float) -> socket.socket | None:
    path = socket_path(data_dir)
    if len(os.fsencode(path)) >= 107 or not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        if peer_uid(sock) != os.getuid():  # someone else's socket: never hand it our environment
            raise ConnectionRefusedError
    except OSError:
        sock.close()
        return None
    return sock


def _request(sock: socket.socket, message: Mapping[str, Any], fds: list[int] | None = None) -> dict[str, Any] | None:
    _send(sock, message, fds)
    lines = _Lines(sock)
    while True:
        found = lines.pop()
        if found is not None:
            _close_fds(lines.fds)
            return found
        lines.feed()
        if lines.closed:
            return None


def ping(data_dir: Path, *, timeout: float = 2.0) -> dict[str, Any] | None:
    """The worker's answer to a ping, or None when none listens in ``data_dir``."""
    sock = _connect(data_dir, timeout)
    if sock is None:
        return None
    try:
        return _request(sock, {"op": "ping"})
    except OSError:
        return None
    finally:
        sock.close()


class WorkerCrawl:
    """A crawl running in a worker's child, with ``subprocess.Popen``'s ``pid``, ``wait`` and ``returncode``."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock = sock
        self.pid = pid
        self.returncode: int | None = None
        self._lines = _Lines(sock)
        self._lost = False

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; ``subprocess.TimeoutExpired`` after ``timeout`` s (as ``Popen.wait``)."""
        import subprocess  # noqa: PLC0415

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise subprocess.TimeoutExpired(["crawl-worker", str(self.pid)], timeout or 0)
            if self._lost:  # the worker died: watch the child itself (its exit code is lost)
                if not _alive(self.pid):
                    self.returncode = 1
                else:
                    time.sleep(min(0.05, remaining if remaining is not None else 0.05))
                continue
            self.sock.settimeout(remaining)
            try:
                self._lines.feed()
            except TimeoutError:
                continue
            except OSError:
                self._lines.closed = True
            message = self._lines.pop()
            if message is not None and "exit" in message:
                self.returncode = int(message["exit"])
            elif self._lines.closed:
                self._lost = True
        self.sock.close()
        return self.returncode


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerUnavailable(RuntimeError):
    """No compatible worker took the crawl (the reason, in French); the runner falls back to a subprocess."""


def start_crawl(
    data_dir: Path, argv: list[str], env: Mapping[str, str], cwd: Path, fds: tuple[int, int, int]
) -> WorkerCrawl:
    """Hand one ``scrapy crawl`` (``argv`` without ``scrapy``) to the worker of ``data_dir``."""
    sock = _connect(data_dir, timeout=5.0)
    if sock is None:
        raise WorkerUnavailable("aucun worker de collecte")
    message = {"op": "crawl", "code": code_version(), "argv": argv, "env": dict(env), "cwd": str(cwd)}
    try:
        answer = _request(sock, message, list(fds))
    except OSError as exc:
        sock.close()
        raise WorkerUnavailable(f"worker de collecte injoignable : {exc}") from exc
    if not answer or "pid" not in answer:
        sock.close()
        raise WorkerUnavailable((answer or {}).get("message") or "le worker de collecte n'a pas répondu")
    return WorkerCrawl(sock, int(answer["pid"]))


# --------------------------------------------------------------------------------------------- running it


def run_worker(data_dir: Path) -> int:
    """Preload, listen in ``data_dir`` and serve until stopped; the exit code (see ``CrawlWorker.serve``)."""
    code = code_version()  # the code as it is before the imports: a change during them is caught at once
    if ping(data_dir, timeout=1.0) is not None:
        raise WorkerError(f"un worker de collecte tourne déjà ({socket_path(data_dir)})")
    worker = CrawlWorker(data_dir, code=code)
    started = time.process_time()
    preload()
    log.info("préchargement : %.2f s de CPU", time.process_time() - started)
    worker.bind()
    return worker.serve()


def configure_worker_logging() -> None:
    """The worker's own lines on its standard error (a crawl's log goes to the crawl's file)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s crawl-worker %(levelname)s %(message)s"))
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


__all__ = [
    "EXIT_CODE_CHANGED",
    "CrawlWorker",
    "WorkerCrawl",
    "WorkerError",
    "WorkerUnavailable",
    "code_version",
    "ping",
    "preload",
    "run_worker",
    "socket_path",
    "start_crawl",
]

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
