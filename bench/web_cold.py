"""Cold first visits (issue 23): how long the first request of each page takes after ``ohmylot serve`` started,
on the demo database (``ohmylot demo``: 300 offers, 40 prospects, a household, the welcome loop) and, in the
full run, on a 5,000-offer / 1,000-prospect database too.

Each database is served three times, each time a fresh process (``--workers 1``) and a new session:

- ``warmed``: with the start-up warm-up (default), the visits begin once the warm-up is over (the server's
  ``ohmylot_web_warm_up_seconds`` gauge; a server without it is given 60 s). The nightly restart's case.
- ``right_after_start``: with the warm-up, the visits begin as soon as the server answers (a deploy by day).
- ``no_warm_up``: ``OHMYLOT_WARM_UP=0``, every cache built by the first visit that needs it.

For each page: the wall time of the first visit, the CPU time the server spent on it (``/proc``; on a loaded
machine the wall time waits for a core, the CPU time does not), and the wall time of a second visit.
Target: every first visit ≤ 500 ms. Also the public board's weight as served (HTML + CSS + icon).

``python -m bench web_cold`` (demo database and 5,000 offers), ``--quick`` (demo database only).
``python -m bench.web_cold --root DIR`` serves the code of another checkout (the baseline of a comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import select

import bench.web as bench_web
from bench.web import PASSWORD, build_database, start_server
from jobs.demo import run_demo
from services.auth import create_user
from store.db import open_database
from store.models import Candidate, Household, Offer

WARM_WAIT_S = 60  # a server without the warm-up gauge: the visits begin this long after it answered
PAGES = [("tableau", "/equipe/tableau"), ("offres_equipe", "/equipe/offres"),
         ("prospect", "/equipe/prospects/{prospect}"), ("foyer", "/equipe/foyers/{household}"),
         ("offres", "/offres"), ("offre", "/offres/{offer}"), ("offre_equipe", "/equipe/offres/{offer}")]
_GAUGE = re.compile(r"^ohmylot_web_warm_up_seconds (\S+)$", re.M)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def demo_database(folder: Path) -> tuple[str, dict[str, object]]:
    """The demo's database (built by ``run_demo``) with a staff account for the bench."""

    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    db = open_database(url)
    summary = run_demo(db, data_dir=folder, today=date(2026, 11, 25))
    with db.session() as session:
        create_user(session, "bench@ohmylot.fr", role="staff", password=PASSWORD, full_name="Bench")
    db.engine.dispose()
    return url, {"offers": summary.offers, "prospects": summary.candidates}


def _targets(url: str) -> dict[str, int]:
    """A household with its first member, and an open published offer; makes one when there is none."""
    db = open_database(url)
    with db.session() as session:
        household_id = session.scalar(select(Household.id).order_by(Household.id).limit(1))
        if household_id is None:
            household = Household(label="bench")
            session.add(household)
            session.flush()
            household_id = household.id
            for candidate_id in (1, 2):
                session.get(Candidate, candidate_id).household_id = household_id
        prospect = session.scalar(select(Candidate.id).where(Candidate.household_id == household_id)
                                  .order_by(Candidate.id).limit(1))
        offer = session.scalar(select(Offer.id).where(Offer.status == "open", Offer.published.is_(True))
                               .order_by(Offer.id).limit(1))
    db.engine.dispose()
    return {"household": household_id, "prospect": prospect, "offer": offer}


