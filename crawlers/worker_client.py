"""The crawl server's shared parts and its client (``crawlers.worker`` is the server).

``code_version()`` is the hash both sides compare (the content of ``crawlers/``, ``store/`` and ``matching/``
with their data, Python and the libraries; a file is re-read only when its size, mtime or inode changed).
Messages are JSON lines over the Unix socket ``<data dir>/crawl-server.sock``; ``start_crawl`` hands one
``scrapy crawl`` to the server with the file descriptors of its standard input, output and error and returns
a ``WorkerCrawl``, which the runner waits for and kills as it does a ``subprocess.Popen``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOCKET_NAME = "crawl-server.sock"
PROTOCOL = 1
#: the packages whose code a crawl child runs (their content is the server's version)
CODE_PACKAGES = ("crawlers", "store", "matching")
_LIBRARIES = ("scrapy", "twisted", "sqlalchemy", "numpy", "scipy", "lxml", "rapidfuzz")
_MAX_MESSAGE = 4 * 1024 * 1024
#: how long a runner waits for the server to fork its crawl (it answers in milliseconds when not overloaded)
ANSWER_TIMEOUT_S = 60.0


class WorkerUnavailable(RuntimeError):
    """No compatible server took the crawl (the reason, in French); the runner falls back to a subprocess."""


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
    _disk["dirty"] = True
    return digest


def _library_key() -> str:
    """What changes when a library is installed or upgraded: the interpreter and its site-packages' mtimes."""
    stamps = [sys.executable, sys.version]
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            with suppress(OSError):
                stamps.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
    return "|".join(stamps)


def _libraries() -> str:
    global _library_versions
    if _library_versions is None:
        _load_disk()
    if _library_versions is None:
        _disk["dirty"] = True
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
    """Hash of the code a crawl runs: ``crawlers/``, ``store/``, ``matching/`` (with data), Python, libraries.

    The files' digests and the libraries' versions are kept in ``<cache dir>/code-version.json`` (keyed by
    each file's size, mtime and inode, and by the site-packages' mtimes): a new process (``ohmylot crawl``)
    reads only what changed instead of every file and every library's metadata."""
    _load_disk()
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{PROTOCOL}|{sys.executable}|{sys.version}|{_libraries()}".encode())
    for path in _code_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        with suppress(OSError):
            digest.update(_file_digest(path))
    if _disk["dirty"]:
        _save_disk()
    return digest.hexdigest()


_DISK_NAME = "code-version.json"
_disk: dict[str, bool] = {"loaded": False, "dirty": False}


def _disk_path() -> Path | None:
    from matching.cache import cache_dir  # noqa: PLC0415 - only when hashing

    directory = cache_dir()
    return None if directory is None else directory / _DISK_NAME


def _load_disk() -> None:
    """Once per process: the digests and library versions a previous process saved (when still valid)."""
    global _library_versions
    if _disk["loaded"]:
        return
    _disk["loaded"] = True
    path = _disk_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path is not None else None
    except (OSError, ValueError):
        return
    if not isinstance(data, dict) or data.get("root") != str(ROOT):
        return
    libraries = data.get("libraries")
    if _library_versions is None and isinstance(libraries, list) and libraries[:1] == [_library_key()]:
        _library_versions = str(libraries[1])
    files = data.get("files")
    for relative, entry in (files if isinstance(files, dict) else {}).items():
        with suppress(TypeError, ValueError):
            size, mtime, inode, hexdigest = entry
            _file_digests.setdefault(ROOT / relative, ((int(size), int(mtime), int(inode)), bytes.fromhex(hexdigest)))


def _save_disk() -> None:
    """Write the known digests for the next process (atomically; a cache that cannot be written is skipped)."""
    _disk["dirty"] = False
    path = _disk_path()
    if path is None:
        return
    files = {
        str(file.relative_to(ROOT)): [*key, digest.hex()]
        for file, (key, digest) in _file_digests.items()
        if file.is_relative_to(ROOT)
    }
    data = {"root": str(ROOT), "libraries": [_library_key(), _library_versions], "files": files}
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, path)


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
                raise subprocess.TimeoutExpired(["crawl-server", str(self.pid)], timeout or 0)
            if self._lost:  # the worker died: watch the child itself (its exit code is lost)
                if not pid_alive(self.pid):
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


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists on this machine (one of another user counts)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_crawl(
    data_dir: Path, argv: list[str], env: Mapping[str, str], cwd: Path, fds: tuple[int, int, int]
) -> WorkerCrawl:
    """Hand one ``scrapy crawl`` (``argv`` without ``scrapy``) to the worker of ``data_dir``."""
    sock = _connect(data_dir, timeout=5.0)
    if sock is None:
        raise WorkerUnavailable("aucun serveur de collecte")
    message = {"op": "crawl", "code": code_version(), "argv": argv, "env": dict(env), "cwd": str(cwd)}
    sock.settimeout(ANSWER_TIMEOUT_S)  # long: a runner that gives up falls back to a subprocess (see the server)
    try:
        answer = _request(sock, message, list(fds))
    except OSError as exc:
        sock.close()
        raise WorkerUnavailable(f"serveur de collecte injoignable : {exc}") from exc
    if not answer or "pid" not in answer:
        sock.close()
        raise WorkerUnavailable((answer or {}).get("message") or "le serveur de collecte n'a pas répondu")
    return WorkerCrawl(sock, int(answer["pid"]))
