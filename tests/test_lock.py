"""The lock files pin every dependency of pyproject.toml with hashes, and are regenerated with each change of
its dependency ranges (issue: reproducible install)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import run

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements-dev.lock": ("dev",), "requirements.lock": ()}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;\\]+)", re.M)


def pinned(lock: Path) -> dict[str, str]:
    return {canonicalize_name(m.group(1)): m.group(3) for m in PIN.finditer(lock.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_lock_records_the_digest_of_the_current_dependency_ranges(name: str) -> None:
    header = (ROOT / name).read_text(encoding="utf-8").splitlines()[:5]
    recorded = [line.split(":", 1)[1].strip() for line in header if line.startswith("# pyproject-dependencies-sha256:")]
    assert recorded, f"{name} has no dependency digest: regenerate it with `python3 run.py lock`"
    assert recorded[0] == run.dependencies_digest(), (
        f"pyproject.toml's dependencies changed after {name} was generated: run `python3 run.py lock`")


@pytest.mark.parametrize(("name", "extras"), sorted(LOCKS.items()))
def test_every_declared_dependency_is_pinned_within_its_range_with_hashes(name: str, extras: tuple[str, ...]) -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = list(data["project"]["dependencies"]) + list(data["build-system"]["requires"])
    for extra in extras:
        wanted += data["project"]["optional-dependencies"][extra]
    versions = pinned(ROOT / name)
    for text in wanted:
        requirement = Requirement(text)
        key = canonicalize_name(requirement.name)
        assert key in versions, f"{requirement.name} is not pinned in {name}"
        assert requirement.specifier.contains(versions[key], prereleases=True), (
            f"{requirement.name}=={versions[key]} in {name} is outside {requirement.specifier}")
    body = (ROOT / name).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", body.split("\n", 3)[3])
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"no hash for {block.splitlines()[0]} in {name}"


def test_digest_changes_when_a_range_changes(tmp_path: Path) -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed = tmp_path / "pyproject.toml"
    changed.write_text(text.replace('"rapidfuzz>=3.6"', '"rapidfuzz>=3.7"'), encoding="utf-8")
    assert run.dependencies_digest(changed) != run.dependencies_digest()
