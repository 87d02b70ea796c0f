"""Prebuilt in-memory indexes (ROME classifier, gazetteer) kept on disk between processes.

Every crawl is a new ``scrapy crawl`` process (``crawlers/runner.py``): building the ROME classifier from its
CSV files takes about 1.6 s of CPU and the gazetteer 0.5 s, while loading them back from a pickle takes
0.25 s and 0.2 s. ``cached_build(kind, build)`` returns ``build()``'s object, pickled the first time in the
cache directory under a name keyed by the hash of what it is built from (every module and data file of
``matching/``, the Python and library versions): a changed model, CSV or code gives a new key, never a
stale index. The file is written atomically (a temporary file, then a rename) by one process at a time
(a ``flock``: crawls started together wait for the first one's build, then load it); a missing, unreadable
or corrupt file is rebuilt, and an unwritable directory only costs the build.

``OHMYLOT_CACHE_DIR`` sets the directory (default: the platform's per-user cache directory,
``~/.cache/ohmylot`` on Linux); ``OHMYLOT_CACHE_DIR=off`` builds in memory every time. Files of other keys
older than ``MAX_AGE_DAYS`` are removed when a new one is written. Only this program writes there: a pickle
is code, so the directory must not be writable by others (it is created 0700).
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

log = logging.getLogger(__name__)

T = TypeVar("T")
PACKAGE_DIR = Path(__file__).resolve().parent
FORMAT = 1  # bump when the cache layout itself changes
MAX_AGE_DAYS = 30
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def cache_dir() -> Path | None:
    """The cache directory, or None when caching is off (``OHMYLOT_CACHE_DIR=off``)."""
    value = os.environ.get("OHMYLOT_CACHE_DIR", "").strip()
    if value.lower() in ("off", "0", "none"):
        return None
    return Path(value).expanduser() if value else Path(platformdirs.user_cache_dir("ohmylot", appauthor=False))


@lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of what the indexes are built from: ``matching/*.py``, ``matching/data/*``, Python and libraries."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FORMAT}|{sys.version}|{_library_versions()}".encode())
    files = sorted([*PACKAGE_DIR.glob("*.py"), *(p for p in (PACKAGE_DIR / "data").iterdir() if p.is_file())])
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _library_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - only when hashing

    found = []
    for name in ("numpy", "scipy", "scikit-learn", "rapidfuzz"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=-")
    return ",".join(found)


class _Pickler(pickle.Pickler):
    """Locks are rebuilt new (unlocked) rather than refused; frozen slotted dataclasses (the gazetteer's tens
    of thousands of communes) are rebuilt by their constructor, three times faster than their ``__setstate__``."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return (threading.RLock if "RLock" in type(obj).__name__ else threading.Lock, ())
        cls = type(obj)
        if _constructible(cls):
            return (cls, tuple(getattr(obj, name) for name in _init_fields(cls)))
        return NotImplemented


@lru_cache(maxsize=256)
def _constructible(cls: type) -> bool:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in vars(cls) or hasattr(cls, "__post_init__"):
        return False
    return all(f.init for f in dataclasses.fields(cls))


@lru_cache(maxsize=256)
def _init_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def cached_build(kind: str, build: Callable[[], T], *, compact: Callable[[T], T] | None = None) -> T:
    """``build()``'s result, from the cache directory when a file of the current key exists (see module).

    ``compact`` (optional) turns a fresh build into the form kept on disk (and returned), e.g. one that loads
    without a heavy library; it is not applied when caching is off (the process has paid for the build)."""
    directory = cache_dir()
    if directory is None:
        return build()
    path = directory / f"{kind}-{source_hash()}.pickle"
    found = _load(path)
    if found is not None:
        return found  # type: ignore[no-any-return]
    with _build_lock(directory, kind):  # crawls started together: one builds, the others wait and load
        found = _load(path)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = build()
        if compact is not None:
            value = compact(value)
        _store(directory, path, value)
    return value


@contextmanager
def _build_lock(directory: Path, kind: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``.<kind>.lock`` (released by the system if the builder dies); none when the
    directory cannot be written."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = (directory / f".{kind}.lock").open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _load(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            enabled = gc.isenabled()
            gc.disable()  # millions of small objects: the collector would run hundreds of times for nothing
            try:
                return pickle.load(handle)  # noqa: S301 - our own file, in a directory only we write
            finally:
                if enabled:
                    gc.enable()
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - corrupt, truncated or from an incompatible library: rebuilt
        log.warning("cache %s illisible : reconstruit", path.name)
        return None


def _store(directory: Path, path: Path, value: Any) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=f".{path.name}.", delete=False) as handle:
            try:
                _Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
            except BaseException:
                os.unlink(handle.name)
                raise
        os.replace(handle.name, path)
    except Exception as exc:  # noqa: BLE001 - a read-only or full disk only costs the next build
        log.info("cache %s non écrit (%s)", path.name, exc)
        return
    _prune(directory, path)


def _prune(directory: Path, keep: Path) -> None:
    """Remove cache files of other keys not used for ``MAX_AGE_DAYS`` (other versions of the code)."""
    limit = time.time() - MAX_AGE_DAYS * 86400
    for other in directory.glob("*.pickle"):
        try:
            if other != keep and other.stat().st_mtime < limit:
                other.unlink()
        except OSError:
            continue