def wait_warm(client, deadline_s: float) -> float | None:  # type: ignore[no-untyped-def]
    """Seconds the server's warm-up took (polling /metrics), or None when it does not say (then 60 s)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        found = _GAUGE.search(client.get("/metrics").text)
        if found is None:
            time.sleep(max(0.0, WARM_WAIT_S - (time.monotonic() - started)))
            return None
        if float(found.group(1)) >= 0:
            return round(float(found.group(1)), 2)
        time.sleep(0.2)
    return None


def _timed(client, pid: int, method: str, path: str, **kwargs) -> tuple[dict[str, int], object]:  # type: ignore[no-untyped-def]
    cpu, started = _cpu_seconds(pid), time.perf_counter()
    response = client.request(method, path, **kwargs)
    wall = time.perf_counter() - started
    return {"ms": round(wall * 1000), "cpu_ms": round((_cpu_seconds(pid) - cpu) * 1000)}, response


def _visits(client, pid: int, targets: dict[str, int]) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    figures: dict[str, dict[str, int]] = {}
    login = {"email": "bench@ohmylot.fr", "password": PASSWORD}
    first, response = _timed(client, pid, "POST", "/login", data=login)
    assert response.status_code == 303, response.status_code  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"].split(";", 1)[0]  # type: ignore[attr-defined]
    again, _ = _timed(client, pid, "POST", "/login", data=login)
    figures["login"] = {"first_ms": first["ms"], "first_cpu_ms": first["cpu_ms"], "again_ms": again["ms"]}
    for name, path in PAGES:
        path = path.format(**targets)
        first, response = _timed(client, pid, "GET", path, headers={"Cookie": cookie})
        assert response.status_code == 200, (path, response.status_code)  # type: ignore[attr-defined]
        again, _ = _timed(client, pid, "GET", path, headers={"Cookie": cookie})
        figures[name] = {"first_ms": first["ms"], "first_cpu_ms": first["cpu_ms"], "again_ms": again["ms"]}
    return figures


def one_start(url: str, folder: Path, targets: dict[str, int], mode: str) -> dict[str, object]:
    """Start a server, wait as ``mode`` says, visit every page twice; the figures."""

    os.environ["OHMYLOT_WARM_UP"] = "0" if mode == "no_warm_up" else "1"
    started = time.perf_counter()
    process, base = start_server(url, folder)
    result: dict[str, object] = {"start_s": round(time.perf_counter() - started, 1)}
    try:
        with httpx.Client(base_url=base, timeout=300, follow_redirects=False, headers={"Origin": base}) as client:
            if mode == "warmed":
                result["warm_up_s"] = wait_warm(client, 300)
            result["pages"] = _visits(client, process.pid, targets)
            board = client.get("/offres")
            weight = len(board.content) + len(client.get("/static/ohmylot.css").content)
            result["offres_weight_bytes"] = weight + len(client.get("/static/favicon.svg").content)
        return result
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.environ.pop("OHMYLOT_WARM_UP", None)


def _hash_as_served(url: str) -> None:
    """The bench account's password hashed by the code being served (a baseline hashes as it did)."""
    script = ("import sys; from sqlalchemy import update; from services.auth import hash_password; "
              "from store.db import open_database; from store.models import User; db = open_database(sys.argv[1]); "
              "s = db.sessions(); s.execute(update(User).where(User.email == 'bench@ohmylot.fr')"
              ".values(password_hash=hash_password(sys.argv[2]))); s.commit()")
    env = dict(os.environ, PYTHONPATH=str(bench_web.ROOT))
    subprocess.run([sys.executable, "-c", script, url, PASSWORD], cwd=bench_web.ROOT, env=env, check=True)


def measure(url: str, folder: Path) -> dict[str, object]:
    _hash_as_served(url)
    targets = _targets(url)
    runs = {mode: one_start(url, folder, targets, mode) for mode in ("warmed", "right_after_start", "no_warm_up")}
    worst = max(page["first_ms"] for page in runs["warmed"]["pages"].values())  # type: ignore[attr-defined]
    return {**runs, "worst_first_visit_warmed_ms": worst, "target_met": worst <= 500}


def run(quick: bool = False) -> dict[str, object]:
    result: dict[str, object] = {"target_first_visit_ms": 500, "load_average_at_start": os.getloadavg()}
    folder = Path(tempfile.mkdtemp(prefix="ohmylot-bench-cold-"))
    try:
        url, sizes = demo_database(folder)
        result["demo"] = {**sizes, **measure(url, folder)}
        if not quick:
            big = folder / "big"
            big.mkdir()
            url = f"sqlite:///{big / 'bench.sqlite3'}"
            result["offers_5000"] = {**build_database(url, offers=5_000, prospects=1_000), **measure(url, big)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["load_average_at_end"] = os.getloadavg()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.web_cold", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the demo database only")
    parser.add_argument("--root", type=Path, help="serve the code of this checkout (e.g. the baseline)")
    args = parser.parse_args()
    if args.root:
        bench_web.ROOT = args.root.resolve()
    print(json.dumps(run(quick=args.quick), indent=2, ensure_ascii=False))
