"""``code_version()`` keeps its file digests in ``<cache dir>/code-version.json``: a new process reads only what
changed, and a stale, foreign or broken cache never changes the version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "from crawlers.worker_client import code_version; print(code_version())"


def _version(cache: Path | str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OHMYLOT_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_the_cache_is_written_then_used_and_the_version_is_the_same(tmp_path) -> None:
    reference = _version("off")  # no cache: every file read
    assert _version(tmp_path) == reference
    saved = json.loads((tmp_path / "code-version.json").read_text(encoding="utf-8"))
    assert "crawlers/worker_client.py" in saved["files"]
    assert _version(tmp_path) == reference


def test_a_stale_entry_is_hashed_again_and_a_matching_one_is_trusted(tmp_path) -> None:
    reference = _version(tmp_path)
    path = tmp_path / "code-version.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    size, mtime, inode, _digest = saved["files"]["crawlers/worker_client.py"]
    saved["files"]["crawlers/worker_client.py"] = [size + 1, mtime, inode, "00" * 16]  # the file "changed"
    path.write_text(json.dumps(saved), encoding="utf-8")
    assert _version(tmp_path) == reference
    saved["files"]["crawlers/worker_client.py"] = [size, mtime, inode, "00" * 16]  # same key: the digest is used
    path.write_text(json.dumps(saved), encoding="utf-8")
    assert _version(tmp_path) != reference


def test_a_broken_or_foreign_cache_is_ignored(tmp_path) -> None:
    reference = _version("off")
    path = tmp_path / "code-version.json"
    path.write_text("{pas du json", encoding="utf-8")
    assert _version(tmp_path) == reference
    path.write_text(json.dumps({"root": "/ailleurs", "libraries": ["x", "y"], "files": {}}), encoding="utf-8")
    assert _version(tmp_path) == reference
