"""The service files of deploy/ work as written: the systemd units pass ``systemd-analyze verify`` (against
a root holding the paths they name), the environment file reads back exactly the values it shows, and the
compose file runs the image's commands for PostgreSQL + Redis + web + scheduler (issue 22)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = ["ohmylot-web.service", "ohmylot-scheduler.service", "ohmylot-crawl-workers@.service"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
@pytest.mark.parametrize("unit", UNITS)
def test_systemd_unit_verifies_cleanly(unit: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(DEPLOY / "systemd" / name, units / name)
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
    for executable in set(re.findall(r"^Exec\w*=(\S+)", text, re.MULTILINE)):
        target = root / executable.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\n", encoding="utf-8")
        target.chmod(0o755)
    env_file = re.search(r"^EnvironmentFile=(\S+)", text, re.MULTILINE).group(1)
    (root / env_file.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEPLOY / "ohmylot.env.example", root / env_file.lstrip("/"))
    for path in re.findall(r"^(?:ReadWritePaths|WorkingDirectory)=(\S+)", text, re.MULTILINE):
        (root / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
    name = unit.replace("@.", "@francetravail-lot.")
    result = subprocess.run(["systemd-analyze", f"--root={root}", "verify", str(units / name)],
                            capture_output=True, text=True, timeout=60)
    # verify only warns (exit 0) about unknown keys or bad values: any output is a failure here
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
    assert "EnvironmentFile=/etc/ohmylot/ohmylot.env" in text


def test_environment_file_reads_back_as_written() -> None:
    """No inline comment, quotes where a value holds spaces: sourced by a shell (as systemd and compose read
    it) every value comes back exactly, and the settings classes get them under one name each."""
    example = DEPLOY / "ohmylot.env.example"
    lines = [line for line in example.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    for line in lines:
        key, _, value = line.partition("=")
        assert re.fullmatch(r"OHMYLOT_[A-Z0-9_]+", key), line
        assert " #" not in value, f"inline comment: {line}"
        assert " " not in value or (value.startswith('"') and value.endswith('"')), f"unquoted spaces: {line}"
    script = ("from services.mail import MailSettings; from services.settings import WebSettings; import json; "
              "m, w = MailSettings(), WebSettings(); "
              "print(json.dumps([m.from_, w.smtp_from, m.port, w.smtp_port, m.starttls, w.trusted_proxy_list]))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OHMYLOT_")}
    result = subprocess.run(["bash", "-c", f'set -a; . "{example}"; set +a; exec "{sys.executable}" -c \'{script}\''],
                            capture_output=True, text=True, env=clean, cwd=ROOT, check=True)
    sender, web_sender, port, web_port, starttls, proxies = json.loads(result.stdout)
    assert sender == web_sender == "Oh my Lot ! <emplois@example.fr>"
    assert port == web_port == 587
    assert starttls is True
    assert proxies == ["127.0.0.1"]


def test_compose_runs_postgres_redis_web_and_scheduler_from_the_containerfile() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    services = re.findall(r"^  ([a-z-]+):\n", compose.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0],
                          re.MULTILINE)
    assert services == ["postgres", "redis", "migrate", "web", "scheduler"]
    assert 'command: ["ohmylot", "db", "upgrade"]' in compose
    assert 'command: ["ohmylot", "scheduler"]' in compose
    assert "dockerfile: Containerfile" in compose
    containerfile = (ROOT / "Containerfile").read_text(encoding="utf-8")
    assert "--require-hashes" in containerfile
    assert "requirements.lock" in containerfile
    assert (ROOT / "requirements.lock").exists()
    assert "USER ohmylot" in containerfile
